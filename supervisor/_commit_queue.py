"""The writer thread behind the run store: queued checkpoints and trace rows, committed in groups.

Writes wait a few milliseconds for company (or until ``max_batch`` are queued), then one
transaction holds them all: one fsync for every run's writes. A caller awaiting
:meth:`CommitQueue.committed` gets its future resolved, on its own event loop, by the
commit that holds everything queued before it; while it waits nothing else lingers, so a
durable write costs one commit and any writes queued meanwhile ride along.
"""

from __future__ import annotations

import asyncio
import contextlib
import sqlite3
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

import structlog

from agentrt.contracts import RunEvent, RunState

__all__ = ["CommitBatch", "CommitQueue"]

_log = structlog.get_logger("agentrt.supervisor")


@dataclass(slots=True)
class CommitBatch:
    """One group of writes: the newest checkpoint of each run saved, the trace rows in append order."""

    states: list[RunState] = field(default_factory=list)
    events: list[RunEvent] = field(default_factory=list)
    ticket: int = 0


@dataclass(slots=True)
class _Waiter:
    ticket: int
    loop: asyncio.AbstractEventLoop
    future: asyncio.Future[None]


def _settle(future: asyncio.Future[None], error: BaseException | None) -> None:
    if future.done():
        return  # its waiter was cancelled
    if error is None:
        future.set_result(None)
    else:
        future.set_exception(error)


class CommitQueue:
    """Queued writes and the one thread that commits them.

    Every method but :meth:`committed`, :meth:`stop` and :meth:`start` is called with ``lock`` held
    (the store's lock, which guards what the store keeps in memory too).

    Args:
        commit: Writes one batch in one transaction (called on the writer thread).
        lock: The lock the store holds while it queues.
        interval_s: Longest a write waits for others before its commit starts.
        max_batch: Queued writes that start a commit at once.
        retry_s: Pause before a failed commit is tried again.
    """

    def __init__(
        self, commit: Callable[[CommitBatch], None], lock: threading.Lock, interval_s: float, max_batch: int,
        retry_s: float,
    ) -> None:  # fmt: skip
        self._commit = commit
        self._cond = threading.Condition(lock)
        self._interval_s = interval_s
        self._max_batch = max_batch
        self._retry_s = retry_s
        self._states: dict[str, RunState] = {}
        self._events: list[RunEvent] = []
        self._ticket = self._done = 0
        self._waiters: list[_Waiter] = []
        self._closing = False
        self._committing = threading.Lock()
        self._thread: threading.Thread | None = None
        self._db: sqlite3.Connection | None = None
        self.commits = self.states_written = self.events_written = self.failures = 0

    def start(self, name: str) -> None:
        """Start the writer thread."""
        self._thread = threading.Thread(target=self._run, name=name, daemon=True)
        self._thread.start()

    def check_open(self) -> None:
        """Refuse a write once the queue is stopping.

        Raises:
            RuntimeError: The store was closed.
        """
        if self._closing:
            raise RuntimeError("the run store is closed")

    def put_state(self, state: RunState) -> None:
        """Queue a run's checkpoint (replacing one of the same run not yet taken)."""
        self._states[state.run_id] = state
        self._queued()

    def put_event(self, event: RunEvent) -> None:
        """Queue a trace row."""
        self._events.append(event)
        self._queued()

    async def committed(self, loop: asyncio.AbstractEventLoop) -> None:
        """Return once every write queued before the call is committed."""
        with self._cond:
            stopped = self._closing and (self._thread is None or not self._thread.is_alive())
            if self._done >= self._ticket or stopped:
                return
            waiter = _Waiter(self._ticket, loop, loop.create_future())
            self._waiters.append(waiter)
            self._cond.notify()
        await waiter.future

    def connection(self, path: Path) -> sqlite3.Connection:
        """The writer thread's own connection (opened on first use)."""
        if self._db is None:
            self._db = sqlite3.connect(path, isolation_level=None)
            self._db.execute("PRAGMA synchronous=FULL")
        return self._db

    @contextlib.contextmanager
    def quiet(self) -> Iterator[None]:
        """Hold commits off while the caller reads."""
        with self._committing:
            yield

    def stop(self) -> None:
        """Commit what is queued and end the writer thread (idempotent)."""
        with self._cond:
            self._closing = True
            self._cond.notify()
        thread = self._thread
        if thread is not None and thread is not threading.current_thread():
            thread.join()

    def _queued(self) -> None:
        self._ticket += 1
        size = len(self._states) + len(self._events)
        if size == 1 or size >= self._max_batch:
            self._cond.notify()

    def _run(self) -> None:
        try:
            while (batch := self._next_batch()) is not None:
                self._write(batch)
        finally:
            if self._db is not None:
                self._db.close()

    def _next_batch(self) -> CommitBatch | None:
        with self._cond:
            while not self._states and not self._events and not self._closing:
                self._cond.wait()
            if not self._states and not self._events:
                return None
            deadline = time.monotonic() + self._interval_s
            while not self._closing and not self._waiters and len(self._states) + len(self._events) < self._max_batch:
                left = deadline - time.monotonic()
                if left <= 0:
                    break
                self._cond.wait(left)
            batch = CommitBatch(list(self._states.values()), self._events, self._ticket)
            self._states, self._events = {}, []
            return batch

    def _write(self, batch: CommitBatch) -> None:
        try:
            with self._committing:
                self._commit(batch)
        except Exception as exc:  # noqa: BLE001  (the writes stay queued; waiters learn of the failure)
            self._failed(batch, exc)
            return
        with self._cond:
            self._done = batch.ticket
            self.commits += 1
            self.states_written += len(batch.states)
            self.events_written += len(batch.events)
            ready = [w for w in self._waiters if w.ticket <= self._done]
            self._waiters = [w for w in self._waiters if w.ticket > self._done]
        self._wake(ready, None)

    def _failed(self, batch: CommitBatch, exc: Exception) -> None:
        _log.error("run_store_commit_failed", error=f"{type(exc).__name__}: {exc}", writes=batch.ticket - self._done)
        with self._cond:
            self.failures += 1
            for state in batch.states:
                self._states.setdefault(state.run_id, state)  # a newer checkpoint queued meanwhile wins
            self._events = batch.events + self._events
            ready = [w for w in self._waiters if w.ticket <= batch.ticket]
            self._waiters = [w for w in self._waiters if w.ticket > batch.ticket]
            giving_up = self._closing
            if giving_up:
                self._states, self._events = {}, []
        self._wake(ready, exc)
        if giving_up:
            _log.error("run_store_writes_lost_on_close", writes=len(batch.states) + len(batch.events))
        else:
            time.sleep(self._retry_s)

    @staticmethod
    def _wake(waiters: list[_Waiter], error: BaseException | None) -> None:
        for w in waiters:
            with contextlib.suppress(RuntimeError):  # its loop is closed: nobody waits any more
                w.loop.call_soon_threadsafe(_settle, w.future, error)
