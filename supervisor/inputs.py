"""What people tell a run (cancel, approve or reject, answer) as inputs to the run engine.

The service finds the run and owns its task; these functions decide the run's next
state, so every move of a run goes through the engine's recorder and its state
machine (``RUN_TRANSITIONS``).
"""

from __future__ import annotations

from agentrt.contracts import (
    ApprovalDecision,
    ApprovalRequest,
    ClarificationAnswer,
    ContractError,
    ErrorInfo,
    JsonObject,
    RunState,
    RunStatus,
    StepStatus,
    TaskResult,
    TaskStatus,
)
from agentrt.supervisor.execution import set_step_status
from agentrt.supervisor.recorder import Recorder

__all__ = ["answered", "approval_decided", "cancelled"]


def cancelled(rec: Recorder, state: RunState, reason: str) -> RunState:
    """The run, cancelled (a finished run stays as it is)."""
    if state.terminal:
        return state
    return rec.move(state, RunStatus.CANCELLED, reason=reason or "cancelled", error="cancelled")


def approval_decided(rec: Recorder, state: RunState, request: ApprovalRequest, decision: ApprovalDecision) -> RunState:
    """The run after a person decided one of its approval requests; it executes again once none is left."""
    pending = tuple(r for r in state.pending_approvals if r.id != request.id)
    rec.emit(
        state.run_id,
        "approval_decided",
        step_id=request.step_id,
        data={"request": request.id, "approved": decision.approved, "by": decision.decided_by,
              "reason": decision.reason},
    )
    if request.subject == "step_proposal":
        verdict, how = ("admitted", "approved") if decision.approved else ("refused", "rejected")
        reason = f"{how} by {decision.decided_by}: {decision.reason}"
        data: JsonObject = {"decision": verdict, "reason": reason, "step": request.step_id, "request": request.id}
        proposer = request.provenance.step_id if request.provenance else None
        rec.emit(state.run_id, "proposal", step_id=proposer, data=data)
    if decision.approved:
        state = set_step_status(state, request.step_id, StepStatus.PENDING)
        state = state.model_copy(update={"approved_calls": state.approved_calls + (request.id,)})
    elif request.subject == "tool_call":
        # A rejected call is answered to the model as a refusal; the step resumes without it.
        state = set_step_status(state, request.step_id, StepStatus.PENDING)
        state = state.model_copy(update={"rejected_calls": state.rejected_calls + (request.id,)})
    else:
        rejected = TaskResult(
            run_id=state.run_id,
            step_id=request.step_id,
            status=TaskStatus.FAILED,
            role=state.plan.step(request.step_id).role if state.plan else "unknown",
            error=ErrorInfo(type="ApprovalRejected", message=f"rejected by {decision.decided_by}: {decision.reason}"),
        )
        state = set_step_status(state, request.step_id, StepStatus.SKIPPED)
        state = state.model_copy(update={"results": {**state.results, request.step_id: rejected}})
    state = rec.save(state, pending_approvals=pending)
    rec.metrics.approvals_waiting(len(pending))
    if not pending and state.status == RunStatus.WAITING_APPROVAL:
        state = rec.move(state, RunStatus.EXECUTE, reason="approval decided")
    return state


def answered(rec: Recorder, state: RunState, answer: ClarificationAnswer) -> RunState:
    """The run after its clarifying question was answered: back to intake with the answer in the goal.

    Raises:
        ContractError: The run does not wait for an answer to this question.
    """
    question = state.pending_question
    if state.status != RunStatus.WAITING_INPUT or question is None or question.id != answer.request_id:
        raise ContractError(f"run {state.run_id} is not waiting for an answer to {answer.request_id}", what="state")
    goal = state.goal.model_copy(update={"text": f"{state.goal.text}\nClarification: {answer.answer}"})
    return rec.move(state, RunStatus.INTAKE, reason="question answered", goal=goal, pending_question=None)
