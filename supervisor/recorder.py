"""The recorder: every state change of a run is checkpointed, traced and counted in one place."""

from __future__ import annotations

from typing import Any

from actors.redaction import redact_json
from contracts import ErrorInfo, JsonObject, RunEvent, RunState, RunStatus, utcnow
from contracts.events import EventType
from supervisor.checkpoints import SQLiteRunStore
from supervisor.metrics import NullMetrics, RuntimeMetrics

__all__ = ["Recorder"]


class Recorder:
    """Checkpoints run states, appends trace events and feeds the metrics.

    Args:
        store: Durable checkpoints and trace.
        metrics: Where counts go.
    """

    def __init__(self, store: SQLiteRunStore, metrics: RuntimeMetrics | None = None) -> None:
        self.store = store
        self.metrics: RuntimeMetrics = metrics or NullMetrics()

    def save(self, state: RunState, **changes: Any) -> RunState:
        """Apply changes, stamp the time and checkpoint."""
        new = state.model_copy(update={**changes, "updated_at": utcnow()})
        self.store.save(new)
        return new

    def move(self, state: RunState, status: RunStatus, reason: str = "", **changes: Any) -> RunState:
        """Transition a run to ``status`` (checkpointed, traced, counted)."""
        new = self.save(state, status=status, **changes)
        if status != state.status:
            self.emit(
                state.run_id, "run_state", data={"from": state.status.value, "to": status.value, "reason": reason}
            )
            self.metrics.run_transition(state.goal.tenant, state.status.value, status.value)
        return new

    def emit(
        self,
        run_id: str,
        type: EventType,
        *,
        step_id: str | None = None,
        data: JsonObject | None = None,
        latency_s: float | None = None,
        tokens: int | None = None,
        error: ErrorInfo | None = None,
        actor: str = "supervisor",
    ) -> RunEvent:
        """Append one event to a run's trace."""
        clean, _ = redact_json(data or {})
        event = RunEvent(
            run_id=run_id,
            type=type,
            step_id=step_id,
            actor=actor,
            data=clean,  # type: ignore[arg-type]
            latency_s=latency_s,
            tokens=tokens,
            error=error,
        )
        return self.store.append_event(event)

    def record(self, event: RunEvent) -> RunEvent:
        """Append an event produced elsewhere (a specialist's model or tool call)."""
        clean, found = redact_json(event.data)
        if found:
            event = event.model_copy(update={"data": clean})
        stored = self.store.append_event(event)
        if event.type == "tool_call":
            tool = event.data.get("tool")
            self.metrics.tool_call(str(tool or "?"), event.error is None, event.latency_s or 0.0)
        return stored
