"""The agent runs as a Ray actor: offline, over the OpenAI protocol, and through crashes without double writes."""

from __future__ import annotations

import asyncio
import os
from pathlib import Path

import pytest
import ray

from agentrt.actors import ActorOptions, AgentService, AgentSpec, WriteLedger, tool
from agentrt.actors.host import spawn
from agentrt.actors.offline import OfflineModel
from agentrt.actors.openai_backend import (
    OpenAIChatModel,
    OpenAIModelConfig,
    OpenAIProtocolServer,
    responder_for,
)
from agentrt.actors.remote import remote_specialist
from agentrt.actors.testing import ScriptedModel, call
from agentrt.contracts import ActorLost, Artifact, Identity, SpecialistRef, Step, TaskAssignment, TaskStatus

pytestmark = pytest.mark.usefixtures("ray_cluster")


@tool
def sum_column(table_csv: str, column: str) -> dict[str, float]:
    """Sum a numeric column of a CSV table.

    Args:
        table_csv: The table, CSV with a header row.
        column: Name of the column to sum.
    """
    header, *rows = [line.split(",") for line in table_csv.strip().splitlines()]
    index = header.index(column)
    return {"total": sum(float(r[index]) for r in rows), "pid": os.getpid()}


@tool(writes=True)
def append_line(path: str, text: str, crash_marker: str, idempotency_key: str) -> int:
    """Append a line to a journal file, at most once per idempotency key; die once after writing if asked."""
    journal = Path(path)
    lines = journal.read_text().splitlines() if journal.exists() else []
    if not any(line.startswith(f"{idempotency_key}\t") for line in lines):
        with journal.open("a") as f:
            f.write(f"{idempotency_key}\t{text}\n")
    with Path(f"{path}.invocations").open("a") as f:
        f.write("1\n")
    marker = Path(crash_marker)
    if not marker.exists():
        marker.touch()
        os._exit(1)  # the process dies after the side effect, before the write is recorded
    return len(journal.read_text().splitlines())


@tool
def crash_once(marker: str) -> str:
    """Die the first time (after earlier writes of the step were recorded)."""
    if not Path(marker).exists():
        Path(marker).touch()
        os._exit(1)
    return "survived"


async def until_alive(handle: ray.actor.ActorHandle) -> None:
    """Wait for a restarting actor to answer again."""
    for _ in range(300):
        try:
            await handle.ping.remote()
            return
        except ray.exceptions.RayActorError:
            await asyncio.sleep(0.1)
    raise AssertionError("the agent actor did not come back")


def assignment(instruction: str, *inputs: Artifact) -> TaskAssignment:
    return TaskAssignment(run_id="run-c1", step=Step(id="s1", role="analyst", instruction=instruction),
                          caller=Identity(tenant="acme", agent="analyst-1"), inputs=inputs)  # fmt: skip


SALES = Artifact(name="sales", media_type="text/csv", text="region,revenue\nnorth,10\nsouth,32\n")


async def test_offline_agent_actor_runs_an_assignment_in_another_process() -> None:
    spec = AgentSpec(role="analyst", instructions="Analyse tables.", tools=(sum_column,), output="analysis")
    handle = spawn(lambda: AgentService(spec, OfflineModel()), SpecialistRef, ActorOptions(max_restarts=1))
    specialist = remote_specialist(handle)
    assert isinstance(specialist, SpecialistRef)
    result = await specialist.run(assignment("Sum the revenue column of the sales table", SALES))
    assert result.status is TaskStatus.SUCCEEDED and result.offline
    totals = next(a for a in result.artifacts if a.name == "sum_column").data
    assert isinstance(totals, dict) and totals["total"] == 42.0 and totals["pid"] != os.getpid()
    assert result.artifacts[-1].text.startswith("[offline model]")


async def test_agent_actor_talks_to_an_openai_compatible_endpoint() -> None:
    with OpenAIProtocolServer(responder=responder_for(OfflineModel())) as server:
        config = OpenAIModelConfig(base_url=server.base_url, model="local-llm")
        spec = AgentSpec(role="analyst", instructions="Analyse tables.", tools=(sum_column,))
        specialist = remote_specialist(spawn(lambda: AgentService(spec, OpenAIChatModel(config)), SpecialistRef))
        result = await specialist.run(assignment("Sum the revenue column of the sales table", SALES))
    assert result.status is TaskStatus.SUCCEEDED and not result.offline
    assert [r["model"] for r in server.requests] == ["local-llm", "local-llm"]
    assert "total: 42.0" in result.summary


async def test_write_tool_runs_once_when_retried_after_crashes(tmp_path: Path) -> None:
    journal = tmp_path / "journal.txt"
    ledger_path = tmp_path / "ledger.sqlite"
    script = [
        call("append_line", path=str(journal), text="hello", crash_marker=str(tmp_path / "died-in-write")),
        call("crash_once", marker=str(tmp_path / "died-after-write")),
        "journal updated",
    ]
    spec = AgentSpec(role="writer", instructions="Keep the journal.", tools=(append_line, crash_once))
    handle = spawn(lambda: AgentService(spec, ScriptedModel(script), ledger=WriteLedger(ledger_path)),
                   SpecialistRef, ActorOptions(max_restarts=2))  # fmt: skip
    specialist = remote_specialist(handle)
    work = assignment("Add hello to the journal")
    lost = 0
    while lost <= 2:  # re-dispatch the step the way the supervisor does when an agent dies
        try:
            result = await specialist.run(work)
            break
        except ActorLost:
            lost += 1
            await until_alive(handle)
    assert lost == 2  # died inside the write, then after the write was recorded
    assert result.status is TaskStatus.SUCCEEDED and result.summary == "journal updated"
    [line] = journal.read_text().splitlines()
    assert line.endswith("\thello") and line.startswith("idem-")
    # First attempt wrote and died; the second found its key in the journal; the third replayed the ledger.
    assert len(Path(f"{journal}.invocations").read_text().splitlines()) == 2
