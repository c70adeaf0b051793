"""Trace events across actors: an event sink that forwards to a service, and the service that receives them.

An agent actor usually emits its events to wherever the run's trace lives.
Host any :class:`~contracts.EventSink` with :class:`EventSinkService`, and give
agents a :class:`RemoteEventSink` pointing at it::

    handle = spawn(lambda: EventSinkService(trace_store))
    agent = AgentService(spec, model, events=RemoteEventSink(ServiceClient(RayTransport(handle))))
"""

from __future__ import annotations

from dataclasses import dataclass

from actors.host import ServiceClient
from contracts import Ack, EventSink, RunEvent

__all__ = ["EventSinkService", "RemoteEventSink"]

RECORD_METHOD = "record_event"


@dataclass(frozen=True)
class RemoteEventSink:
    """An :class:`~contracts.EventSink` that sends each event to a service's ``record_event`` method.

    Args:
        client: A client of the service receiving events (e.g. one hosting :class:`EventSinkService`).
        method: The service method that takes a RunEvent and returns an Ack.
    """

    client: ServiceClient
    method: str = RECORD_METHOD

    async def emit(self, event: RunEvent) -> None:
        """Send the event and wait for the acknowledgement."""
        await self.client.call(self.method, event, Ack)


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
