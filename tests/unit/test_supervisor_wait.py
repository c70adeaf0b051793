"""Waiting is pushed: ``wait`` and live ``events`` answer on the change itself; ``result()`` polls nothing."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import pytest

from agentrt.actors.proxy import supervisor_proxy
from agentrt.cluster.async_client import AsyncClient
from agentrt.cluster.client import Client
from agentrt.cluster.local_runtime import LocalService
from agentrt.cluster.testing import CannedReplicas, canned_supervisor_local
from agentrt.contracts import CancelRun, Goal, RunStatus, WaitQuery
from agentrt.supervisor.config import SupervisorConfig
from agentrt.supervisor.service import SupervisorService

WEEKLY = "Prepare the weekly sales summary and draft the mail to the team"


def _goal(text: str) -> Goal:
    return Goal(text=text, tenant="acme", user="ann")


@pytest.fixture
async def service(tmp_path: Path) -> AsyncIterator[SupervisorService]:
    supervisor = SupervisorService(tmp_path / "runs.sqlite", CannedReplicas(), config=SupervisorConfig(max_waits=1))
    yield supervisor
    await supervisor.wait_idle()
    await supervisor.stop()


@pytest.fixture
def local(tmp_path: Path) -> Iterator[LocalService]:
    served = canned_supervisor_local(tmp_path / "runs.sqlite")
    yield served
    served.close()


async def test_wait_returns_the_finished_run(service: SupervisorService) -> None:
    summary = await service.submit(_goal(WEEKLY))
    update = await service.wait(WaitQuery(tenant="acme", run_id=summary.run_id, timeout_s=120))
    assert update.state.status == RunStatus.DONE and not update.busy


async def test_wait_returns_the_current_status_when_its_time_runs_out(service: SupervisorService) -> None:
    summary = await service.submit(_goal("do it now"))  # ambiguous: the run waits for an answer
    update = await service.wait(WaitQuery(tenant="acme", run_id=summary.run_id, seen=RunStatus.INTAKE, timeout_s=60))
    assert update.state.status == RunStatus.WAITING_INPUT  # answered on the change, not at the timeout
    update = await service.wait(WaitQuery(tenant="acme", run_id=summary.run_id, timeout_s=0.05))
    assert update.state.status == RunStatus.WAITING_INPUT and not update.busy


async def test_a_wait_beyond_the_limit_is_answered_busy_and_the_held_one_sees_the_end(
    service: SupervisorService,
) -> None:
    summary = await service.submit(_goal("do it now"))
    await service.wait(WaitQuery(tenant="acme", run_id=summary.run_id, seen=RunStatus.INTAKE, timeout_s=60))
    held = asyncio.ensure_future(service.wait(WaitQuery(tenant="acme", run_id=summary.run_id, timeout_s=120)))
    while service.calls["wait"] < 2:  # until the held call is in
        await asyncio.sleep(0)
    second = await service.wait(WaitQuery(tenant="acme", run_id=summary.run_id, timeout_s=120))
    assert second.busy and second.state.status == RunStatus.WAITING_INPUT
    await service.cancel(CancelRun(tenant="acme", run_id=summary.run_id, reason="not needed"))
    assert (await held).state.status == RunStatus.CANCELLED


def test_result_waits_on_the_supervisor_without_polling_its_status(local: LocalService) -> None:
    service = local.service
    assert isinstance(service, SupervisorService)
    with Client(tenant="acme", user="ann", supervisor=supervisor_proxy(local.client)) as client:
        state = client.submit(WEEKLY).result(timeout=120)
    assert state.status == RunStatus.DONE
    # One long poll answered when the run ended; a polling client would have asked for the status.
    assert service.calls["wait"] == 1 and service.calls["status"] == 0


async def test_live_events_arrive_as_appended_without_empty_pages(local: LocalService) -> None:
    service = local.service
    assert isinstance(service, SupervisorService)
    client = AsyncClient(tenant="acme", user="ann", supervisor=supervisor_proxy(local.client))
    run = await client.submit(f"{WEEKLY} #send")  # the writer's step waits for approval mid-run
    seen = []
    async for event in run.events():
        seen.append(event)
        if event.type == "approval_requested":
            await client.approve(str(event.data["id"]), reason="fine")
    assert any(e.type == "run_state" and e.data.get("to") == "done" for e in seen)
    assert [e.seq for e in seen] == list(range(len(seen)))
    # Each page came when an event was appended: the stream asked for the run's status only at its end.
    assert service.calls["status"] <= 1
    assert service.calls["events"] <= len(seen) + 2
