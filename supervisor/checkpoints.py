"""Durable run checkpoints and the run trace, in one SQLite file, written with group commit.

A checkpoint is the whole :class:`~agentrt.contracts.RunState` encoded with the wire
codec, redacted, with the raw values an unfinished run still needs sealed under the
run's own key (:mod:`agentrt.actors.sealing`; the key is shredded when the run ends);
trace events are rows with a per-run sequence number (redacted by the recorder).
Finished runs and their traces are deleted once older than the retention period
(:meth:`SQLiteRunStore.expire`). Callers never wait on
SQLite: ``save`` and ``append_event`` take effect in memory at once (``load`` and
``events`` see them) and queue the write for one writer thread, which commits every
queued checkpoint and trace row of every run in one transaction (``synchronous=FULL``:
one fsync per group, not per write). ``flush`` returns once everything queued before it
is committed, so a run awaits it before a transition goes on; a new supervisor resumes
any unfinished run from its last committed checkpoint.
"""

from __future__ import annotations

import asyncio
import atexit
import functools
import sqlite3
import threading
import weakref
from collections import OrderedDict
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import structlog

from agentrt.actors.sealing import RunVault, open_checkpoint, seal_checkpoint
from agentrt.contracts import TERMINAL_STATUSES, ContractError, RunEvent, RunState, decode_as, encode
from agentrt.supervisor._commit_queue import CommitBatch, CommitQueue

__all__ = ["SQLiteRunStore", "StoreStats"]

_log = structlog.get_logger("agentrt.supervisor")

_RUNS_TABLE = """
CREATE TABLE IF NOT EXISTS runs (
    run_id TEXT PRIMARY KEY,
    tenant TEXT NOT NULL,
    status TEXT NOT NULL,
    updated_at TEXT NOT NULL,
    state BLOB NOT NULL,
    sealed BLOB
);
"""
_SCHEMA = """
CREATE INDEX IF NOT EXISTS runs_age ON runs (status, updated_at);
CREATE TABLE IF NOT EXISTS events (
    run_id TEXT NOT NULL,
    seq INTEGER NOT NULL,
    event BLOB NOT NULL,
    PRIMARY KEY (run_id, seq)
);
"""

_FINISHED_KEPT = 256  # finished runs whose last state stays decoded in memory
_RETRY_S = 0.1


@dataclass(frozen=True, slots=True)
class StoreStats:
    """What a store has done since it opened (for metrics and tests).

    Attributes:
        saves: ``save`` calls.
        appends: ``append_event`` calls.
        commits: Transactions committed (each holds the writes of every run queued meanwhile).
        states_written: Checkpoint rows written (a run saved twice before a commit is written once).
        events_written: Trace rows written.
        failures: Transactions that failed and were retried.
    """

    saves: int
    appends: int
    commits: int
    states_written: int
    events_written: int
    failures: int


def _close_quietly(ref: weakref.ref[SQLiteRunStore]) -> None:
    store = ref()
    if store is not None:
        store.close()


class SQLiteRunStore:
    """Checkpoints (implements ``RunStore``) and trace events, committed in groups by one writer thread.

    Args:
        path: The SQLite file; its directory is created.
        commit_interval_s: How long queued writes wait for company before the writer commits them;
            a ``flush`` waiting for them cuts it short.
        max_batch: Queued writes that start a commit at once.
        vault: Where the per-run keys that seal raw values live (default: ``keys/runs`` beside the file).
    """

    def __init__(
        self, path: Path | str, commit_interval_s: float = 0.002, max_batch: int = 512, vault: RunVault | None = None
    ) -> None:
        self._path = Path(path)
        self._path.parent.mkdir(parents=True, exist_ok=True)
        self._vault = vault or RunVault(self._path.parent / "keys" / "runs")
        self._read_lock = threading.Lock()
        self._db = sqlite3.connect(self._path, check_same_thread=False, isolation_level=None)
        self._db.execute("PRAGMA journal_mode=WAL")
        self._db.execute("PRAGMA synchronous=FULL")
        self._db.executescript(_RUNS_TABLE)
        columns = {row[1] for row in self._db.execute("PRAGMA table_info(runs)")}
        if "sealed" not in columns:  # a store written before checkpoints were sealed
            self._db.execute("ALTER TABLE runs ADD COLUMN sealed BLOB")
        self._db.executescript(_SCHEMA)
        self._lock = threading.Lock()
        # Read-your-writes: the newest state of every run saved here that is not finished and
        # committed, and a few finished ones; the trace rows not yet committed, per run.
        self._latest: dict[str, RunState] = {}
        self._finished: OrderedDict[str, RunState] = OrderedDict()
        self._unwritten: dict[str, list[RunEvent]] = {}
        self._next_seq: dict[str, int] = {}
        self._saves = self._appends = 0
        self._queue = CommitQueue(self._commit, self._lock, commit_interval_s, max_batch, _RETRY_S)
        self._at_exit = functools.partial(_close_quietly, weakref.ref(self))
        atexit.register(self._at_exit)
        self._queue.start(f"agentrt-run-store-{self._path.name}")

    @property
    def path(self) -> Path:
        """The SQLite file."""
        return self._path

    def stats(self) -> StoreStats:
        """Counts of writes and commits since the store opened."""
        q = self._queue
        return StoreStats(self._saves, self._appends, q.commits, q.states_written, q.events_written, q.failures)

    def save(self, state: RunState) -> None:
        """Record the run's checkpoint: ``load`` returns it at once; it is durable once a later ``flush`` returns."""
        with self._lock:
            self._queue.check_open()
            self._saves += 1
            self._latest[state.run_id] = state
            self._finished.pop(state.run_id, None)
            self._queue.put_state(state)

    async def save_durable(self, state: RunState) -> None:
        """Record the run's checkpoint and return once it is committed."""
        self.save(state)
        await self.flush()

    async def flush(self) -> None:
        """Return once every checkpoint and trace row recorded before the call is committed.

        Raises:
            sqlite3.Error: The commit that held them failed (the writes stay queued and are retried).
        """
        await self._queue.committed(asyncio.get_running_loop())

    def load(self, run_id: str) -> RunState | None:
        """Return the newest checkpoint of a run, or None (a run saved here is answered from memory)."""
        with self._lock:
            state = self._latest.get(run_id)
            if state is None:
                state = self._finished.get(run_id)
        if state is not None:
            return state
        with self._read_lock:
            row = self._db.execute("SELECT run_id, state, sealed FROM runs WHERE run_id = ?", (run_id,)).fetchone()
        return None if row is None else self._decode(row)

    def unfinished(self) -> list[RunState]:
        """Return every run not in a terminal state, oldest first."""
        terminal = tuple(s.value for s in TERMINAL_STATUSES)
        marks = ",".join("?" * len(terminal))
        found = self._select(f"WHERE status NOT IN ({marks})", terminal, lambda s: not s.terminal)
        return sorted(found, key=lambda s: s.updated_at)

    def all(self) -> list[RunState]:
        """Return every run, newest first."""
        return sorted(self._select("", (), lambda s: True), key=lambda s: s.updated_at, reverse=True)

    def of_tenant(self, tenant: str, limit: int = 200) -> list[RunState]:
        """Return a tenant's runs, newest first."""
        found = self._select(
            "WHERE tenant = ? ORDER BY updated_at DESC LIMIT ?", (tenant, limit), lambda s: s.goal.tenant == tenant
        )
        return sorted(found, key=lambda s: s.updated_at, reverse=True)[:limit]

    def append_event(self, event: RunEvent) -> RunEvent:
        """Give an event its run's next sequence number and queue it; ``events`` returns it at once."""
        with self._lock:
            self._queue.check_open()
            seq = self._next_seq.get(event.run_id)
        if seq is None:
            with self._read_lock:
                (last,) = self._db.execute(
                    "SELECT COALESCE(MAX(seq), -1) FROM events WHERE run_id = ?", (event.run_id,)
                ).fetchone()
        with self._lock:
            # Another append of the run may have got here first while the last number was read.
            seq = self._next_seq.get(event.run_id, last + 1 if seq is None else seq)
            self._next_seq[event.run_id] = seq + 1
            stamped = event.model_copy(update={"seq": seq})
            self._appends += 1
            self._unwritten.setdefault(event.run_id, []).append(stamped)
            self._queue.put_event(stamped)
        return stamped

    def events(self, run_id: str, after_seq: int = -1, limit: int = 1000) -> list[RunEvent]:
        """Return a run's events with ``seq > after_seq``, in order (those not yet committed included)."""
        with self._lock:
            pending = [e for e in self._unwritten.get(run_id, ()) if e.seq > after_seq]
        # Read after the snapshot: a row committed meanwhile is in both, and kept once.
        with self._read_lock:
            rows = self._db.execute(
                "SELECT event FROM events WHERE run_id = ? AND seq > ? ORDER BY seq LIMIT ?", (run_id, after_seq, limit)
            ).fetchall()
        found = [decode_as(r[0], RunEvent) for r in rows]
        last = found[-1].seq if found else after_seq
        found.extend(e for e in pending if e.seq > last)
        return found[:limit]

    def expire(self, before: datetime) -> int:
        """Delete every finished run last changed before ``before``, with its trace; return how many.

        Unfinished runs are kept whatever their age (a run waiting for a person is still a run).
        """
        terminal = tuple(s.value for s in TERMINAL_STATUSES)
        marks = ",".join("?" * len(terminal))
        cutoff = before.astimezone(UTC).isoformat()
        with self._queue.quiet(), self._read_lock:
            db = self._db
            db.execute("BEGIN IMMEDIATE")
            try:
                gone = [
                    r[0]
                    for r in db.execute(
                        f"SELECT run_id FROM runs WHERE status IN ({marks}) AND updated_at < ?", (*terminal, cutoff)
                    )
                ]
                db.executemany("DELETE FROM events WHERE run_id = ?", [(r,) for r in gone])
                db.executemany("DELETE FROM runs WHERE run_id = ?", [(r,) for r in gone])
                db.execute("COMMIT")
            except BaseException:
                db.execute("ROLLBACK")
                raise
            with self._lock:
                for run_id in gone:
                    self._finished.pop(run_id, None)
                    if run_id not in self._unwritten:
                        self._next_seq.pop(run_id, None)
        for run_id in gone:
            self._vault.shred(run_id)
        return len(gone)

    def close(self) -> None:
        """Commit what is queued, stop the writer thread and close the database (idempotent)."""
        self._queue.stop()
        atexit.unregister(self._at_exit)
        with self._read_lock:
            self._db.close()

    def _select(self, clause: str, params: tuple[object, ...], keep: Callable[[RunState], bool]) -> list[RunState]:
        # No commit runs while the rows are read, so every state newer than its row is in memory.
        with self._queue.quiet(), self._read_lock:
            rows = self._db.execute(f"SELECT run_id, state, sealed FROM runs {clause}", params).fetchall()
            with self._lock:
                newer = {**self._finished, **self._latest}
        by_id = {s.run_id: s for s in (self._decode(r) for r in rows)}
        by_id.update(newer)
        return [s for s in by_id.values() if keep(s)]

    def _decode(self, row: tuple[str, bytes, bytes | None]) -> RunState:
        state = open_checkpoint(row[0], row[1], row[2], self._vault)
        if not isinstance(state, RunState):
            raise ContractError(f"expected RunState, got {type(state).__name__}", what="kind")
        return state

    def _commit(self, batch: CommitBatch) -> None:
        """Write one group in one transaction (on the writer thread), then forget what memory need not hold."""
        states = []
        for s in batch.states:
            written = seal_checkpoint(s.run_id, s, self._vault, keep_raw=not s.terminal)
            at = s.updated_at.isoformat()
            states.append((s.run_id, s.goal.tenant, s.status.value, at, written.data, written.sealed))
        events = [(e.run_id, e.seq, encode(e)) for e in batch.events]
        db = self._queue.connection(self._path)
        db.execute("BEGIN IMMEDIATE")
        try:
            db.executemany("INSERT OR REPLACE INTO runs VALUES (?, ?, ?, ?, ?, ?)", states)
            db.executemany("INSERT INTO events VALUES (?, ?, ?)", events)
            db.execute("COMMIT")
        except BaseException:
            db.execute("ROLLBACK")
            raise
        for s in batch.states:
            if s.terminal:  # its last checkpoint holds no sealed values: nothing needs the key any more
                self._vault.shred(s.run_id)
        with self._lock:
            self._forget_committed(batch.states, batch.events)

    def _forget_committed(self, states: Iterable[RunState], events: Iterable[RunEvent]) -> None:
        written: dict[str, int] = {}
        for e in events:
            written[e.run_id] = written.get(e.run_id, 0) + 1
        for run_id, count in written.items():
            rest = self._unwritten.get(run_id, [])
            del rest[:count]  # a run's rows are committed in the order they were appended
            if not rest:
                self._unwritten.pop(run_id, None)
        for state in states:
            if state.terminal and self._latest.get(state.run_id) is state:
                del self._latest[state.run_id]
                self._finished[state.run_id] = state
        while len(self._finished) > _FINISHED_KEPT:
            run_id, _ = self._finished.popitem(last=False)
            if run_id not in self._unwritten:
                self._next_seq.pop(run_id, None)
