"""Replies the local OpenAI-protocol server plays back: answers, tool calls and injected faults.

A :class:`ServerReply` is one HTTP answer to ``POST /v1/chat/completions``::

    ServerReply.answer("done")                            # a final assistant message
    ServerReply.call("search", {"query": "refunds"})      # one tool call
    ServerReply.calls(("a", {}), ("b", {"x": 1}))         # parallel tool calls
    ServerReply.failure(500)                              # HTTP 500 (429 with retry_after_s=...)
    ServerReply.malformed_call("search", '{"query": ')    # arguments that are not JSON
    ServerReply.answer("late").delayed(2.0)               # answered after a delay

Replies serialise to JSON (:meth:`ServerReply.to_json`), which is what a
recording file holds.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import Callable, Mapping
from dataclasses import dataclass, replace
from typing import Any

from agentrt.actors._answer import takes_response_format
from agentrt.contracts import ChatMessage, ChatModel, JsonObject, ModelReply, ResponseFormat, ToolCall, ToolSpec

__all__ = ["ScriptedToolCall", "ServerReply", "chat_request", "responder_for"]


@dataclass(frozen=True, slots=True)
class ScriptedToolCall:
    """A tool call as the server sends it: the arguments are raw text, so they may be broken JSON."""

    name: str
    arguments: str
    id: str | None = None


@dataclass(frozen=True, slots=True)
class ServerReply:
    """One scripted HTTP answer of the chat-completions endpoint.

    Args:
        text: Assistant text (None sends ``content: null``).
        tool_calls: Tool calls to send.
        prompt_tokens: Usage reported.
        completion_tokens: Usage reported.
        status: HTTP status; anything but 200 sends an OpenAI-style error body.
        error: Error message for a failure.
        delay_s: Wait this long before answering.
        headers: Extra response headers (e.g. ``retry-after-ms``).
    """

    text: str | None = None
    tool_calls: tuple[ScriptedToolCall, ...] = ()
    prompt_tokens: int = 20
    completion_tokens: int = 10
    status: int = 200
    error: str = ""
    delay_s: float = 0.0
    headers: tuple[tuple[str, str], ...] = ()

    @classmethod
    def answer(cls, text: str, prompt_tokens: int = 20, completion_tokens: int = 10) -> ServerReply:
        """A final assistant message."""
        return cls(text=text, prompt_tokens=prompt_tokens, completion_tokens=completion_tokens)

    @classmethod
    def call(cls, tool: str, arguments: Mapping[str, Any] | None = None, call_id: str | None = None) -> ServerReply:
        """A turn with one tool call."""
        return cls(tool_calls=(ScriptedToolCall(tool, json.dumps(dict(arguments or {})), call_id),))

    @classmethod
    def calls(cls, *calls: tuple[str, Mapping[str, Any]]) -> ServerReply:
        """A turn with several tool calls, to be run in parallel."""
        return cls(tool_calls=tuple(ScriptedToolCall(name, json.dumps(dict(args))) for name, args in calls))

    @classmethod
    def failure(cls, status: int = 500, message: str = "", retry_after_s: float | None = None) -> ServerReply:
        """An HTTP error; ``retry_after_s`` adds a ``retry-after-ms`` header."""
        headers = () if retry_after_s is None else (("retry-after-ms", str(int(retry_after_s * 1000))),)
        return cls(status=status, error=message or f"injected HTTP {status}", headers=headers)

    @classmethod
    def malformed_call(cls, tool: str, raw_arguments: str = '{"broken": ') -> ServerReply:
        """A tool call whose arguments are not valid JSON."""
        return cls(tool_calls=(ScriptedToolCall(tool, raw_arguments),))

    @classmethod
    def from_model_reply(cls, reply: ModelReply) -> ServerReply:
        """The server-side form of a model's reply."""
        calls = tuple(ScriptedToolCall(c.tool, json.dumps(c.arguments), c.id) for c in reply.tool_calls)
        return cls(text=reply.text or None, tool_calls=calls, prompt_tokens=reply.usage.prompt_tokens,
                   completion_tokens=reply.usage.completion_tokens)  # fmt: skip

    def delayed(self, seconds: float) -> ServerReply:
        """The same reply, sent after ``seconds``."""
        return replace(self, delay_s=seconds)

    def to_json(self) -> JsonObject:
        """The reply as a JSON object (the form a recording stores)."""
        return {
            "text": self.text,
            "tool_calls": [{"name": c.name, "arguments": c.arguments, "id": c.id} for c in self.tool_calls],
            "prompt_tokens": self.prompt_tokens, "completion_tokens": self.completion_tokens,
            "status": self.status, "error": self.error, "delay_s": self.delay_s,
            "headers": [list(h) for h in self.headers],
        }  # fmt: skip

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> ServerReply:
        """Read a reply stored by :meth:`to_json`; tool-call arguments may be given as an object."""
        calls = tuple(
            ScriptedToolCall(
                str(c["name"]),
                c["arguments"] if isinstance(c.get("arguments"), str) else json.dumps(c.get("arguments") or {}),
                c.get("id"),
            )
            for c in data.get("tool_calls") or ()
        )
        return cls(
            text=data.get("text"), tool_calls=calls, prompt_tokens=int(data.get("prompt_tokens", 20)),
            completion_tokens=int(data.get("completion_tokens", 10)), status=int(data.get("status", 200)),
            error=str(data.get("error", "")), delay_s=float(data.get("delay_s", 0.0)),
            headers=tuple((str(k), str(v)) for k, v in data.get("headers") or ()),
        )  # fmt: skip


def chat_request(body: Mapping[str, Any]) -> tuple[list[ChatMessage], list[ToolSpec]]:
    """Read a chat-completions request body back into chat messages and tool specs."""
    messages = []
    for raw in body.get("messages") or ():
        content = raw.get("content") or ""
        if isinstance(content, list):
            content = "".join(str(p.get("text", "")) for p in content if isinstance(p, dict))
        calls = tuple(
            ToolCall(id=c["id"], tool=c["function"]["name"], arguments=json.loads(c["function"]["arguments"] or "{}"))
            for c in raw.get("tool_calls") or ()
        )
        messages.append(ChatMessage(role=raw["role"], content=content, tool_calls=calls,
                                    tool_call_id=raw.get("tool_call_id"), name=raw.get("name")))  # fmt: skip
    tools = [
        ToolSpec(name=t["function"]["name"], description=t["function"].get("description", ""),
                 parameters=t["function"].get("parameters") or {})  # fmt: skip
        for t in body.get("tools") or ()
    ]
    return messages, tools


def response_format_of(body: Mapping[str, Any]) -> ResponseFormat | None:
    """The JSON-schema response format of a chat-completions request body, if it asks for one."""
    raw = body.get("response_format")
    spec = raw.get("json_schema") if isinstance(raw, dict) and raw.get("type") == "json_schema" else None
    if not isinstance(spec, dict) or not isinstance(spec.get("schema"), dict):
        return None
    return ResponseFormat(name=str(spec.get("name") or "answer"), json_schema=spec["schema"])


def responder_for(model: ChatModel) -> Callable[[Mapping[str, Any]], ServerReply]:
    """A responder that answers each request by asking ``model`` (e.g. the offline model).

    With it the server plays any workflow the model can, in any order and in
    parallel, so end-to-end runs exercise the real HTTP path of the OpenAI backend.
    """
    structured = takes_response_format(model)

    def respond(body: Mapping[str, Any]) -> ServerReply:
        messages, tools = chat_request(body)
        fmt = response_format_of(body)
        asking = model.complete(messages, tools, response_format=fmt) if structured else model.complete(messages, tools)
        return ServerReply.from_model_reply(asyncio.run(asking))

    return respond
