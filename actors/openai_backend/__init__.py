"""The OpenAI backend: a chat model over any OpenAI-compatible endpoint, and a local server speaking that protocol."""

from __future__ import annotations

from agentrt.actors.openai_backend.model import OpenAIChatModel, OpenAIModelConfig
from agentrt.actors.openai_backend.replies import (
    ScriptedToolCall,
    ServerReply,
    chat_request,
    responder_for,
    response_format_of,
)
from agentrt.actors.openai_backend.server import OpenAIProtocolServer, hashed_vector

__all__ = [
    "OpenAIChatModel",
    "OpenAIModelConfig",
    "OpenAIProtocolServer",
    "ScriptedToolCall",
    "ServerReply",
    "chat_request",
    "hashed_vector",
    "responder_for",
    "response_format_of",
]
