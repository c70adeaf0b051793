"""Tool calls and their results, as they cross the agent boundary."""

from __future__ import annotations

from typing import Literal

from pydantic import Field

from agentrt.contracts._base import Contract, JsonObject, JsonValue
from agentrt.contracts.failure import ErrorInfo
from agentrt.contracts.ids import CallId, Name

__all__ = ["UNTRUSTED_ORIGINS", "ArgumentOrigin", "Origin", "ToolCall", "ToolResult", "ToolSpec"]

Origin = Literal["user", "system", "tool_output", "document", "memory", "step_output", "unverified"]
"""Where a value came from: the user (goal, attachments), the system, a tool's output, a retrieved document,
a memory record, an earlier step's output, or nowhere the runtime has seen (``unverified``: the model wrote it)."""

UNTRUSTED_ORIGINS: frozenset[str] = frozenset({"tool_output", "document", "memory", "step_output"})
"""Origins whose content is data, never an instruction."""


class ToolSpec(Contract):
    """A tool as the model sees it: name, description and JSON schema of its arguments."""

    kind: Literal["tool_spec"] = "tool_spec"
    name: Name
    description: str
    parameters: JsonObject
    writes: bool = False


class ArgumentOrigin(Contract):
    """Where one identifying value of a call's arguments came from.

    ``path`` is the argument (``to``, ``items[0].iban``), ``value`` the identifying value found in it (an
    address, URL, host, account, id or path), ``value_kind`` what it looks like, ``origin`` the most trusted
    place it was seen, and ``sources`` the untrusted places it was seen (``tool:search``, ``doc:...``).
    """

    kind: Literal["argument_origin"] = "argument_origin"
    path: str
    value: str
    value_kind: Literal["email", "url", "host", "account", "id", "path", "value"]
    origin: Origin
    sources: tuple[str, ...] = ()

    @property
    def untrusted(self) -> bool:
        """True when the value was seen only in untrusted content."""
        return self.origin in UNTRUSTED_ORIGINS


class ToolCall(Contract):
    """A request to run a tool.

    ``provenance`` is filled by the runtime, never by the model: where each identifying argument value came
    from, as the policy gate and the approval request see it.
    """

    kind: Literal["tool_call"] = "tool_call"
    id: CallId
    tool: Name
    arguments: JsonObject = Field(default_factory=dict)
    idempotency_key: str | None = None
    provenance: tuple[ArgumentOrigin, ...] = ()


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
