"""Agent machinery costs: offline agent steps, tool-runner overhead, and OpenAI-protocol round trips.

Prints, for one process on this machine:

- offline agent steps/s (brief, two model turns, one tool call, result);
- tool-runner calls/s for an async tool, a sync tool (worker thread), a cached read and a ledger-replayed write;
- OpenAI-backend completions/s against the local OpenAI-protocol server over HTTP.

    .venv/bin/python bench/agent.py [--seconds 1.0]
"""

from __future__ import annotations

import argparse
import asyncio
import csv
import io
import tempfile
import time
from collections.abc import Awaitable, Callable
from pathlib import Path

from agentrt.actors import AgentService, AgentSpec, ToolContext, WriteLedger, tool
from agentrt.actors.offline import OfflineModel
from agentrt.actors.openai_backend import (
    OpenAIChatModel,
    OpenAIModelConfig,
    OpenAIProtocolServer,
    ServerReply,
)
from agentrt.actors.tool_registry import ToolRegistry
from agentrt.actors.tool_runner import ToolRunner
from agentrt.contracts import Artifact, ChatMessage, Identity, Step, TaskAssignment, ToolCall

CALLER = Identity(tenant="bench", agent="analyst-1")
TABLE = "region,revenue\n" + "\n".join(f"r{i},{i * 3}" for i in range(200))


@tool
def sum_column(table_csv: str, column: str) -> float:
    """Sum a numeric column of a CSV table.

    Args:
        table_csv: The table, CSV with a header row.
        column: Name of the column to sum.
    """
    return sum(float(row[column]) for row in csv.DictReader(io.StringIO(table_csv)))


@tool
async def echo(text: str) -> str:
    """Echo a text."""
    return text


@tool(writes=True)
def record(text: str) -> str:
    """Record a text."""
    return text


async def rate(label: str, seconds: float, once: Callable[[int], Awaitable[object]]) -> None:
    count, start = 0, time.perf_counter()
    while time.perf_counter() - start < seconds:
        await once(count)
        count += 1
    elapsed = time.perf_counter() - start
    print(f"{label:<50} {count / elapsed:>10.0f} /s   ({elapsed / count * 1e3:.3f} ms each)")


async def main(seconds: float) -> None:
    spec = AgentSpec(role="analyst", instructions="Analyse tables.", tools=(sum_column, echo))
    agent = AgentService(spec, OfflineModel())
    sales = Artifact(name="sales", media_type="text/csv", text=TABLE)

    async def step(i: int) -> object:
        task = Step(id="s1", role="analyst", instruction="Sum the revenue column of the sales table")
        work = TaskAssignment(run_id=f"run-{i}", step=task, caller=CALLER, inputs=(sales,))
        return await agent.run(work)

    await rate("offline agent step (2 turns, 1 tool)", seconds, step)

    ledger = WriteLedger(Path(tempfile.mkdtemp()) / "ledger.sqlite")
    runner = ToolRunner(ToolRegistry([sum_column, echo, record]), ledger)
    context = ToolContext(run_id="run-b", step_id="s1", caller=CALLER, call_id="c")
    await rate("tool runner: async tool", seconds,
               lambda i: runner.run(ToolCall(id="c", tool="echo", arguments={"text": str(i)}), context))  # fmt: skip
    await rate("tool runner: sync write (thread + ledger record)", seconds,
               lambda i: runner.run(ToolCall(id="c", tool="record", arguments={"text": str(i)}), context))  # fmt: skip
    same = ToolCall(id="c", tool="echo", arguments={"text": "same"})
    await rate("tool runner: cached read", seconds, lambda i: runner.run(same, context))
    replay = ToolCall(id="c", tool="record", arguments={"text": "0"})
    await rate("tool runner: write replayed from SQLite ledger", seconds, lambda i: runner.run(replay, context))

    with OpenAIProtocolServer(responder=lambda body: ServerReply.answer("ok")) as server:
        model = OpenAIChatModel(OpenAIModelConfig(base_url=server.base_url, model="bench"))
        hello = [ChatMessage(role="user", content="hello")]
        await rate("OpenAI backend over local HTTP", seconds, lambda i: model.complete(hello, [sum_column.spec]))
        await model.aclose()


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--seconds", type=float, default=1.0, help="time per measurement")
    asyncio.run(main(parser.parse_args().seconds))
