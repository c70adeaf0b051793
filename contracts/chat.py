"""The conversation a chat model sees and the reply it gives."""

from __future__ import annotations

from typing import Literal

from pydantic import Field

from agentrt.contracts._base import Contract
from agentrt.contracts.tools import ToolCall

__all__ = ["ChatMessage", "ModelReply", "Usage"]


class ChatMessage(Contract):
    """One message of a chat: system, user, assistant (maybe with tool calls) or a tool's answer."""

    kind: Literal["chat_message"] = "chat_message"
    role: Literal["system", "user", "assistant", "tool"]
    content: str = ""
    tool_calls: tuple[ToolCall, ...] = ()
    tool_call_id: str | None = None
    name: str | None = None


class Usage(Contract):
    """Tokens a model call used."""

    kind: Literal["usage"] = "usage"
    prompt_tokens: int = Field(default=0, ge=0)
    completion_tokens: int = Field(default=0, ge=0)


class ModelReply(Contract):
    """An assistant turn: text and/or tool calls, with usage and where it came from."""

    kind: Literal["model_reply"] = "model_reply"
    text: str = ""
    tool_calls: tuple[ToolCall, ...] = ()
    usage: Usage = Usage()
    model: str = ""
    offline: bool = False
    cost_usd: float = Field(default=0.0, ge=0)
