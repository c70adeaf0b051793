"""Trace events across actors: an event sink that forwards to a service, and the service that receives them.

An agent actor usually emits its events to wherever the run's trace lives.
Host any :class:`~agentrt.contracts.EventSink` with :class:`EventSinkService` (an
:class:`~agentrt.contracts.EventRecorder`, as the supervisor is), and give agents a
:class:`RemoteEventSink` pointing at it::

    handle = spawn(lambda: EventSinkService(trace_store), EventRecorder)
    recorder = recorder_proxy(ServiceClient(RayTransport(handle)))
    agent = AgentService(spec, model, events=RemoteEventSink(recorder))
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass

import structlog

from agentrt.contracts import Ack, ActorLost, EventRecorder, EventSink, NotFound, RunEvent

__all__ = ["EventSinkService", "RemoteEventSink"]

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
        for attempt in range(self.retries + 1):
            try:
                await self.recorder.record(event)
                return
            except NotFound as exc:
                _log.warning("trace event refused", run_id=event.run_id, type=event.type, error=str(exc))
                return
            except ActorLost as exc:
                if attempt == self.retries:
                    _log.warning("trace event dropped", run_id=event.run_id, type=event.type, error=str(exc))
                    return
                await asyncio.sleep(min(0.25 * 2**attempt, 2.0))


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
