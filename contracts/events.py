"""The run trace: one event per transition, model call, tool call and decision."""

from __future__ import annotations

from typing import Literal

from pydantic import Field

from agentrt.contracts._base import Contract, JsonObject, Timestamp, utcnow
from agentrt.contracts.failure import ErrorInfo
from agentrt.contracts.ids import RunId, StepId

__all__ = ["EventType", "RunEvent"]

EventType = Literal[
    "run_state",
    "plan",
    "replan",
    "step_started",
    "step_finished",
    "step_redispatched",
    "model_call",
    "tool_call",
    "answer_invalid",
    "proposal",
    "approval_requested",
    "approval_decided",
    "clarification_requested",
    "conflict_resolved",
    "memory",
    "budget",
    "note",
]


class RunEvent(Contract):
    """One trace record. ``data`` holds event-specific fields, already redacted."""

    kind: Literal["run_event"] = "run_event"
    run_id: RunId
    type: EventType
    at: Timestamp = Field(default_factory=utcnow)
    seq: int = Field(default=0, ge=0)
    step_id: StepId | None = None
    actor: str = ""
    data: JsonObject = Field(default_factory=dict)
    latency_s: float | None = Field(default=None, ge=0)
    tokens: int | None = Field(default=None, ge=0)
    error: ErrorInfo | None = None
