"""Replanning: new plan versions after a failed step, a QA rejection or new facts.

Every function returns a new :class:`~agentrt.contracts.Plan` (version + 1) that keeps
the finished steps as they were and rewires what is left, or None when the
rules say the run cannot recover.
"""

from __future__ import annotations

from agentrt.contracts import Plan, Step, StepStatus

__all__ = ["add_follow_ups", "fix_after_rejection", "retry_failed_step"]


def _rewire(steps: list[Step], old: str, new: str) -> list[Step]:
    """Make every unfinished step that depended on ``old`` depend on ``new`` instead."""
    out = []
    for s in steps:
        if old in s.depends_on and s.status == StepStatus.PENDING:
            s = s.model_copy(update={"depends_on": tuple(new if d == old else d for d in s.depends_on)})
        out.append(s)
    return out


def _next_id(plan: Plan, base: str, tag: str) -> str:
    # Readable, but never parsed: lineage is in retry_of / fix_of.
    ids = {s.id for s in plan.steps}
    n = 1
    while f"{base}.{tag}{n}" in ids:
        n += 1
    return f"{base}.{tag}{n}"


def retry_failed_step(plan: Plan, step_id: str, error: str, attempts: int, max_attempts: int) -> Plan | None:
    """Replace a failed step by a retry that knows why the last attempt failed.

    Returns None when the step has used ``max_attempts``.
    """
    if attempts >= max_attempts:
        return None
    failed = plan.step(step_id)
    retry = failed.model_copy(
        update={
            "id": _next_id(plan, plan.origin(step_id), "r"),
            "retry_of": failed.id,
            "instruction": (
                f"{failed.instruction}\nThe previous attempt failed: {error[:500]}. Take a different approach."
            ),
            "status": StepStatus.PENDING,
        }
    )
    steps = _rewire(list(plan.steps), failed.id, retry.id) + [retry]
    return plan.model_copy(update={"version": plan.version + 1, "steps": tuple(steps)})


def fix_after_rejection(plan: Plan, qa_step_id: str, producer_id: str, defects: list[str]) -> Plan:
    """After QA rejected ``producer_id``'s output: a fix step by the same role, then a fresh QA step."""
    qa = plan.step(qa_step_id)
    producer = plan.step(producer_id)
    listed = "\n".join(f"- {d}" for d in defects[:20])
    fix = Step(
        id=_next_id(plan, plan.origin(producer.id), "fix"),
        fix_of=producer.id,
        role=producer.role,
        instruction=f"{producer.instruction}\nQA rejected the previous version. Fix these defects:\n{listed}",
        depends_on=tuple(d for d in qa.depends_on if d != producer.id) + (producer.id,),
        allowed_tools=producer.allowed_tools,
        acceptance=producer.acceptance,
    )
    check = qa.model_copy(
        update={
            "id": _next_id(plan, plan.origin(qa.id), "v"),
            "retry_of": qa.id,
            "depends_on": tuple(d for d in qa.depends_on if d != producer.id) + (fix.id,),
            "status": StepStatus.PENDING,
        }
    )
    steps = _rewire(list(plan.steps), qa.id, check.id) + [fix, check]
    return plan.model_copy(update={"version": plan.version + 1, "steps": tuple(steps)})


def add_follow_ups(plan: Plan, source_id: str, follow_ups: list[Step]) -> Plan:
    """Insert steps that new facts from ``source_id`` call for; steps waiting on it wait on them too."""
    existing = {s.id for s in plan.steps}
    added = [s for s in follow_ups if s.id not in existing]
    if not added:
        return plan
    new_ids = tuple(s.id for s in added)
    steps = []
    for s in plan.steps:
        if source_id in s.depends_on and s.status == StepStatus.PENDING:
            s = s.model_copy(update={"depends_on": s.depends_on + new_ids})
        steps.append(s)
    return plan.model_copy(update={"version": plan.version + 1, "steps": tuple(steps + added)})
