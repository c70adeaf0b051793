"""The run state machine and the checkpointed state of a run."""

from __future__ import annotations

from enum import StrEnum
from typing import Literal

from pydantic import Field

from agentrt.contracts._base import Contract, JsonObject, Timestamp, utcnow
from agentrt.contracts.approval import ApprovalRequest, ClarificationRequest
from agentrt.contracts.goal import Goal
from agentrt.contracts.ids import RunId, StepId
from agentrt.contracts.plan import Plan
from agentrt.contracts.task import Artifact, Cost, TaskResult

__all__ = ["RunState", "RunStatus", "TERMINAL_STATUSES"]


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
    pending_question: ClarificationRequest | None = None
    intake: JsonObject = Field(default_factory=dict)
    output: str = ""
    error: str = ""
    verified: bool = False
    memory_refs: tuple[str, ...] = ()
    created_at: Timestamp = Field(default_factory=utcnow)
    updated_at: Timestamp = Field(default_factory=utcnow)

    @property
    def terminal(self) -> bool:
        """True once the run can no longer change."""
        return self.status in TERMINAL_STATUSES
