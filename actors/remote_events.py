"""Trace events across actors: an event sink that forwards to a service, and the service that receives them.

An agent actor usually emits its events to wherever the run's trace lives.
Host any :class:`~agentrt.contracts.EventSink` with :class:`EventSinkService`, and give
agents a :class:`RemoteEventSink` pointing at it::

    handle = spawn(lambda: EventSinkService(trace_store))
    agent = AgentService(spec, model, events=RemoteEventSink(ServiceClient(RayTransport(handle))))
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass

import structlog

from agentrt.actors.transport import ServiceClient
from agentrt.contracts import Ack, ActorLost, EventSink, NotFound, RunEvent

__all__ = ["EventSinkService", "RemoteEventSink"]

RECORD_METHOD = "record_event"

_log = structlog.get_logger(__name__)


@dataclass(frozen=True)
class RemoteEventSink:
    """An :class:`~agentrt.contracts.EventSink` that sends each event to a service's ``record_event`` method.

    Args:
        client: A client of the service receiving events (e.g. one hosting :class:`EventSinkService`).
        method: The service method that takes a RunEvent and returns an Ack.
    """

    client: ServiceClient
    method: str = RECORD_METHOD

    retries: int = 6

    async def emit(self, event: RunEvent) -> None:
        """Send the event; while the receiver restarts, retry with backoff, then drop it with a log line.

        A lost trace event must never fail the step that emitted it.
        """
        for attempt in range(self.retries + 1):
            try:
                await self.client.call(self.method, event, Ack)
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

    async def record_event(self, event: RunEvent) -> Ack:
        """Hand the event to the sink."""
        await self.sink.emit(event)
        return Ack()
