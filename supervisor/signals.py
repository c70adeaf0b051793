"""Per-run wake-ups: whoever waits on a run learns when it changes, without asking the store again and again."""

from __future__ import annotations

import asyncio

__all__ = ["RunSignals"]


class RunSignals:
    """One wake-up per run, set on each change of it (a state saved, an event appended).

    Nothing is kept for a run nobody waits on, so notifying costs a dictionary lookup.
    A waiter checks what it waits for, then awaits :meth:`changed` with no await in
    between, so no change slips past it (all of this runs on one event loop).
    """

    def __init__(self) -> None:
        self._events: dict[str, asyncio.Event] = {}
        self._waiting: dict[str, int] = {}

    def notify(self, run_id: str) -> None:
        """Wake everyone waiting on the run."""
        event = self._events.pop(run_id, None)
        if event is not None:
            event.set()

    async def changed(self, run_id: str, timeout_s: float) -> bool:
        """Wait up to ``timeout_s`` for the run's next change; True if it came."""
        event = self._events.setdefault(run_id, asyncio.Event())
        self._waiting[run_id] = self._waiting.get(run_id, 0) + 1
        try:
            await asyncio.wait_for(event.wait(), timeout_s)
        except TimeoutError:
            return False
        finally:
            left = self._waiting.pop(run_id) - 1
            if left:
                self._waiting[run_id] = left
            elif self._events.get(run_id) is event:
                del self._events[run_id]  # the last waiter gave up: keep nothing for the run
        return True

    @property
    def waiters(self) -> int:
        """Waits in progress, over every run."""
        return sum(self._waiting.values())
