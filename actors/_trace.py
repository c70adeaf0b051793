"""Trace events of one step attempt, redacted before they leave the agent."""

from __future__ import annotations

from collections.abc import Sequence

import structlog

from agentrt.actors.redaction import redact, redact_json
from agentrt.actors.task_brief import clip_json
from agentrt.actors.tool_runner import ToolOutcome
from agentrt.contracts import ChatMessage, ErrorInfo, EventSink, EventType, JsonObject, ModelReply, RunEvent

__all__ = ["StepTrace"]

_MAX_CHARS = 4000
_log = structlog.get_logger("agentrt.agent")


class StepTrace:
    """Emits the events of one step: model calls, tool calls, approvals, budget stops.

    Every string (keys included) goes through the redactor; long strings are clipped.
    A failing sink is logged and otherwise ignored: tracing must not fail the step.
    """

    def __init__(self, sink: EventSink, run_id: str, step_id: str, actor: str) -> None:
        self.sink = sink
        self.run_id = run_id
        self.step_id = step_id
        self.actor = actor

    async def model_call(
        self, messages: Sequence[ChatMessage], tools: Sequence[str], reply: ModelReply | None,
        latency_s: float, error: ErrorInfo | None = None,
    ) -> None:  # fmt: skip
        """Record one model call: what was asked last, what came back, tokens and latency."""
        data: JsonObject = {
            "messages": len(messages),
            "last_message": {"role": messages[-1].role, "content": messages[-1].content} if messages else None,
            "tools": list(tools),
        }
        tokens = None
        if reply is not None:
            tokens = reply.usage.prompt_tokens + reply.usage.completion_tokens
            data.update({
                "model": reply.model, "offline": reply.offline, "text": reply.text, "cost_usd": reply.cost_usd,
                "prompt_tokens": reply.usage.prompt_tokens, "completion_tokens": reply.usage.completion_tokens,
                "tool_calls": [{"id": c.id, "tool": c.tool, "arguments": c.arguments} for c in reply.tool_calls],
            })  # fmt: skip
        await self.emit("model_call", data, latency_s=latency_s, tokens=tokens, error=error)

    async def tool_call(self, outcome: ToolOutcome, verdict: str) -> None:
        """Record one tool call: arguments, output or error, attempts, where the result came from."""
        result = outcome.result
        data: JsonObject = {
            "tool": result.tool, "call_id": result.call_id, "arguments": outcome.arguments, "ok": result.ok,
            "output": result.output, "attempts": result.attempts, "source": outcome.source,
            "fallback_for": outcome.fallback_for, "idempotency_key": outcome.idempotency_key, "policy": verdict,
        }  # fmt: skip
        await self.emit("tool_call", data, latency_s=result.latency_s, error=result.error)

    async def emit(
        self, event_type: EventType, data: JsonObject, *, latency_s: float | None = None,
        tokens: int | None = None, error: ErrorInfo | None = None,
    ) -> None:  # fmt: skip
        """Redact and send one event."""
        clean, _ = redact_json(clip_json(data, _MAX_CHARS))
        if error is not None:
            error = error.model_copy(update={"message": redact(error.message).text})
        event = RunEvent(
            run_id=self.run_id, type=event_type, step_id=self.step_id, actor=self.actor,
            data=clean if isinstance(clean, dict) else {"data": clean}, latency_s=latency_s, tokens=tokens, error=error,
        )  # fmt: skip
        try:
            await self.sink.emit(event)
        except Exception as exc:  # noqa: BLE001 - a broken sink must not fail the work it traces
            _log.warning("event sink failed", event_type=event_type, error=f"{type(exc).__name__}: {exc}")

