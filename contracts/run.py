"""The run state machine and the checkpointed state of a run."""

from __future__ import annotations

import secrets
from collections.abc import Mapping
from enum import StrEnum
from types import MappingProxyType
from typing import Literal

from pydantic import Field

from agentrt.contracts._base import Contract, JsonObject, Timestamp, utcnow
from agentrt.contracts.approval import ApprovalRequest, ClarificationRequest
from agentrt.contracts.errors import IllegalTransition
from agentrt.contracts.goal import Goal
from agentrt.contracts.ids import RunId, StepId
from agentrt.contracts.plan import Plan
from agentrt.contracts.task import Artifact, Cost, TaskResult

__all__ = ["RUN_TRANSITIONS", "TERMINAL_STATUSES", "RunState", "RunStatus", "check_transition", "state_diagram"]


class RunStatus(StrEnum):
    """States of a run."""

    INTAKE = "intake"
    PLAN = "plan"
    EXECUTE = "execute"
    VERIFY = "verify"
    OUTPUT = "output"
    WAITING_APPROVAL = "waiting_approval"
    WAITING_INPUT = "waiting_input"
    DONE = "done"
    FAILED = "failed"
    CANCELLED = "cancelled"


TERMINAL_STATUSES = frozenset({RunStatus.DONE, RunStatus.FAILED, RunStatus.CANCELLED})

_S = RunStatus
_ENDS = (_S.FAILED, _S.CANCELLED)  # every live run may fail or be cancelled

RUN_TRANSITIONS: Mapping[RunStatus, frozenset[RunStatus]] = MappingProxyType({
    _S.INTAKE: frozenset({_S.PLAN, _S.WAITING_INPUT, *_ENDS}),
    _S.PLAN: frozenset({_S.EXECUTE, *_ENDS}),
    _S.EXECUTE: frozenset({_S.VERIFY, _S.OUTPUT, _S.WAITING_APPROVAL, *_ENDS}),
    _S.VERIFY: frozenset({_S.EXECUTE, _S.OUTPUT, _S.WAITING_APPROVAL, *_ENDS}),
    _S.OUTPUT: frozenset({_S.DONE, *_ENDS}),
    _S.WAITING_APPROVAL: frozenset({_S.EXECUTE, *_ENDS}),
    _S.WAITING_INPUT: frozenset({_S.INTAKE, *_ENDS}),
    _S.DONE: frozenset(),
    _S.FAILED: frozenset(),
    _S.CANCELLED: frozenset(),
})
"""The run state machine: the states a run may move to from each state. Terminal states lead nowhere."""


def check_transition(source: RunStatus, target: RunStatus) -> None:
    """Raise :class:`~agentrt.contracts.errors.IllegalTransition` unless ``source → target`` is in the table.

    Staying in the same state is not a transition and always passes.
    """
    if source != target and target not in RUN_TRANSITIONS[source]:
        allowed = ", ".join(sorted(s.value for s in RUN_TRANSITIONS[source])) or "nothing (terminal)"
        raise IllegalTransition(f"a run cannot move from {source.value} to {target.value}; from {source.value}: "
                                f"{allowed}", source=source.value, target=target.value)


def state_diagram() -> str:
    """The state machine as a Mermaid ``stateDiagram-v2``, generated from :data:`RUN_TRANSITIONS`."""
    lines = ["stateDiagram-v2", f"    [*] --> {RunStatus.INTAKE.value}"]
    for source in RunStatus:
        lines += [f"    {source.value} --> {target.value}" for target in sorted(RUN_TRANSITIONS[source])]
    lines += [f"    {status.value} --> [*]" for status in sorted(TERMINAL_STATUSES)]
    return "\n".join(lines) + "\n"


class RunState(Contract):
    """Everything needed to inspect, resume or replay a run; written after every transition."""

    kind: Literal["run_state"] = "run_state"
    run_id: RunId
    goal: Goal
    status: RunStatus = RunStatus.INTAKE
    plan: Plan | None = None
    results: dict[StepId, TaskResult] = Field(default_factory=dict)
    artifacts: tuple[Artifact, ...] = ()
    cost: Cost = Cost()
    replans: int = Field(default=0, ge=0)
    pending_approvals: tuple[ApprovalRequest, ...] = ()
    approved_calls: tuple[str, ...] = ()
    rejected_calls: tuple[str, ...] = ()
    pending_question: ClarificationRequest | None = None
    intake: JsonObject = Field(default_factory=dict)
    output: str = ""
    error: str = ""
    verified: bool = False
    memory_refs: tuple[str, ...] = ()
    fence: str = Field(default_factory=lambda: secrets.token_hex(12), max_length=64)
    created_at: Timestamp = Field(default_factory=utcnow)
    updated_at: Timestamp = Field(default_factory=utcnow)

    @property
    def terminal(self) -> bool:
        """True once the run can no longer change."""
        return self.status in TERMINAL_STATUSES
