"""Trace events across actors: an event sink that forwards to a service, and the service that receives them.

An agent actor usually emits its events to wherever the run's trace lives.
Host any :class:`~agentrt.contracts.EventSink` with :class:`EventSinkService` (an
:class:`~agentrt.contracts.EventRecorder`, as the supervisor is), and give agents a
:class:`RemoteEventSink` pointing at it::

    handle = spawn(lambda: EventSinkService(trace_store), EventRecorder)
    recorder = recorder_proxy(ServiceClient(RayTransport(handle)))
    agent = AgentService(spec, model, events=RemoteEventSink(recorder))

:class:`BatchingEventSink` keeps the step's path free of trace calls: ``emit``
returns at once, events linger a few milliseconds and go in one ``record_batch``
call, and what a step has not sent when it ends travels with its result
(:meth:`BatchingEventSink.take`).
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from dataclasses import dataclass

import structlog

from agentrt.contracts import Ack, ActorLost, EventRecorder, EventSink, NotFound, RunEvent, RunEvents

__all__ = ["BatchingEventSink", "EventSinkService", "RemoteEventSink"]

_log = structlog.get_logger(__name__)


@dataclass(frozen=True)
class RemoteEventSink:
    """An :class:`~agentrt.contracts.EventSink` that sends each event to an event recorder.

    Args:
        recorder: The service receiving events (the supervisor, or one hosting :class:`EventSinkService`),
            usually a proxy of it (:func:`~agentrt.actors.proxy.recorder_proxy`).
    """

    recorder: EventRecorder

    retries: int = 6

    async def emit(self, event: RunEvent) -> None:
        """Send the event; while the receiver restarts, retry with backoff, then drop it with a log line.

        A lost trace event must never fail the step that emitted it.
        """
        await _deliver(lambda: self.recorder.record(event), self.retries, event.run_id, 1)


async def _deliver(send: Callable[[], Awaitable[Ack]], retries: int, run_id: str, count: int) -> None:
    for attempt in range(retries + 1):
        try:
            await send()
            return
        except NotFound as exc:
            _log.warning("trace events refused", run_id=run_id, events=count, error=str(exc))
            return
        except ActorLost as exc:
            if attempt == retries:
                _log.warning("trace events dropped", run_id=run_id, events=count, error=str(exc))
                return
            await asyncio.sleep(min(0.25 * 2**attempt, 2.0))


class BatchingEventSink:
    """An event sink that sends events in batches, off the caller's path, and hands a step its unsent ones.

    ``emit`` queues the event and returns. A flush starts ``linger_s`` after the first queued event
    (or at once when ``max_batch`` are queued) and sends everything queued in one ``record_batch``
    call, in order, with the retries of :class:`RemoteEventSink`. ``take(run_id, step_id)`` removes
    and returns the step's queued events (after any batch already on its way with events of the
    step has arrived, so the trace keeps its order): the agent puts them in the step's result.

    Args:
        recorder: The service receiving events (the supervisor).
        linger_s: How long an event waits for company before its batch is sent.
        max_batch: Queued events that start a flush at once.
        retries: Attempts while the receiver restarts.
    """

    def __init__(self, recorder: EventRecorder, linger_s: float = 0.05, max_batch: int = 256, retries: int = 6) -> None:
        self.recorder = recorder
        self.linger_s = linger_s
        self.max_batch = max_batch
        self.retries = retries
        self._queued: list[RunEvent] = []
        self._timer: asyncio.TimerHandle | None = None
        self._sending: dict[asyncio.Task[None], frozenset[tuple[str, str | None]]] = {}

    async def emit(self, event: RunEvent) -> None:
        """Queue the event; it is sent with the next batch or with its step's result."""
        self._queued.append(event)
        if len(self._queued) >= self.max_batch:
            self._flush()
        elif self._timer is None:
            self._timer = asyncio.get_running_loop().call_later(self.linger_s, self._flush)

    async def take(self, run_id: str, step_id: str) -> tuple[RunEvent, ...]:
        """Remove and return the step's queued events, once its batches already sent have arrived."""
        key = (run_id, step_id)
        pending = [task for task, keys in self._sending.items() if key in keys]
        if pending:
            await asyncio.gather(*pending, return_exceptions=True)
        mine = tuple(e for e in self._queued if (e.run_id, e.step_id) == key)
        if mine:
            self._queued = [e for e in self._queued if (e.run_id, e.step_id) != key]
        return mine

    async def drain(self) -> None:
        """Send everything queued and wait for every batch on its way."""
        self._flush()
        if self._sending:
            await asyncio.gather(*self._sending, return_exceptions=True)

    def _flush(self) -> None:
        if self._timer is not None:
            self._timer.cancel()
            self._timer = None
        if not self._queued:
            return
        batch, self._queued = tuple(self._queued), []
        task = asyncio.get_running_loop().create_task(self._send(batch))
        self._sending[task] = frozenset((e.run_id, e.step_id) for e in batch)
        task.add_done_callback(lambda done: self._sending.pop(done, None))

    async def _send(self, batch: tuple[RunEvent, ...]) -> None:
        await _deliver(lambda: self.recorder.record_batch(RunEvents(events=batch)), self.retries, batch[0].run_id,
                       len(batch))  # fmt: skip


class EventSinkService:
    """Hosts an in-process event sink so other actors can emit to it.

    Args:
        sink: Where received events go.
    """

    def __init__(self, sink: EventSink) -> None:
        self.sink = sink

    async def record(self, event: RunEvent) -> Ack:
        """Hand the event to the sink."""
        await self.sink.emit(event)
        return Ack()

    async def record_batch(self, batch: RunEvents) -> Ack:
        """Hand the events to the sink, in order."""
        for event in batch.events:
            await self.sink.emit(event)
        return Ack(detail=str(len(batch.events)))
