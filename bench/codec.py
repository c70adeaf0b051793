"""Codec throughput: encode+decode of a typical TaskAssignment and TaskResult.

Prints messages/s for the agentrt codec (msgpack + validation), bare msgpack on
the same data as a dict, pickle of the model, and pydantic JSON, in one run.

    .venv/bin/python bench/codec.py [--seconds 1.0]
"""

from __future__ import annotations

import argparse
import json
import pickle
import time
from collections.abc import Callable

import msgpack

from agentrt.contracts import (
    Artifact,
    Citation,
    ContextItem,
    Cost,
    Identity,
    Step,
    TaskAssignment,
    TaskResult,
    TaskStatus,
    decode,
    encode,
)


def typical_assignment() -> TaskAssignment:
    """A mid-sized assignment: a step with tools, three context items and one input artifact."""
    step = Step(
        id="s2",
        role="analyst",
        instruction="Compute week-over-week revenue and units per region from sales.csv",
        depends_on=("s1",),
        allowed_tools=("compare_periods", "aggregate", "describe_table"),
        acceptance=("every figure traced to sales.csv",),
    )
    return TaskAssignment(
        run_id="run-3f9a0c2b1d4e5f60",
        step=step,
        caller=Identity(tenant="acme", agent="analyst-1", run_id="run-3f9a0c2b1d4e5f60"),
        goal_text="Prepare the weekly sales summary and draft the mail to the team",
        context=tuple(
            ContextItem(source=f"memory:rec-{i}", text="Revenue is net of refunds. " * 4, priority=i) for i in range(3)
        ),
        inputs=(
            Artifact(
                name="metric_definitions", text="Revenue: sum of net sales. " * 10, data={"terms": ["revenue", "units"]}
            ),
        ),
    )


def typical_result() -> TaskResult:
    """A mid-sized result: two artifacts with table data and citations."""
    rows = [
        {"region": r, "revenue": 1234.5 * i, "prev": 1100.0 * i, "change_pct": 12.2} for i, r in enumerate("NESW", 1)
    ]
    return TaskResult(
        run_id="run-3f9a0c2b1d4e5f60",
        step_id="s2",
        status=TaskStatus.SUCCEEDED,
        role="analyst",
        summary="Revenue rose 12.2% week over week; every region grew.",
        artifacts=(
            Artifact(
                name="compare_periods",
                media_type="application/json",
                data={"rows": rows, "total": {"revenue": 12345.0}},
            ),
            Artifact(
                name="answer",
                text="Revenue rose 12.2% week over week.",
                citations=(Citation(source="sales.csv", locator="rows 1-40"),),
            ),
        ),
        citations=(Citation(source="sales.csv", locator="rows 1-40", quote="week,region,revenue"),),
        cost=Cost(prompt_tokens=812, completion_tokens=95, model_calls=2, tool_calls=1),
        agent="analyst-1",
        offline=True,
    )


def rate(fn: Callable[[], object], seconds: float) -> float:
    """Return calls per second of ``fn`` over about ``seconds``."""
    n, start = 0, time.perf_counter()
    deadline = start + seconds
    while True:
        for _ in range(200):
            fn()
        n += 200
        now = time.perf_counter()
        if now >= deadline:
            return n / (now - start)


def main() -> None:
    """Run the benchmark and print a table."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=1.0)
    args = parser.parse_args()
    print(f"{'message':<16}{'method':<28}{'msgs/s':>12}{'bytes':>8}")
    for label, msg in (("TaskAssignment", typical_assignment()), ("TaskResult", typical_result())):
        as_dict = msg.model_dump()
        as_json = json.loads(msg.model_dump_json())
        variants: dict[str, tuple[Callable[[], object], int]] = {
            "agentrt codec (validated)": (lambda m=msg: decode(encode(m)), len(encode(msg))),
            "bare msgpack on dict": (
                lambda d=as_dict: msgpack.unpackb(msgpack.packb(d, datetime=True), timestamp=3),
                len(msgpack.packb(as_dict, datetime=True)),
            ),
            "pickle of model": (lambda m=msg: pickle.loads(pickle.dumps(m)), len(pickle.dumps(msg))),
            "pydantic json (validated)": (
                lambda m=msg: type(m).model_validate_json(m.model_dump_json()),
                len(msg.model_dump_json()),
            ),
            "stdlib json on dict": (lambda d=as_json: json.loads(json.dumps(d)), len(json.dumps(as_json))),
        }
        results = {name: rate(fn, args.seconds) for name, (fn, _) in variants.items()}
        for name, (_, size) in variants.items():
            print(f"{label:<16}{name:<28}{results[name]:>12,.0f}{size:>8}")
        ratio = results["bare msgpack on dict"] / results["agentrt codec (validated)"]
        print(f"{label:<16}codec is {ratio:.2f}x slower than bare msgpack on the same data (target <= 2x)\n")


if __name__ == "__main__":
    main()
