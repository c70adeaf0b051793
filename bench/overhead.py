"""Runtime overhead of one step next to the bare Ray round trip it needs, in the same run.

A goal runs a one-step workflow; the step is one model turn (a call of the no-op tool), the tool
call and one more turn (a final answer that fits the role's output schema), on a scripted model
that answers at once. Goals run one after another. Printed, per step:

- client side: ``submit`` until ``result`` returns (what a caller waits);
- server side: the run's creation to its last checkpoint, and the step's own span
  (``step_started`` to ``step_finished`` in its trace);
- the bare Ray floor: driver → supervisor-like actor → specialist-like actor and back, with
  payloads of the size of the step's goal and result (and once more with a memory-like hop);
- CPU ms per step of every Ray process of this script (driver, workers, GCS and raylet).

    .venv/bin/python bench/overhead.py [--steps 200] [--warmup 10]
"""

from __future__ import annotations

import argparse
import asyncio
import time

import _common as c

from agentrt.contracts import RunEvent, RunState, encode

TARGET, AIM = 2.0, 1.5


def step_span_s(events: list[RunEvent]) -> float:
    started = next(e.at for e in events if e.type == "step_started")
    finished = next(e.at for e in events if e.type == "step_finished")
    return (finished - started).total_seconds()


async def agentrt_steps(runtime: c.Runtime, lane: c.Lane, steps: int, warmup: int) -> dict[str, object]:
    client = c.client_of(runtime)
    for i in range(warmup):
        await (
            await client.submit(f"Run benchmark warm-up number {i} through its workflow", workflow=lane.workflow)
        ).result(60)

    async def work() -> tuple[list[float], list[RunState], list[str]]:
        latencies, states, ids = [], [], []
        for i in range(steps):
            start = time.perf_counter()
            run = await client.submit(f"Run benchmark goal number {i} through its workflow", workflow=lane.workflow)
            states.append(await run.result(60))
            latencies.append(time.perf_counter() - start)
            ids.append(run.run_id)
        return latencies, states, ids

    done = await c.measured(work)
    latencies, states, ids = done.value
    spans = [step_span_s(await client.run(run_id).trace()) for run_id in ids]  # after the timed window
    last = states[-1]
    return {
        "client": latencies,
        "server": [c.server_span_s(s) for s in states],
        "step": spans,
        "cpu": done.cpu,
        "request": len(encode(last.goal)) + len(encode(last.plan.steps[0])) if last.plan else len(encode(last.goal)),
        "reply": len(encode(next(iter(last.results.values())))),
    }


async def floor_steps(steps: int, warmup: int, request: int, reply: int, memory: bool) -> dict[str, object]:
    floor = c.Floor.start(replicas=1, memory=memory)
    for _ in range(warmup):
        await floor.goal(1, request, reply)

    async def work() -> list[float]:
        out = []
        for _ in range(steps):
            start = time.perf_counter()
            await floor.goal(1, request, reply)
            out.append(time.perf_counter() - start)
        return out

    done = await c.measured(work)
    floor.stop()
    return {"client": done.value, "cpu": done.cpu}


def row(name: str, samples: list[float], cpu: dict[str, float] | None, steps: int) -> list[object]:
    ms = [s * 1e3 for s in samples]
    per = (lambda k: cpu[k] * 1e3 / steps) if cpu else (lambda k: float("nan"))
    return [name, c.pct(ms, 50), sum(ms) / len(ms), c.pct(ms, 99), per("total"), per("workers"), per("ray core"),
            per("driver")]  # fmt: skip


async def main(steps: int, warmup: int) -> None:
    print(c.machine())
    c.start_ray()
    lane = c.Lane("overhead", c.BenchModel(), steps=1)
    runtime = c.deploy([lane])
    try:
        ours = await agentrt_steps(runtime, lane, steps, warmup)
    finally:
        runtime.shutdown()
    request, reply = int(ours["request"]), int(ours["reply"])  # type: ignore[call-overload]
    bare = await floor_steps(steps, warmup, request, reply, memory=False)
    bare_mem = await floor_steps(steps, warmup, request, reply, memory=True)
    cpu = ours["cpu"]
    rows = [
        row("agentrt, client side (submit → result)", ours["client"], cpu, steps),  # type: ignore[arg-type]
        row("agentrt, server side (run created → done)", ours["server"], None, steps),  # type: ignore[arg-type]
        row("agentrt, the step's span in its trace", ours["step"], None, steps),  # type: ignore[arg-type]
        row("bare Ray: driver → supervisor → specialist", bare["client"], bare["cpu"], steps),  # type: ignore[arg-type]
        row("bare Ray: the same + memory hop", bare_mem["client"], bare_mem["cpu"], steps),  # type: ignore[arg-type]
    ]
    print(f"\none step = model turn (tool call) + no-op tool + model turn (final answer); {steps} steps one "
          f"after another; payload {request} B request, {reply} B reply")  # fmt: skip
    print("CPU ms/step: all Ray processes of this script (server-side rows share the client-side row's CPU)\n")
    print(c.table(["", "p50 ms", "mean ms", "p99 ms", "CPU ms", "workers", "core", "driver"], rows))
    floor_p50 = c.pct(bare["client"], 50)  # type: ignore[arg-type]
    print()
    for name, samples in (("server side", ours["server"]), ("client side", ours["client"])):
        ratio = c.pct(samples, 50) / floor_p50  # type: ignore[arg-type]
        print(c.target_line(f"{name} p50 / bare Ray p50", ratio, f"<= {TARGET:g}x (aim {AIM:g}x)", ratio <= TARGET))


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--steps", type=int, default=200, help="steps measured (one goal each)")
    parser.add_argument("--warmup", type=int, default=10, help="goals run first and not measured")
    args = parser.parse_args()
    asyncio.run(main(args.steps, args.warmup))
