"""A private event loop on a daemon thread, so synchronous callers can use the async client."""

from __future__ import annotations

import asyncio
import threading
from collections.abc import AsyncIterator, Coroutine, Iterator
from typing import Any, TypeVar

__all__ = ["LoopThread"]

T = TypeVar("T")


async def _next(items: AsyncIterator[T]) -> T:
    return await anext(items)


class LoopThread:
    """Runs coroutines on an event loop of its own thread and hands back their results."""

    def __init__(self, name: str = "agentrt-client") -> None:
        self._loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self._loop.run_forever, name=name, daemon=True)
        self._thread.start()

    @property
    def loop(self) -> asyncio.AbstractEventLoop:
        """The event loop (for handing coroutines to it from other threads)."""
        return self._loop

    @property
    def closed(self) -> bool:
        """Whether the loop was closed."""
        return self._loop.is_closed()

    def run(self, coro: Coroutine[Any, Any, T]) -> T:
        """Run ``coro`` on the loop and wait for it; an interrupt of the caller cancels it."""
        future = asyncio.run_coroutine_threadsafe(coro, self._loop)
        try:
            return future.result()
        except BaseException:
            future.cancel()
            raise

    def iterate(self, items: AsyncIterator[T]) -> Iterator[T]:
        """Iterate an async iterator from synchronous code, one item per round trip to the loop."""
        try:
            while True:
                try:
                    yield self.run(_next(items))
                except StopAsyncIteration:
                    return
        finally:
            closer = getattr(items, "aclose", None)
            if closer is not None and self._loop.is_running():
                self.run(closer())

    def close(self) -> None:
        """Stop the loop and its thread."""
        if self._loop.is_closed():
            return
        self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join()
        self._loop.close()
