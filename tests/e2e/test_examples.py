"""The shipped examples run end to end with the offline model, on the runtime built in this process."""

from __future__ import annotations

import json
from pathlib import Path

from agentrt.cluster.local_runtime import LocalRuntime
from agentrt.contracts import ApprovalDecision, RunStatus, StepStatus, SupervisorRef
from tests.e2e.conftest import call_until_up, finish, incident_goal, ticket_goal, trace, wait_for, weekly_sales_goal


async def test_weekly_sales_finishes_verified_with_figures_and_a_trace(offline_runtime: LocalRuntime) -> None:
    state = await finish(offline_runtime, weekly_sales_goal())
    assert state.status == RunStatus.DONE and state.verified
    assert {"-4.5%", "+35.0%", "-35.8%", "29,485.55"} <= set(
        state.output.replace("\n", " ").split() + [tok.rstrip(".") for tok in state.output.split()]
    )
    assert "Verified by QA: yes" in state.output and "offline model" in state.output
    events = await trace(offline_runtime, state)
    kinds = {e.type for e in events}
    assert {"plan", "step_started", "step_finished", "model_call", "tool_call", "run_state"} <= kinds
    assert [e.seq for e in events] == list(range(len(events)))
    roles = {e.data.get("role") for e in events if e.type == "step_finished"}
    assert roles == {"researcher", "analyst", "writer", "qa"}


async def test_independent_steps_run_at_the_same_time(offline_runtime: LocalRuntime) -> None:
    state = await finish(offline_runtime, weekly_sales_goal(tenant="parallel"))
    events = await trace(offline_runtime, state)
    assert state.plan is not None
    independent = [s.id for s in state.plan.steps if not s.depends_on]
    assert len(independent) >= 2
    started = {e.step_id: e.at for e in events if e.type == "step_started" and e.step_id in independent}
    finished = {e.step_id: e.at for e in events if e.type == "step_finished" and e.step_id in independent}
    # Every independent step started before any of them finished: their runs overlapped.
    assert max(started.values()) < min(finished.values())


async def test_incident_replans_as_log_evidence_appears(offline_runtime: LocalRuntime) -> None:
    state = await finish(offline_runtime, incident_goal())
    assert state.status == RunStatus.DONE and state.verified
    events = await trace(offline_runtime, state)
    replans = [e for e in events if e.type == "replan" and e.data.get("reason") == "proposals admitted"]
    assert len(replans) >= 2
    # The analyst proposed each new step after reading log tool output: untrusted, but read-only, so admitted.
    admitted = [e for e in events if e.type == "proposal" and e.data["decision"] == "admitted"]
    assert len(admitted) >= 2
    assert all(e.data["role"] == "analyst" and any(str(s).startswith("tool:") for s in e.data["sources"])  # type: ignore[union-attr]
               for e in admitted)  # fmt: skip
    assert {s.proposed_by for s in state.plan.steps if s.proposed_by} <= {s.id for s in state.plan.steps}
    assert state.plan is not None and state.plan.version > 2
    # The first hypothesis (checkout-api) is revised: the root cause lies upstream.
    assert "pool exhausted" in state.output and "orders-service" in state.output


async def test_refund_ticket_branches_and_waits_for_approval_then_refunds_once(offline_runtime: LocalRuntime) -> None:
    state = await finish(offline_runtime, ticket_goal("TCK-1005"))
    assert state.status == RunStatus.WAITING_APPROVAL
    (request,) = state.pending_approvals
    assert request.tool == "issue_refund" and request.arguments["order_id"] == "ORD-482913"
    decision = ApprovalDecision(tenant="acme", request_id=request.id, approved=True, decided_by="lead")
    await call_until_up(offline_runtime, SupervisorRef.approve, decision)
    state = await wait_for(offline_runtime, "acme", state.run_id)
    assert state.status == RunStatus.DONE and state.verified
    assert state.plan is not None and state.plan.step("escalate").status == StepStatus.SKIPPED
    refunds = (offline_runtime.config.data_dir / "outbox" / "refunds.jsonl").read_text().splitlines()
    assert [json.loads(line)["order_id"] for line in refunds].count("ORD-482913") == 1
    assert "129" in state.output


async def test_outage_ticket_takes_the_other_branch(offline_runtime: LocalRuntime) -> None:
    state = await finish(offline_runtime, ticket_goal("TCK-1003"))
    assert state.status == RunStatus.DONE
    assert state.plan is not None
    assert state.plan.step("refund").status == StepStatus.SKIPPED
    assert state.plan.step("escalate").status == StepStatus.SUCCEEDED


async def test_rejected_refund_is_not_issued(offline_runtime: LocalRuntime) -> None:
    state = await finish(offline_runtime, ticket_goal("TCK-1011", tenant="rejecting"))
    (request,) = state.pending_approvals
    decision = ApprovalDecision(
        tenant="rejecting", request_id=request.id, approved=False, decided_by="lead", reason="too high"
    )
    await call_until_up(offline_runtime, SupervisorRef.approve, decision)
    state = await wait_for(offline_runtime, "rejecting", state.run_id)
    # The rejected call is answered to the model as a refusal; the step resumes and goes on without it.
    assert state.plan is not None and state.plan.step("refund").status == StepStatus.SUCCEEDED
    assert state.pending_approvals == () and state.rejected_calls == (request.id,)
    calls = [e.data for e in await trace(offline_runtime, state) if e.type == "tool_call" and e.step_id == "refund"]
    assert [(c["tool"], c["policy"], c["ok"]) for c in calls] == [("issue_refund", "rejected", False)]
    outbox = offline_runtime.config.data_dir / "outbox" / "refunds.jsonl"
    assert not outbox.exists() or "ORD-519876" not in outbox.read_text()


def _lines(path: Path) -> list[str]:
    return path.read_text().splitlines() if path.exists() else []


async def test_a_new_figure_that_contradicts_memory_is_resolved_and_traced(offline_runtime: LocalRuntime) -> None:
    first = await finish(offline_runtime, weekly_sales_goal(tenant="restated"))
    assert first.status == RunStatus.DONE and first.memory_refs
    # The same week, restated: one North row of the latest week changes.
    goal = weekly_sales_goal(tenant="restated")
    sales = goal.attachments[0]
    lines = sales.content.splitlines()
    index = next(i for i, line in enumerate(lines) if ",2024-W12,North,Widget," in line)
    cells = lines[index].split(",")
    cells[-1] = f"{float(cells[-1]) + 100:.2f}"
    lines[index] = ",".join(cells)
    restated = goal.model_copy(
        update={"attachments": (sales.model_copy(update={"content": "\n".join(lines)}), *goal.attachments[1:])}
    )
    second = await finish(offline_runtime, restated)
    assert second.status == RunStatus.DONE
    events = await trace(offline_runtime, second)
    resolved = [e for e in events if e.type == "conflict_resolved" and e.data.get("rule") == "recency"]
    assert resolved, "the restated figures should contradict the remembered ones"
    assert all(e.data["chosen"] != e.data["previous"] for e in resolved)
    assert any("North" in str(e.data["label"]) or "total" in str(e.data["label"]) for e in resolved)
