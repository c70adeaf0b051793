"""What the runtime benchmarks share: the scripted model, the bench role, workflows, Ray, the bare floor, CPU, RSS.

The scripts (``overhead``, ``throughput``, ``scaling``, ``peer``, ``coldstart``) import it as ``_common``
(run as scripts, this folder is first on ``sys.path``); its code reaches the actors by value.
"""

from __future__ import annotations

import asyncio
import json
import os
import platform
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field, fields
from pathlib import Path
from typing import Any

os.environ.setdefault("RAY_AUTH_MODE", "disabled")
os.environ.setdefault("RAY_USAGE_STATS_ENABLED", "0")

import ray

try:
    import psutil
except ImportError:  # pragma: no cover
    psutil = None  # type: ignore[assignment]

from agentrt import AsyncClient, RoleSpec, RuntimeConfig, SupervisorConfig, connect, tool
from agentrt.actors.tool import ship_by_value
from agentrt.cluster.runtime import Runtime
from agentrt.contracts import ChatMessage, ModelReply, ResponseFormat, RunState, ToolCall, ToolSpec, Usage

REPO = Path(__file__).resolve().parent.parent
SCHEMA = {"type": "object", "required": ["ok"], "properties": {"ok": {"type": "boolean"}}}
FINAL = json.dumps({"answer": "done", "data": {"ok": True}})


@tool
async def noop(text: str) -> str:
    """Return the text as it is (a tool call that costs nothing).

    Args:
        text: Any text.
    """
    return text


class BenchModel:
    """A scripted, stateless chat model: a tool call to ``noop``, then a final answer that fits the bench schema.

    It reads the conversation, not a script, so one object serves any number of concurrent steps.

    Args:
        delay_s: Seconds every call waits (asynchronously), as a remote model would.
        tool_turn: Call ``noop`` first (two model calls per step); without, answer at once (one call).
    """

    def __init__(self, delay_s: float = 0.0, tool_turn: bool = True) -> None:
        self.delay_s = delay_s
        self.tool_turn = tool_turn

    async def complete(
        self,
        messages: Sequence[ChatMessage],
        tools: Sequence[ToolSpec],
        *,
        response_format: ResponseFormat | None = None,
    ) -> ModelReply:
        if self.delay_s:
            await asyncio.sleep(self.delay_s)
        usage = Usage(prompt_tokens=20, completion_tokens=5)
        if self.tool_turn and not any(m.role == "tool" for m in messages):
            call = ToolCall(id=f"call-{uuid.uuid4().hex[:12]}", tool="noop", arguments={"text": "x"})
            return ModelReply(tool_calls=(call,), usage=usage, model="bench")
        return ModelReply(text=FINAL, usage=usage, model="bench")

    @property
    def calls_per_step(self) -> int:
        return 2 if self.tool_turn else 1


def bench_role(name: str, replicas: int = 1) -> RoleSpec:
    """A role whose steps call ``noop`` and answer ``{"ok": true}``."""
    return RoleSpec(
        name=name,
        description=f"Benchmark role {name}: calls a no-op tool and answers.",
        instructions="Call the noop tool once, then answer.",
        tools=("noop",),
        output=f"{name}_out",
        output_schema=SCHEMA,
        keywords=(name,),
        replicas=replicas,
    )


def workflow_file(folder: Path, name: str, role: str, steps: int) -> Path:
    """A workflow of ``steps`` steps of ``role``, each after the one before."""
    spec = {
        "name": name,
        "description": f"{steps} chained steps of {role}",
        "steps": [
            {
                "id": f"s{i}",
                "role": role,
                "instruction": f"Step {i} of {{goal}}",
                "depends_on": [f"s{i - 1}"] if i > 1 else [],
            }
            for i in range(1, steps + 1)
        ],
    }
    path = folder / f"{name}.json"
    path.write_text(json.dumps(spec))
    return path


@dataclass(frozen=True)
class Lane:
    """One kind of goal a deployment serves: a role with its model, and a workflow of its steps."""

    role: str
    model: BenchModel
    steps: int
    replicas: int = 1

    @property
    def workflow(self) -> str:
        return f"{self.role}-wf"

    @property
    def model_calls(self) -> int:
        return self.steps * self.model.calls_per_step


def per_replica() -> int:
    """Steps one replica runs at once, as the supervisor's pools are built today."""
    from agentrt.supervisor.pools import SpecialistPool  # the pool's default, read where it is defined

    return next(int(f.default) for f in fields(SpecialistPool) if f.name == "per_replica")  # type: ignore[call-overload]


def start_ray(num_cpus: int | None = None) -> None:
    """Start the local Ray cluster this script uses (once; every deployment joins it)."""
    ray.init(
        num_cpus=num_cpus or os.cpu_count() or 2,
        include_dashboard=False,
        log_to_driver=False,
        configure_logging=False,
    )
    # The model and the tool are defined here, and this folder is not on the workers' path.
    ray.cloudpickle.register_pickle_by_value(sys.modules[__name__])  # type: ignore[no-untyped-call]
    ship_by_value(__name__)


def deploy(lanes: Sequence[Lane], **fields_: Any) -> Runtime:
    """Connect a fresh runtime (own namespace and data directory) serving the lanes; actors stop on shutdown."""
    folder = Path(tempfile.mkdtemp(prefix="agentrt-bench-"))
    config = RuntimeConfig(
        namespace=f"bench-{uuid.uuid4().hex[:8]}",
        data_dir=folder / "data",
        model=lanes[0].model,
        role_models={lane.role: lane.model for lane in lanes},
        tools=(noop,),
        roles=tuple(bench_role(lane.role, lane.replicas) for lane in lanes),
        workflows=tuple(workflow_file(folder, lane.workflow, lane.role, lane.steps) for lane in lanes),
        detached=False,
        include_dashboard=False,
        supervisor=fields_.pop("supervisor", SupervisorConfig()),
        **fields_,
    )
    runtime = connect(config)
    assert isinstance(runtime, Runtime)
    return runtime


def client_of(runtime: Runtime) -> AsyncClient:
    return AsyncClient(tenant="bench", user="bench", runtime=runtime)


def server_span_s(state: RunState) -> float:
    """Seconds from the run's creation to its last checkpoint (the supervisor's own clock)."""
    return (state.updated_at - state.created_at).total_seconds()


@dataclass
class Batch:
    """What a batch of goals measured."""

    wall_s: float
    latencies: list[float] = field(default_factory=list)
    server: list[float] = field(default_factory=list)
    failed: int = 0

    @property
    def rate(self) -> float:
        return len(self.latencies) / self.wall_s if self.wall_s else 0.0


async def run_goals(client: AsyncClient, lane: Lane, goals: int, concurrency: int, timeout_s: float = 600) -> Batch:
    """Submit ``goals`` goals of a lane, ``concurrency`` at a time, each waited on with ``result``."""
    gate = asyncio.Semaphore(concurrency)
    batch = Batch(wall_s=0.0)

    async def one(i: int) -> None:
        async with gate:
            start = time.perf_counter()
            try:
                run = await client.submit(f"Run benchmark goal number {i} through its workflow", workflow=lane.workflow)
                state = await run.result(timeout=timeout_s)
            except Exception:  # noqa: BLE001  (a failed goal is counted, not fatal to the benchmark)
                batch.failed += 1
                return
            batch.latencies.append(time.perf_counter() - start)
            batch.server.append(server_span_s(state))

    start = time.perf_counter()
    await asyncio.gather(*(one(i) for i in range(goals)))
    batch.wall_s = time.perf_counter() - start
    return batch


# -- the bare Ray floor: the same hops with asyncio actors and bytes payloads -------------------------


@ray.remote(num_cpus=0)
class FloorMemory:
    async def search(self, payload: bytes) -> bytes:
        return payload


@ray.remote(num_cpus=0, max_concurrency=1000)
class FloorSpecialist:
    def __init__(self, memory: Any, delay_s: float, calls: int) -> None:
        self.memory = memory
        self.delay_s = delay_s
        self.calls = calls

    async def step(self, request: bytes, reply_size: int) -> bytes:
        if self.memory is not None:
            await self.memory.search.remote(request[:256])
        for _ in range(self.calls if self.delay_s else 0):
            await asyncio.sleep(self.delay_s)
        return b"r" * reply_size


@ray.remote(num_cpus=0, max_concurrency=1000)
class FloorSupervisor:
    def __init__(self, specialists: list[Any]) -> None:
        self.specialists = specialists
        self.next = 0

    async def run(self, goal: bytes, steps: int, request_size: int, reply_size: int) -> bytes:
        reply = b""
        for _ in range(steps):
            self.next = (self.next + 1) % len(self.specialists)
            reply = await self.specialists[self.next].step.remote(b"q" * request_size, reply_size)
        return reply


@dataclass
class Floor:
    """A bare Ray driver → supervisor-like actor → specialist-like actors (→ memory-like actor) pipeline."""

    supervisor: Any
    actors: list[Any]

    @classmethod
    def start(cls, replicas: int = 1, delay_s: float = 0.0, calls: int = 0, memory: bool = True) -> Floor:
        mem = FloorMemory.remote() if memory else None
        specialists = [FloorSpecialist.remote(mem, delay_s, calls) for _ in range(replicas)]
        supervisor = FloorSupervisor.remote(specialists)
        ray.get([a.__ray_ready__.remote() for a in [supervisor, *specialists, *([mem] if mem else [])]])
        return cls(supervisor, [supervisor, *specialists, *([mem] if mem else [])])

    async def goal(self, steps: int, request_size: int, reply_size: int) -> None:
        await self.supervisor.run.remote(b"g" * request_size, steps, request_size, reply_size)

    async def batch(self, goals: int, concurrency: int, steps: int, request_size: int, reply_size: int) -> Batch:
        gate = asyncio.Semaphore(concurrency)
        batch = Batch(wall_s=0.0)

        async def one() -> None:
            async with gate:
                start = time.perf_counter()
                await self.goal(steps, request_size, reply_size)
                batch.latencies.append(time.perf_counter() - start)

        start = time.perf_counter()
        await asyncio.gather(*(one() for _ in range(goals)))
        batch.wall_s = time.perf_counter() - start
        return batch

    def stop(self) -> None:
        for actor in self.actors:
            ray.kill(actor)


# -- CPU time and memory of this script's Ray processes --------------------------------------------------


def ray_processes() -> list[psutil.Process]:
    """This process and its descendants: the Ray cluster it started (GCS, raylet, workers, actors)."""
    me = psutil.Process()
    return [me, *me.children(recursive=True)]


def _kind(proc: psutil.Process) -> str:
    if proc.pid == os.getpid():
        return "driver"
    try:
        name = proc.name()
    except psutil.Error:
        return "gone"
    return "workers" if name.startswith("ray::") else "ray core"


def cpu_snapshot() -> dict[int, tuple[str, float]]:
    """CPU seconds (user + system) of every Ray process of this script, by pid."""
    out: dict[int, tuple[str, float]] = {}
    for proc in ray_processes():
        try:
            times = proc.cpu_times()
            out[proc.pid] = (_kind(proc), times.user + times.system)
        except psutil.Error:
            continue
    return out


def cpu_spent(before: dict[int, tuple[str, float]], after: dict[int, tuple[str, float]]) -> dict[str, float]:
    """CPU seconds spent between two snapshots, by kind of process (and ``total``)."""
    spent: dict[str, float] = {"driver": 0.0, "workers": 0.0, "ray core": 0.0}
    for pid, (kind, seconds) in after.items():
        if kind in spent:
            spent[kind] += seconds - before.get(pid, (kind, 0.0))[1]
    spent["total"] = sum(spent.values())
    return spent


class PeakRSS:
    """Samples the summed RSS of this script's Ray processes in a thread; ``peak`` in bytes.

    RSS counts shared pages (the object store's mapping, shared libraries) once per process.
    """

    def __init__(self, every_s: float = 0.25) -> None:
        self.every_s = every_s
        self.peak = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._sample, daemon=True)

    def _sample(self) -> None:
        while not self._stop.is_set():
            total = 0
            for proc in ray_processes():
                try:
                    total += proc.memory_info().rss
                except psutil.Error:
                    continue
            self.peak = max(self.peak, total)
            self._stop.wait(self.every_s)

    def __enter__(self) -> PeakRSS:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join()


@dataclass
class Measured:
    """A timed piece of work with its CPU and peak RSS."""

    value: Any
    cpu: dict[str, float]
    peak_rss: int


async def measured(work: Callable[[], Awaitable[Any]]) -> Measured:
    """Run ``work`` and record the CPU seconds and peak RSS of the Ray processes while it ran."""
    before = cpu_snapshot()
    with PeakRSS() as rss:
        value = await work()
    return Measured(value, cpu_spent(before, cpu_snapshot()), rss.peak)


# -- reporting -------------------------------------------------------------------------------------------


def pct(samples: Sequence[float], q: float) -> float:
    """The q-th percentile (nearest rank) of samples, or nan when there are none."""
    if not samples:
        return float("nan")
    ordered = sorted(samples)
    return ordered[min(len(ordered) - 1, max(0, round(q / 100 * len(ordered) + 0.5) - 1))]


def table(headers: Sequence[str], rows: Sequence[Sequence[object]]) -> str:
    """A plain text table, right-aligned numbers."""
    cells = [[_cell(v) for v in row] for row in rows]
    widths = [max(len(h), *(len(r[i]) for r in cells)) if cells else len(h) for i, h in enumerate(headers)]
    lines = ["  ".join(h.rjust(w) if i else h.ljust(w) for i, (h, w) in enumerate(zip(headers, widths, strict=True)))]
    lines.append("  ".join("-" * w for w in widths))
    for row in cells:
        lines.append(
            "  ".join(c.rjust(w) if i else c.ljust(w) for i, (c, w) in enumerate(zip(row, widths, strict=True)))
        )
    return "\n".join(lines)


def _cell(value: object) -> str:
    if isinstance(value, float):
        return "nan" if value != value else f"{value:.3g}" if abs(value) < 10 else f"{value:.1f}"
    return str(value)


def target_line(name: str, measured_value: float, target: str, met: bool) -> str:
    return f"target {name}: {target}; measured {measured_value:.3g}: {'MET' if met else 'MISSED'}"


def machine() -> str:
    """One line about this machine and the code measured."""
    model = platform.processor() or "?"
    try:
        lscpu = subprocess.run(["lscpu"], capture_output=True, text=True, check=False).stdout
        model = next((ln.split(":", 1)[1].strip() for ln in lscpu.splitlines() if ln.startswith("Model name")), model)
    except OSError:
        pass
    try:
        commit = subprocess.run(
            ["git", "rev-parse", "--short", "HEAD"], capture_output=True, text=True, check=False, cwd=REPO
        ).stdout.strip()
    except OSError:
        commit = "?"
    load = ", ".join(f"{x:.2f}" for x in os.getloadavg())
    ram = psutil.virtual_memory().total / 2**30
    return (
        f"machine: {os.cpu_count()} cores ({model}), {ram:.0f} GiB RAM, Python {platform.python_version()}, "
        f"Ray {ray.__version__}, commit {commit or '?'}, load average {load}"
    )
