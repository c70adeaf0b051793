"""Approval gates: a risky action waits for a person's decision."""

from __future__ import annotations

from typing import Literal

from pydantic import Field

from agentrt.contracts._base import Contract, JsonObject, Timestamp, utcnow
from agentrt.contracts.ids import Name, RequestId, RunId, StepId, TenantId, UserId

__all__ = ["ApprovalDecision", "ApprovalRequest", "ClarificationAnswer", "ClarificationRequest"]


class ApprovalRequest(Contract):
    """A risky tool call held until a person approves or rejects it."""

    kind: Literal["approval_request"] = "approval_request"
    id: RequestId
    run_id: RunId
    step_id: StepId
    tool: Name
    arguments: JsonObject = Field(default_factory=dict)
    reason: str = ""
    created_at: Timestamp = Field(default_factory=utcnow)


class ApprovalDecision(Contract):
    """A person's answer to an approval request."""

    kind: Literal["approval_decision"] = "approval_decision"
    tenant: TenantId
    request_id: RequestId
    approved: bool
    decided_by: UserId
    reason: str = ""
    decided_at: Timestamp = Field(default_factory=utcnow)


class ClarificationRequest(Contract):
    """A question the run asks its user before it can plan."""

    kind: Literal["clarification_request"] = "clarification_request"
    id: RequestId
    run_id: RunId
    question: str
    created_at: Timestamp = Field(default_factory=utcnow)


class ClarificationAnswer(Contract):
    """The user's answer to a clarifying question."""

    kind: Literal["clarification_answer"] = "clarification_answer"
    tenant: TenantId
    request_id: RequestId
    run_id: RunId
    answer: str = Field(min_length=1, max_length=8000)
