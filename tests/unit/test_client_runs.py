"""The Python client against a real supervisor in this process (canned specialists): runs, events, typed outcomes."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from agentrt.actors.proxy import supervisor_proxy
from agentrt.cluster.async_client import AsyncClient
from agentrt.cluster.client import Client, RunHandle
from agentrt.cluster.testing import canned_supervisor_local
from agentrt.contracts import (
    ContractError,
    NotFound,
    ResultTimeout,
    RunCancelled,
    RunError,
    RunFailed,
    RunStatus,
    SupervisorRef,
    UsageError,
)

WEEKLY = "Prepare the weekly sales summary and draft the mail to the team"


@pytest.fixture(scope="module")
def supervisor(tmp_path_factory: pytest.TempPathFactory) -> Iterator[SupervisorRef]:
    local = canned_supervisor_local(tmp_path_factory.mktemp("client") / "runs.sqlite")
    yield supervisor_proxy(local.client)
    local.close()


@pytest.fixture(scope="module")
def client(supervisor: SupervisorRef) -> Iterator[Client]:
    with Client(tenant="acme", user="ann", supervisor=supervisor) as c:
        yield c


@pytest.fixture
def data(tmp_path: Path) -> list[Path]:
    csv = tmp_path / "sales.csv"
    csv.write_text("week,region,revenue\n2024-W11,North,10.50\n2024-W12,North,12.00\n", encoding="utf-8")
    md = tmp_path / "metrics.md"
    md.write_text("# Revenue\nRevenue is net sales after discounts.\n", encoding="utf-8")
    return [csv, md]


def _until(handle: RunHandle, event_type: str) -> dict[str, object]:
    for event in handle.events():
        if event.type == event_type:
            return event.data
    raise AssertionError(f"run {handle.run_id} ended without a {event_type} event")


def test_submitted_goal_with_files_ends_verified_and_carries_the_files(client: Client, data: list[Path]) -> None:
    run = client.submit(WEEKLY, data=data)
    state = run.result(timeout=60)
    assert state.status == RunStatus.DONE and state.verified
    sent = {a.name: (a.media_type, a.content) for a in state.goal.attachments}
    assert sent == {
        "sales.csv": ("text/csv", data[0].read_text(encoding="utf-8")),
        "metrics.md": ("text/markdown", data[1].read_text(encoding="utf-8")),
    }
    assert state.goal.tenant == "acme" and state.goal.user == "ann"


def test_event_stream_is_live_ordered_and_ends_with_the_run(client: Client, data: list[Path]) -> None:
    run = client.submit(WEEKLY, data=data)
    events = list(run.events())
    seqs = [e.seq for e in events]
    assert seqs == sorted(seqs) and len(set(seqs)) == len(seqs) and seqs[0] == 0
    assert "plan" in [e.type for e in events]
    transitions = [e.data.get("to") for e in events if e.type == "run_state"]
    assert transitions[0] == "intake" and transitions[-1] == "done"
    assert [e.seq for e in run.trace()] == seqs


def test_failed_run_raises_run_failed_carrying_the_runs_error(client: Client) -> None:
    run = client.submit(f"{WEEKLY} #fail")
    with pytest.raises(RunFailed) as info:
        run.result(timeout=60)
    assert isinstance(info.value, RunError)
    assert info.value.detail("run_id") == run.run_id
    assert "canned failure" in str(info.value.detail("error"))
    assert f"agentrt trace {run.run_id}" in str(info.value)


def test_waiting_run_times_out_saying_how_to_approve_then_finishes_once_approved(client: Client) -> None:
    run = client.submit(f"{WEEKLY} #send")
    request_id = str(_until(run, "approval_requested")["id"])
    with pytest.raises(ResultTimeout) as info:
        run.result(timeout=0)
    assert isinstance(info.value, TimeoutError)
    assert f"agentrt approve {request_id}" in str(info.value) and "waiting_approval" in str(info.value)
    summary = client.approve(request_id, reason="looks right")
    assert summary.run_id == run.run_id
    assert run.result(timeout=60).status == RunStatus.DONE
    decided = [e.data for e in run.trace() if e.type == "approval_decided"]
    assert decided == [{"request": request_id, "approved": True, "by": "ann", "reason": "looks right"}]


def test_rejected_action_is_recorded_with_who_and_why(client: Client) -> None:
    run = client.submit(f"{WEEKLY} #send")
    request_id = str(_until(run, "approval_requested")["id"])
    client.reject(request_id, "not to the whole team")
    decided = [e.data for e in run.trace() if e.type == "approval_decided"]
    assert decided == [{"request": request_id, "approved": False, "by": "ann", "reason": "not to the whole team"}]
    assert run.status().pending_approvals == ()


def test_cancelled_run_raises_run_cancelled(client: Client) -> None:
    run = client.submit(f"{WEEKLY} #send")
    _until(run, "approval_requested")
    assert run.cancel("changed my mind").status == RunStatus.CANCELLED
    with pytest.raises(RunCancelled):
        run.result(timeout=60)


def test_answered_question_lets_the_run_go_on(client: Client) -> None:
    run = client.submit("do it now")
    question = _until(run, "clarification_requested")
    client.answer(run.run_id, str(question["id"]), "Draft a short note to the team about the release")
    state = run.result(timeout=60)
    assert state.status == RunStatus.DONE and "Clarification: Draft a short note" in state.goal.text


def test_another_tenant_cannot_see_or_decide_on_a_run(client: Client, supervisor: SupervisorRef) -> None:
    run = client.submit(f"{WEEKLY} #send")
    request_id = str(_until(run, "approval_requested")["id"])
    with Client(tenant="beta", user="bob", supervisor=supervisor) as other:
        with pytest.raises(NotFound):
            other.run(run.run_id).status()
        with pytest.raises(NotFound):
            other.approve(request_id)
        assert run.run_id not in {r.run_id for r in other.runs()}
    assert run.run_id in {r.run_id for r in client.runs()}
    run.cancel()


def test_scaling_a_role_reports_the_pool_and_an_unknown_role_is_not_found(client: Client) -> None:
    assert client.scale("analyst", 2).detail.startswith("analyst: 2 replicas")
    assert client.scale("analyst", 1).detail.startswith("analyst: 1 replicas")
    with pytest.raises(NotFound) as info:
        client.scale("astrologer", 1)
    assert "analyst" in str(info.value)


def test_bad_input_is_a_usage_error_that_names_the_fault(client: Client, supervisor: SupervisorRef,
                                                        tmp_path: Path) -> None:
    with pytest.raises(ContractError, match="tenant"):
        Client(tenant="../etc", supervisor=supervisor)
    with pytest.raises(ContractError, match="text"):
        client.submit("hi")
    with pytest.raises(UsageError, match="no such file"):
        client.submit(WEEKLY, data=[tmp_path / "missing.csv"])
    with pytest.raises(ContractError, match="replicas"):
        client.scale("analyst", -1)


async def test_async_client_follows_a_run_to_its_result(supervisor: SupervisorRef, data: list[Path]) -> None:
    client = AsyncClient(tenant="acme", user="ann", supervisor=supervisor)
    run = await client.submit(WEEKLY, data=data)
    assert run.submitted is not None and run.submitted.run_id == run.run_id
    types = [event.type async for event in run.events()]
    state = await run.result(timeout=60)
    assert state.status == RunStatus.DONE and types.count("step_finished") == len(state.results)
