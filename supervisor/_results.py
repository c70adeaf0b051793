"""Reading step results: QA verdicts, branch conditions, approval requests (from the typed fields only)."""

from __future__ import annotations

from agentrt.contracts import (
    ApprovalRequest,
    Condition,
    JsonValue,
    Plan,
    RunState,
    Step,
    TaskResult,
    TaskStatus,
    new_id,
)

__all__ = ["approval_request", "condition_holds", "qa_verdict"]


def qa_verdict(result: TaskResult) -> tuple[bool, list[str]]:
    """Return (passed, defects) of a QA result: its typed verdict; no verdict is a failure."""
    if result.status != TaskStatus.SUCCEEDED:
        return False, [result.error.message if result.error else "QA did not finish"]
    if result.verdict is None:
        return False, ["QA returned no verdict"]
    return result.verdict.passed, [d.text() for d in result.verdict.defects]


def _latest_result(state: RunState, step_id: str) -> TaskResult | None:
    # A retry or a fix stands in for the planned step it replaced.
    plan = state.plan
    matches = [
        r
        for sid, r in state.results.items()
        if r.status == TaskStatus.SUCCEEDED and (plan.origin(sid) if plan and _in(plan, sid) else sid) == step_id
    ]
    return matches[-1] if matches else None


def _in(plan: Plan, step_id: str) -> bool:
    return any(s.id == step_id for s in plan.steps)


def condition_holds(condition: Condition, state: RunState) -> bool:
    """Evaluate a branch condition against the latest successful result of the step it names."""
    result = _latest_result(state, condition.step)
    if result is None:
        return False
    artifact = next((a for a in reversed(result.artifacts) if a.name == condition.artifact), None)
    if artifact is None:
        return False
    value: JsonValue = artifact.data if artifact.data is not None else artifact.text
    for key in condition.path:
        if isinstance(value, dict) and key in value:
            value = value[key]
        elif isinstance(value, list) and key.isdigit() and int(key) < len(value):
            value = value[int(key)]
        else:
            return False
    return _compare(value, condition.op, condition.value)


def _compare(value: JsonValue, op: str, expected: JsonValue) -> bool:
    if op == "truthy":
        return bool(value)
    if op == "eq":
        return value == expected or (
            isinstance(value, str) and isinstance(expected, str) and value.lower() == expected.lower()
        )
    if op == "ne":
        return not _compare(value, "eq", expected)
    if op == "contains":
        if isinstance(value, str) and isinstance(expected, str):
            return expected.lower() in value.lower()
        return isinstance(value, list | dict) and expected in value
    if isinstance(value, int | float) and isinstance(expected, int | float):
        return value > expected if op == "gt" else value < expected
    return False


def approval_request(run_id: str, step: Step, result: TaskResult) -> ApprovalRequest:
    """The approval request a paused step carries (one naming the step's role when it carries none)."""
    if result.pending_approval is not None:
        return result.pending_approval.model_copy(update={"run_id": run_id, "step_id": step.id})
    return ApprovalRequest(
        id=new_id("apr"), run_id=run_id, step_id=step.id, tool=step.role,
        reason="the step paused for a person's approval without saying which action",
    )  # fmt: skip
