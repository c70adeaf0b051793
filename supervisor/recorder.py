"""The recorder: every state change of a run is checkpointed, traced and counted in one place.

Checkpoints and events reach the store at once (it answers reads from memory) and the
disk with its next group commit; :meth:`Recorder.durable` waits for that commit, and the
engine awaits it after every transition and before any step is dispatched. Whoever waits
on a run (``wait``, live ``events``) is woken through :attr:`Recorder.states` and
:attr:`Recorder.appended`.
"""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from typing import Any

import structlog

from agentrt.actors.redaction import redact_json
from agentrt.actors.sealing import redacted_text
from agentrt.contracts import (
    ErrorInfo,
    EventSink,
    JsonObject,
    RunEvent,
    RunState,
    RunStatus,
    RunStore,
    check_transition,
    utcnow,
)
from agentrt.contracts.events import EventType
from agentrt.supervisor.metrics import NullMetrics, RuntimeMetrics
from agentrt.supervisor.signals import RunSignals

__all__ = ["Recorder"]

_log = structlog.get_logger("agentrt.supervisor")


def _redacted_error(error: ErrorInfo) -> ErrorInfo:
    """The error with personal data and secrets in its message (a tool's error may quote them) replaced."""
    message = redacted_text(error.message)
    return error if message == error.message else error.model_copy(update={"message": message})


class Recorder:
    """Checkpoints run states, appends trace events and feeds the metrics.

    Args:
        store: Durable checkpoints and trace.
        metrics: Where counts go.
        sinks: Where every stored event also goes (after the store has it; a failing sink is logged).

    Attributes:
        states: Wakes the waiters of a run when one of its states is saved.
        appended: Wakes the waiters of a run when an event is appended to its trace.
    """

    def __init__(
        self, store: RunStore, metrics: RuntimeMetrics | None = None, sinks: Sequence[EventSink] = ()
    ) -> None:
        self.store = store
        self.metrics: RuntimeMetrics = metrics or NullMetrics()
        self.sinks = tuple(sinks)
        self._sending: set[asyncio.Task[None]] = set()
        self.states = RunSignals()
        self.appended = RunSignals()

    def _fan_out(self, event: RunEvent) -> RunEvent:
        if not self.sinks:
            return event
        try:
            loop = asyncio.get_running_loop()
        except RuntimeError:
            return event  # no loop (a synchronous caller): the store has the event
        for sink in self.sinks:
            task = loop.create_task(self._send(sink, event))
            self._sending.add(task)
            task.add_done_callback(self._sending.discard)
        return event

    @staticmethod
    async def _send(sink: EventSink, event: RunEvent) -> None:
        try:
            await sink.emit(event)
        except Exception as exc:  # noqa: BLE001  (a sink never breaks a run)
            _log.warning("event_sink_failed", sink=type(sink).__name__, error=type(exc).__name__, run_id=event.run_id)

    def save(self, state: RunState, **changes: Any) -> RunState:
        """Apply changes, stamp the time and checkpoint (durable with the store's next commit)."""
        new = state.model_copy(update={**changes, "updated_at": utcnow()})
        self.store.save(new)
        self.states.notify(new.run_id)
        return new

    async def durable(self) -> None:
        """Return once every checkpoint and event recorded so far is committed."""
        await self.store.flush()

    def move(self, state: RunState, status: RunStatus, reason: str = "", **changes: Any) -> RunState:
        """Transition a run to ``status`` (checkpointed, traced, counted): the one place a run's state changes.

        Raises:
            IllegalTransition: ``RUN_TRANSITIONS`` does not lead from the run's state to ``status``.
        """
        check_transition(state.status, status)
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
        if error is not None:
            error = _redacted_error(error)
        event = RunEvent(
            run_id=run_id,
            type=type,
            step_id=step_id,
            actor=actor,
            data=clean,
            latency_s=latency_s,
            tokens=tokens,
            error=error,
        )
        stored = self.store.append_event(event)
        self.appended.notify(run_id)
        return self._fan_out(stored)

    def record(self, event: RunEvent) -> RunEvent:
        """Append an event produced elsewhere (a specialist's model or tool call).

        Such events come only from the runtime's own parts (``record`` takes calls signed by the
        runtime), which redact every event before it leaves them (:class:`~agentrt.actors._trace.StepTrace`):
        they are stored as they come, not redacted a second time.
        """
        stored = self.store.append_event(event)
        self.appended.notify(event.run_id)
        if event.type == "tool_call":
            tool = event.data.get("tool")
            self.metrics.tool_call(str(tool or "?"), event.error is None, event.latency_s or 0.0)
        return self._fan_out(stored)
