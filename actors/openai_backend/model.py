"""A chat model on any OpenAI-compatible endpoint (OpenAI, vLLM, Ollama, llama.cpp server, LiteLLM).

Native tool calling: each :class:`~agentrt.contracts.ToolSpec` goes out as a
``{"type": "function", ...}`` tool, and the reply's tool calls come back as
:class:`~agentrt.contracts.ToolCall`. Failures the endpoint may recover from (HTTP 429,
408, 409, 5xx, connection errors, timeouts) are retried with exponential
backoff and jitter, honouring ``Retry-After``; the rest, and the last failure,
raise :class:`~agentrt.contracts.ModelError`. A tool call whose arguments are not a
JSON object raises :class:`~agentrt.contracts.MalformedToolCall`, which the agent loop
answers by asking again.

Configuration is one frozen model (the deployed runtime builds it from
``agentrt.cluster.ModelSettings``, the one reader of the environment)::

    model = OpenAIChatModel(OpenAIModelConfig(base_url="http://127.0.0.1:8000/v1", model="qwen2.5-7b"))
"""

from __future__ import annotations

import asyncio
import json
import random
import re
from collections.abc import Sequence
from typing import Any

import openai
from pydantic import BaseModel, ConfigDict, Field, SecretStr, ValidationError

from agentrt.contracts import (
    ChatMessage,
    MalformedToolCall,
    ModelError,
    ModelReply,
    ResponseFormat,
    ToolCall,
    ToolSpec,
    Usage,
    new_id,
)

__all__ = ["OpenAIChatModel", "OpenAIModelConfig"]

_RETRYABLE_STATUS = frozenset({408, 409, 429})
_CALL_ID = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.:@\-]{0,127}$")


class OpenAIModelConfig(BaseModel):
    """How to reach an OpenAI-compatible chat endpoint, and what its tokens cost.

    Args:
        base_url: Endpoint root such as ``http://127.0.0.1:8000/v1``; None for api.openai.com.
        api_key: Bearer key; local servers usually accept any value.
        model: Model name sent with every request.
        timeout_s: Time limit of one HTTP request.
        max_retries: Retries after a retryable failure (so ``max_retries + 1`` attempts).
        backoff_base_s: First backoff delay; it doubles per retry.
        backoff_max_s: Longest single backoff delay (and the cap on an honoured Retry-After).
        prompt_usd_per_1k: Price of 1000 prompt tokens.
        completion_usd_per_1k: Price of 1000 completion tokens.
        temperature: Sampling temperature; None leaves the endpoint's default.
        max_completion_tokens: Cap on reply tokens; None leaves the endpoint's default.
    """

    model_config = ConfigDict(frozen=True, extra="forbid")

    base_url: str | None = None
    api_key: SecretStr = SecretStr("unused")
    model: str = Field(default="gpt-4o-mini", min_length=1)
    timeout_s: float = Field(default=60.0, gt=0)
    max_retries: int = Field(default=3, ge=0, le=20)
    backoff_base_s: float = Field(default=0.5, ge=0)
    backoff_max_s: float = Field(default=20.0, ge=0)
    prompt_usd_per_1k: float = Field(default=0.0, ge=0)
    completion_usd_per_1k: float = Field(default=0.0, ge=0)
    temperature: float | None = Field(default=None, ge=0, le=2)
    max_completion_tokens: int | None = Field(default=None, ge=1)


class OpenAIChatModel:
    """:class:`~agentrt.contracts.ChatModel` over the ``openai`` package's async client.

    Args:
        config: Endpoint, model, limits and prices.
        seed: Seed of the backoff jitter (None for a random one).
    """

    def __init__(self, config: OpenAIModelConfig, *, seed: int | None = None) -> None:
        self.config = config
        self._rng = random.Random(seed)
        self._client: openai.AsyncOpenAI | None = None
        self._loop: asyncio.AbstractEventLoop | None = None

    def __getstate__(self) -> dict[str, Any]:
        # The HTTP client belongs to one process and event loop; a copy makes its own.
        return {"config": self.config, "_rng": self._rng, "_client": None, "_loop": None}

    async def complete(
        self, messages: Sequence[ChatMessage], tools: Sequence[ToolSpec], *,
        response_format: ResponseFormat | None = None,
    ) -> ModelReply:  # fmt: skip
        """Send the conversation, tool schemas and response format; return the assistant turn with usage and cost."""
        request: dict[str, Any] = {"model": self.config.model, "messages": [_wire_message(m) for m in messages]}
        if tools:
            request["tools"] = [_wire_tool(t) for t in tools]
        if response_format is not None:
            request["response_format"] = response_format.wire()
        if self.config.temperature is not None:
            request["temperature"] = self.config.temperature
        if self.config.max_completion_tokens is not None:
            request["max_completion_tokens"] = self.config.max_completion_tokens
        response = await self._send(request)
        return self._reply(response)

    async def aclose(self) -> None:
        """Close the HTTP client."""
        if self._client is not None:
            await self._client.close()
            self._client = None

    def _http(self) -> openai.AsyncOpenAI:
        loop = asyncio.get_running_loop()
        if self._client is None or self._loop is not loop:
            self._client = openai.AsyncOpenAI(
                api_key=self.config.api_key.get_secret_value(), base_url=self.config.base_url,
                timeout=self.config.timeout_s, max_retries=0,
            )  # fmt: skip
            self._loop = loop
        return self._client

    async def _send(self, request: dict[str, Any]) -> Any:
        for attempt in range(self.config.max_retries + 1):
            try:
                return await self._http().chat.completions.create(**request)
            except openai.APIStatusError as exc:
                retryable = exc.status_code in _RETRYABLE_STATUS or exc.status_code >= 500
                failure = ModelError(f"model endpoint answered HTTP {exc.status_code}: {_brief(exc)}",
                                     status=exc.status_code, attempts=attempt + 1)  # fmt: skip
                wait = _retry_after(exc)
            except (openai.APIConnectionError, openai.APIResponseValidationError) as exc:
                retryable = isinstance(exc, openai.APIConnectionError)
                failure = ModelError(f"model endpoint unreachable or garbled: {type(exc).__name__}: {exc}",
                                     attempts=attempt + 1)  # fmt: skip
                wait = None
            if not retryable or attempt == self.config.max_retries:
                raise failure
            await asyncio.sleep(self._backoff(attempt, wait))
        raise ModelError("model endpoint retries exhausted")  # pragma: no cover - the loop always returns or raises

    def _backoff(self, attempt: int, retry_after: float | None) -> float:
        if retry_after is not None:
            return min(retry_after, self.config.backoff_max_s)
        raw = min(self.config.backoff_max_s, self.config.backoff_base_s * 2**attempt)
        return float(raw * (0.5 + 0.5 * self._rng.random()))

    def _reply(self, response: Any) -> ModelReply:
        if not getattr(response, "choices", None):
            raise ModelError("model endpoint returned no choices", what="empty")
        message = response.choices[0].message
        calls = tuple(_tool_call(c) for c in (message.tool_calls or ()))
        usage = Usage(
            prompt_tokens=getattr(response.usage, "prompt_tokens", 0) or 0,
            completion_tokens=getattr(response.usage, "completion_tokens", 0) or 0,
        )
        cost = (usage.prompt_tokens * self.config.prompt_usd_per_1k
                + usage.completion_tokens * self.config.completion_usd_per_1k) / 1000  # fmt: skip
        return ModelReply(text=message.content or "", tool_calls=calls, usage=usage,
                          model=response.model or self.config.model, cost_usd=cost)  # fmt: skip


def _wire_message(message: ChatMessage) -> dict[str, Any]:
    if message.role == "tool":
        return {"role": "tool", "tool_call_id": message.tool_call_id or "", "content": message.content}
    wire: dict[str, Any] = {"role": message.role, "content": message.content}
    if message.role == "assistant" and message.tool_calls:
        wire["content"] = message.content or None
        wire["tool_calls"] = [
            {"id": c.id, "type": "function", "function": {"name": c.tool, "arguments": json.dumps(c.arguments)}}
            for c in message.tool_calls
        ]
    return wire


def _wire_tool(spec: ToolSpec) -> dict[str, Any]:
    function = {"name": spec.name, "description": spec.description, "parameters": spec.parameters}
    return {"type": "function", "function": function}


def _tool_call(raw: Any) -> ToolCall:
    function = getattr(raw, "function", None)
    name = str(getattr(function, "name", "") or "")
    arguments = str(getattr(function, "arguments", "") or "")
    try:
        parsed = json.loads(arguments) if arguments.strip() else {}
    except json.JSONDecodeError as exc:
        raise MalformedToolCall(
            f"the call to tool {name!r} has arguments that are not valid JSON ({exc.msg} at char {exc.pos})",
            tool=name, raw=arguments[:200],
        ) from None  # fmt: skip
    if not isinstance(parsed, dict):
        raise MalformedToolCall(f"the call to tool {name!r} has arguments that are not a JSON object",
                                tool=name, raw=arguments[:200])  # fmt: skip
    call_id = str(getattr(raw, "id", "") or "")
    if not _CALL_ID.match(call_id):
        # Some servers send no id, or one our identifiers reject; the id only pairs a call with its answer.
        call_id = new_id("call")
    try:
        return ToolCall(id=call_id, tool=name, arguments=parsed)
    except ValidationError as exc:
        where = ".".join(str(p) for p in exc.errors()[0]["loc"])
        raise MalformedToolCall(f"unusable tool call to {name!r}: {where}: {exc.errors()[0]['msg']}",
                                tool=name, raw=arguments[:200]) from None  # fmt: skip


def _retry_after(exc: openai.APIStatusError) -> float | None:
    headers = exc.response.headers
    for header, scale in (("retry-after-ms", 0.001), ("retry-after", 1.0)):
        value = headers.get(header)
        if value:
            try:
                return max(0.0, float(value) * scale)
            except ValueError:
                continue
    return None


def _brief(exc: openai.APIStatusError) -> str:
    body = exc.body
    if isinstance(body, dict):
        error = body.get("error", body)
        if isinstance(error, dict) and error.get("message"):
            return str(error["message"])[:300]
    return str(exc.message)[:300]
