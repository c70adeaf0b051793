"""Whole runs in one process: the supervisor over real specialists (offline model, real tools), no Ray.

Covers what the end-to-end tests on the cluster do not: budgets, clarifying
questions, sub-plans, cancellation and tenant isolation of run queries.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from agentrt.actors.offline import OfflineModel
from agentrt.cluster.config_files import load_roles, load_workflow
from agentrt.contracts import (
    Budget,
    CancelRun,
    ClarificationAnswer,
    EventsQuery,
    Goal,
    NotFound,
    RunQuery,
    RunState,
    RunStatus,
    StepStatus,
)
from agentrt.specialists.factory import build_specialist, tool_catalog
from agentrt.specialists.roles import RoleCatalog
from agentrt.supervisor.local import LocalReplicaSource
from agentrt.supervisor.planner import StepTemplate, WorkflowCatalog, WorkflowSpec
from agentrt.supervisor.service import SupervisorService
from tests.e2e.conftest import ticket_goal, weekly_sales_goal


@pytest.fixture
async def supervisor(tmp_path: Path) -> AsyncIterator[SupervisorService]:
    roles = RoleCatalog()
    load_roles(roles, Path(__file__).resolve().parents[2] / "examples" / "triage" / "roles.yaml")
    workflows = WorkflowCatalog()
    workflows.register(
        WorkflowSpec(
            name="delegating",
            steps=(
                StepTemplate(id="big", role="analyst", instruction="{goal}", subplan=True),
                StepTemplate(
                    id="wrap",
                    role="writer",
                    depends_on=("big",),
                    instruction='Draft the mail as email with the title "Sales" for the audience "the team"',
                ),
            ),
        )
    )
    load_workflow(workflows, Path(__file__).resolve().parents[2] / "examples" / "triage" / "workflow.yaml")
    catalog = tool_catalog(tmp_path / "outbox")
    source = LocalReplicaSource(lambda role, i: build_specialist(roles.get(role), OfflineModel(), catalog=catalog))
    service = SupervisorService(tmp_path / "runs.sqlite", source, roles=roles, workflows=workflows)
    yield service
    await service.wait_idle()
    await service.stop()


async def _run(service: SupervisorService, goal: Goal) -> RunState:
    summary = await service.submit(goal)
    await service.wait_idle()
    return await service.status(RunQuery(tenant=goal.tenant, run_id=summary.run_id))


async def test_run_stops_cleanly_when_its_step_budget_is_spent(supervisor: SupervisorService) -> None:
    goal = weekly_sales_goal().model_copy(update={"budget": Budget(max_steps=2)})
    state = await _run(supervisor, goal)
    assert state.status == RunStatus.FAILED and "budget spent: steps" in state.error
    assert len(state.results) == 2 and all(r.status.value == "succeeded" for r in state.results.values())
    events = await supervisor.events(EventsQuery(tenant="acme", run_id=state.run_id))
    assert any(e.type == "budget" for e in events.events)


async def test_ambiguous_goal_waits_for_an_answer_then_runs(supervisor: SupervisorService) -> None:
    vague = Goal(text="do it now", tenant="acme", user="ann", attachments=weekly_sales_goal().attachments)
    state = await _run(supervisor, vague)
    assert state.status == RunStatus.WAITING_INPUT and state.pending_question is not None
    await supervisor.answer(
        ClarificationAnswer(
            tenant="acme",
            run_id=state.run_id,
            request_id=state.pending_question.id,
            answer="Prepare the weekly sales summary and draft the mail to the team",
        )
    )
    await supervisor.wait_idle()
    state = await supervisor.status(RunQuery(tenant="acme", run_id=state.run_id))
    assert state.status == RunStatus.DONE and state.verified and "Clarification:" in state.goal.text


async def test_a_step_can_become_a_sub_plan(supervisor: SupervisorService) -> None:
    goal = weekly_sales_goal().model_copy(update={"workflow": "delegating"})
    state = await _run(supervisor, goal)
    assert state.status == RunStatus.DONE
    assert state.plan is not None and state.plan.step("big").status == StepStatus.SKIPPED
    sub = [s for s in state.plan.steps if s.id.startswith("big-")]
    assert {s.role for s in sub} >= {"researcher", "analyst"} and all(s.status == StepStatus.SUCCEEDED for s in sub)
    assert set(state.plan.step("wrap").depends_on) >= {s.id for s in sub}


async def test_a_waiting_run_can_be_cancelled(supervisor: SupervisorService) -> None:
    state = await _run(supervisor, ticket_goal("TCK-1005"))
    assert state.status == RunStatus.WAITING_APPROVAL
    summary = await supervisor.cancel(CancelRun(tenant="acme", run_id=state.run_id, reason="customer withdrew"))
    assert summary.status == RunStatus.CANCELLED


async def test_another_tenants_run_is_not_found(supervisor: SupervisorService) -> None:
    state = await _run(supervisor, weekly_sales_goal())
    with pytest.raises(NotFound):
        await supervisor.status(RunQuery(tenant="globex", run_id=state.run_id))
    with pytest.raises(NotFound):
        await supervisor.events(EventsQuery(tenant="globex", run_id=state.run_id))
    assert (await supervisor.runs(RunQuery(tenant="globex"))).runs == ()


async def test_secrets_in_a_goal_never_reach_the_trace(supervisor: SupervisorService) -> None:
    secret = "sk-live0123456789abcdefghijklmnop"
    goal = weekly_sales_goal().model_copy(
        update={"text": f"Prepare the weekly sales summary and draft the mail to ann.lee@example.com, key {secret}"}
    )
    state = await _run(supervisor, goal)
    events = await supervisor.events(EventsQuery(tenant="acme", run_id=state.run_id))
    dumped = "".join(e.model_dump_json() for e in events.events)
    assert "[REDACTED:" in dumped
    assert secret not in dumped and "ann.lee@example.com" not in dumped
