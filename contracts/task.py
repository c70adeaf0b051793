"""Delegation: the assignment a specialist receives and the result it returns."""

from __future__ import annotations

from enum import StrEnum
from typing import Literal

from pydantic import Field

from agentrt.contracts._base import Contract, JsonValue, Timestamp
from agentrt.contracts.approval import ApprovalRequest
from agentrt.contracts.chat import ChatMessage
from agentrt.contracts.events import RunEvent
from agentrt.contracts.failure import ErrorInfo
from agentrt.contracts.goal import Budget
from agentrt.contracts.identity import Identity
from agentrt.contracts.ids import Name, RunId, StepId
from agentrt.contracts.plan import Step
from agentrt.contracts.result import QAVerdict, StepFact, StepProposal
from agentrt.contracts.tools import ToolCall

__all__ = [
    "Artifact",
    "Citation",
    "ContextItem",
    "Cost",
    "ErrorInfo",
    "StepResume",
    "TaskAssignment",
    "TaskResult",
    "TaskStatus",
]


class Citation(Contract):
    """Where a claim came from: a document, a record, an artifact or a tool output."""

    kind: Literal["citation"] = "citation"
    source: str = Field(min_length=1, max_length=512)
    locator: str = ""
    quote: str = Field(default="", max_length=4000)


class Artifact(Contract):
    """A named output of a step: text for people, ``data`` for other steps."""

    kind: Literal["artifact"] = "artifact"
    name: Name
    media_type: str = "text/plain"
    text: str = ""
    data: JsonValue = None
    produced_by: StepId | None = None
    citations: tuple[Citation, ...] = ()


class ContextItem(Contract):
    """One piece of context given to a step, with its source and priority (lower is more important)."""

    kind: Literal["context_item"] = "context_item"
    source: str
    text: str
    priority: int = Field(default=5, ge=0, le=9)
    tokens: int = Field(default=0, ge=0)


class Cost(Contract):
    """What a step or run spent."""

    kind: Literal["cost"] = "cost"
    prompt_tokens: int = Field(default=0, ge=0)
    completion_tokens: int = Field(default=0, ge=0)
    usd: float = Field(default=0.0, ge=0)
    model_calls: int = Field(default=0, ge=0)
    tool_calls: int = Field(default=0, ge=0)

    @property
    def tokens(self) -> int:
        """Prompt plus completion tokens."""
        return self.prompt_tokens + self.completion_tokens

    def __add__(self, other: Cost) -> Cost:
        return Cost(
            prompt_tokens=self.prompt_tokens + other.prompt_tokens,
            completion_tokens=self.completion_tokens + other.completion_tokens,
            usd=self.usd + other.usd,
            model_calls=self.model_calls + other.model_calls,
            tool_calls=self.tool_calls + other.tool_calls,
        )


class TaskStatus(StrEnum):
    """How a step attempt ended."""

    SUCCEEDED = "succeeded"
    FAILED = "failed"
    NEEDS_APPROVAL = "needs_approval"


class StepResume(Contract):
    """Where a step paused for a person's approval, so it resumes there without re-running earlier turns.

    ``messages`` is the conversation up to the paused turn, ``calls`` that turn's tool calls (the held one
    among them), and the rest is what the step had produced and spent so far. It lives in the run's
    working state and goes back to the specialist in the assignment once the call is decided.
    """

    kind: Literal["step_resume"] = "step_resume"
    messages: tuple[ChatMessage, ...]
    calls: tuple[ToolCall, ...]
    artifacts: tuple[Artifact, ...] = ()
    citations: tuple[Citation, ...] = ()
    cost: Cost = Cost()
    sources: tuple[str, ...] = ()
    repairs: int = Field(default=0, ge=0)
    answer_repaired: bool = False
    turns: int = Field(default=0, ge=0)
    fence: str = ""


class TaskAssignment(Contract):
    """A step handed to a specialist, with everything it may use.

    ``approved_calls`` and ``rejected_calls`` are the approval ids a person decided; ``resume`` is where the
    step paused for one of them; ``fence`` is the run's random boundary around untrusted data.
    """

    kind: Literal["task_assignment"] = "task_assignment"
    run_id: RunId
    step: Step
    caller: Identity
    goal_text: str = ""
    context: tuple[ContextItem, ...] = ()
    inputs: tuple[Artifact, ...] = ()
    budget: Budget = Budget()
    attempt: int = Field(default=1, ge=1)
    deadline: Timestamp | None = None
    approved_calls: tuple[str, ...] = ()
    rejected_calls: tuple[str, ...] = ()
    resume: StepResume | None = None
    fence: str = Field(default="", max_length=64)


class TaskResult(Contract):
    """What a specialist returns for an assignment. A failure within the rules is a value, not an exception.

    ``artifacts`` are everything the step produced (tool outputs included) for later steps to read.
    The typed fields are filled only from the step's validated final answer, never from a tool's
    output: ``deliverable`` (the answer, also among ``artifacts``), ``facts``, ``verdict`` (verifying
    roles), ``follow_ups`` (proposals the supervisor admits or not); ``pending_approval`` is the call
    the step's policy held. ``untrusted_sources`` names what untrusted content (tool outputs, inputs,
    documents, memory) the step's model read, which is the provenance of its proposals. ``events``
    are the step's trace events not yet sent on their own: they travel with the result, and the
    supervisor records them before the step's end (they are not kept in the run state).
    """

    kind: Literal["task_result"] = "task_result"
    run_id: RunId
    step_id: StepId
    status: TaskStatus
    role: Name
    summary: str = ""
    artifacts: tuple[Artifact, ...] = ()
    citations: tuple[Citation, ...] = ()
    cost: Cost = Cost()
    error: ErrorInfo | None = None
    agent: str = ""
    offline: bool = False
    deliverable: Artifact | None = None
    facts: tuple[StepFact, ...] = ()
    verdict: QAVerdict | None = None
    follow_ups: tuple[StepProposal, ...] = ()
    pending_approval: ApprovalRequest | None = None
    untrusted_sources: tuple[str, ...] = ()
    resume: StepResume | None = None
    events: tuple[RunEvent, ...] = ()
