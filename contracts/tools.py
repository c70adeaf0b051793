"""Tool calls and their results, as they cross the agent boundary."""

from __future__ import annotations

from typing import Literal

from pydantic import Field

from agentrt.contracts._base import Contract, JsonObject, JsonValue
from agentrt.contracts.ids import CallId, Name
from agentrt.contracts.task import ErrorInfo

__all__ = ["ToolCall", "ToolResult", "ToolSpec"]


class ToolSpec(Contract):
    """A tool as the model sees it: name, description and JSON schema of its arguments."""

    kind: Literal["tool_spec"] = "tool_spec"
    name: Name
    description: str
    parameters: JsonObject
    writes: bool = False


class ToolCall(Contract):
    """A request to run a tool."""

    kind: Literal["tool_call"] = "tool_call"
    id: CallId
    tool: Name
    arguments: JsonObject = Field(default_factory=dict)
    idempotency_key: str | None = None


class ToolResult(Contract):
    """The outcome of a tool call: ``output`` on success, ``error`` otherwise."""

    kind: Literal["tool_result"] = "tool_result"
    call_id: CallId
    tool: Name
    ok: bool
    output: JsonValue = None
    error: ErrorInfo | None = None
    attempts: int = Field(default=1, ge=0)
    latency_s: float = Field(default=0.0, ge=0)
    cached: bool = False
