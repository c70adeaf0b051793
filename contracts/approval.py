"""Approval gates: a risky action waits for a person's decision."""

from __future__ import annotations

from typing import Literal

from pydantic import Field

from agentrt.contracts._base import Contract, JsonObject, Timestamp, utcnow
from agentrt.contracts.ids import Name, RequestId, RunId, StepId, TenantId, UserId
from agentrt.contracts.result import Provenance, StepProposal
from agentrt.contracts.tools import ArgumentOrigin

__all__ = ["ApprovalDecision", "ApprovalRequest", "ClarificationAnswer", "ClarificationRequest"]


class ApprovalRequest(Contract):
    """A risky action held until a person approves or rejects it.

    ``subject`` says what waits: a ``tool_call`` (``tool`` with ``arguments``, in step ``step_id``),
    with ``arguments_from`` saying where each identifying argument value came from),
    or a ``step_proposal``: step ``step_id`` was proposed by a specialist (``proposal``) after it
    read untrusted content (``provenance``) and could write; approved, it runs; rejected, it is skipped.
    """

    kind: Literal["approval_request"] = "approval_request"
    id: RequestId
    run_id: RunId
    step_id: StepId
    subject: Literal["tool_call", "step_proposal"] = "tool_call"
    tool: Name | None = None
    arguments: JsonObject = Field(default_factory=dict)
    reason: str = ""
    proposal: StepProposal | None = None
    provenance: Provenance | None = None
    arguments_from: tuple[ArgumentOrigin, ...] = ()
    created_at: Timestamp = Field(default_factory=utcnow)

    def describe(self) -> str:
        """What waits, in a few words, for a person deciding it."""
        if self.subject == "step_proposal" and self.proposal is not None:
            sources = ", ".join(self.provenance.sources[:5]) if self.provenance else "unknown"
            return f"new {self.proposal.role} step proposed after reading {sources}: {self.proposal.instruction[:200]}"
        seen = [f"{a.path}={a.value!r} from {', '.join(a.sources) or a.origin}" for a in self.arguments_from
                if a.origin != "user"]  # fmt: skip
        return f"{self.tool} {self.arguments}" + (f" ({'; '.join(seen[:5])})" if seen else "")


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
