"""Event sinks that live in this process: one that keeps events (tests, local runs) and one that drops them."""

from __future__ import annotations

from collections.abc import Iterator

from agentrt.contracts import EventType, RunEvent

__all__ = ["CollectingSink", "DiscardingSink"]


class CollectingSink:
    """Keeps every event in order, in memory."""

    def __init__(self) -> None:
        self.events: list[RunEvent] = []

    async def emit(self, event: RunEvent) -> None:
        """Append the event."""
        self.events.append(event)

    def of_type(self, event_type: EventType) -> list[RunEvent]:
        """Return the events of one type, in order."""
        return [e for e in self.events if e.type == event_type]

    def __iter__(self) -> Iterator[RunEvent]:
        return iter(self.events)

    def __len__(self) -> int:
        return len(self.events)


class DiscardingSink:
    """Drops every event; the default when an agent is given no sink."""

    async def emit(self, event: RunEvent) -> None:
        """Drop the event."""
