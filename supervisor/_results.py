"""Reading step results: QA verdicts, branch conditions, follow-up proposals, approval requests."""

from __future__ import annotations

from typing import TYPE_CHECKING

from pydantic import ValidationError

from agentrt.contracts import (
    ApprovalRequest,
    Condition,
    JsonValue,
    RunState,
    Step,
    TaskResult,
    TaskStatus,
    new_id,
)

if TYPE_CHECKING:
    from agentrt.supervisor.planner import RulePlanner

__all__ = ["approval_request", "condition_holds", "follow_up_steps", "qa_verdict"]


def qa_verdict(result: TaskResult) -> tuple[bool, list[str]]:
    """Return (passed, defects) of a QA result: a ``passed`` field in its data, else its answer's first word."""
    if result.status != TaskStatus.SUCCEEDED:
        return False, [result.error.message if result.error else "QA did not finish"]
    for artifact in reversed(result.artifacts):
        data = artifact.data
        if isinstance(data, dict) and isinstance(data.get("passed"), bool):
            defects = data.get("defects")
            return bool(data["passed"]), [_defect_text(d) for d in defects] if isinstance(defects, list) else []
    for artifact in reversed(result.artifacts):
        head = artifact.text.strip().lower()
        if head.startswith(("pass", "verdict: pass")):
            return True, []
        if head.startswith(("fail", "reject", "verdict: fail")):
            return False, [line.strip("- ") for line in artifact.text.splitlines()[1:] if line.strip()] or [
                artifact.text
            ]
    return False, ["QA returned no verdict"]


def _defect_text(defect: JsonValue) -> str:
    if isinstance(defect, dict):
        parts = [str(defect.get(k)) for k in ("kind", "detail", "where") if defect.get(k)]
        return ": ".join(parts) if parts else str(defect)
    return str(defect)


def _latest_result(state: RunState, step_id: str) -> TaskResult | None:
    # A retried or fixed step (s2.r1, s2.fix1) stands in for the step it replaced.
    matches = [
        r for sid, r in state.results.items() if sid.split(".")[0] == step_id and r.status == TaskStatus.SUCCEEDED
    ]
    return matches[-1] if matches else None


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


def follow_up_steps(step: Step, result: TaskResult, planner: RulePlanner) -> list[Step]:
    """Steps that new facts in a result call for: ``data["follow_up"]`` items with an instruction (and maybe a role)."""
    proposals = [
        item
        for artifact in result.artifacts
        if isinstance(artifact.data, dict) and isinstance(artifact.data.get("follow_up"), list)
        for item in artifact.data["follow_up"]  # type: ignore[union-attr]
        if isinstance(item, dict) and isinstance(item.get("instruction"), str)
    ]
    steps = []
    for i, item in enumerate(proposals[:5], start=1):
        role_name = item.get("role")
        role = planner.best_role(str(item["instruction"])) if not isinstance(role_name, str) else None
        name = role_name if isinstance(role_name, str) else (role.name if role else step.role)
        steps.append(
            Step(
                id=f"{step.id}.f{i}",
                role=name,
                instruction=str(item["instruction"]),
                depends_on=(step.id,),
                allowed_tools=step.allowed_tools if name == step.role else (role.tools if role else ()),
            )
        )
    return steps


def approval_request(run_id: str, step: Step, result: TaskResult) -> ApprovalRequest:
    """The approval request a paused step carries (built from its ``pending_approval``)."""
    pending = result.pending_approval if isinstance(result.pending_approval, dict) else {}
    try:
        request = ApprovalRequest.model_validate({**pending, "run_id": run_id, "step_id": step.id})
    except ValidationError:
        tool = pending.get("tool")
        arguments = pending.get("arguments")
        request = ApprovalRequest(
            id=str(pending.get("id") or new_id("apr")),
            run_id=run_id,
            step_id=step.id,
            tool=tool if isinstance(tool, str) and tool else step.role,
            arguments=arguments if isinstance(arguments, dict) else {},
            reason=str(pending.get("reason") or "the action needs a person's approval"),
        )
    return request
