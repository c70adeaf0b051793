"""Durable run checkpoints and the run trace, in one SQLite file.

A checkpoint is the whole :class:`~agentrt.contracts.RunState` encoded with the wire
codec; it is written (and fsynced by SQLite) after every transition, so a new
supervisor resumes any unfinished run from its last checkpoint. Trace events are
appended to the same file with a per-run sequence number.
"""

from __future__ import annotations

import sqlite3
import threading
from pathlib import Path

from agentrt.contracts import (
    TERMINAL_STATUSES,
    RunEvent,
    RunState,
    decode_as,
    encode,
)

__all__ = ["SQLiteRunStore"]

_SCHEMA = """
CREATE TABLE IF NOT EXISTS runs (
    run_id TEXT PRIMARY KEY,
    tenant TEXT NOT NULL,
    status TEXT NOT NULL,
    updated_at TEXT NOT NULL,
    state BLOB NOT NULL
);
CREATE TABLE IF NOT EXISTS events (
    run_id TEXT NOT NULL,
    seq INTEGER NOT NULL,
    event BLOB NOT NULL,
    PRIMARY KEY (run_id, seq)
);
"""


class SQLiteRunStore:
    """Checkpoints (implements ``CheckpointStore``) and trace events, durable when a call returns.

    Args:
        path: The SQLite file; its directory is created.
    """

    def __init__(self, path: Path | str) -> None:
        self._path = Path(path)
        self._path.parent.mkdir(parents=True, exist_ok=True)
        self._lock = threading.Lock()
        self._db = sqlite3.connect(self._path, check_same_thread=False, isolation_level=None)
        self._db.execute("PRAGMA journal_mode=WAL")
        self._db.execute("PRAGMA synchronous=FULL")
        self._db.executescript(_SCHEMA)

    @property
    def path(self) -> Path:
        """The SQLite file."""
        return self._path

    def save(self, state: RunState) -> None:
        """Write the run's checkpoint."""
        row = (state.run_id, state.goal.tenant, state.status.value, state.updated_at.isoformat(), encode(state))
        with self._lock:
            self._db.execute("INSERT OR REPLACE INTO runs VALUES (?, ?, ?, ?, ?)", row)

    def load(self, run_id: str) -> RunState | None:
        """Return the last checkpoint of a run, or None."""
        with self._lock:
            row = self._db.execute("SELECT state FROM runs WHERE run_id = ?", (run_id,)).fetchone()
        return None if row is None else decode_as(row[0], RunState)

    def unfinished(self) -> list[RunState]:
        """Return every run not in a terminal state, oldest first."""
        terminal = tuple(s.value for s in TERMINAL_STATUSES)
        marks = ",".join("?" * len(terminal))
        return self._select(f"WHERE status NOT IN ({marks}) ORDER BY updated_at", terminal)

    def all(self) -> list[RunState]:
        """Return every run, newest first."""
        return self._select("ORDER BY updated_at DESC", ())

    def of_tenant(self, tenant: str, limit: int = 200) -> list[RunState]:
        """Return a tenant's runs, newest first."""
        return self._select("WHERE tenant = ? ORDER BY updated_at DESC LIMIT ?", (tenant, limit))

    def append_event(self, event: RunEvent) -> RunEvent:
        """Append an event to its run's trace, assigning the next sequence number."""
        with self._lock:
            self._db.execute("BEGIN IMMEDIATE")
            try:
                (last,) = self._db.execute(
                    "SELECT COALESCE(MAX(seq), -1) FROM events WHERE run_id = ?", (event.run_id,)
                ).fetchone()
                stamped = event.model_copy(update={"seq": last + 1})
                self._db.execute("INSERT INTO events VALUES (?, ?, ?)", (event.run_id, last + 1, encode(stamped)))
                self._db.execute("COMMIT")
            except BaseException:
                self._db.execute("ROLLBACK")
                raise
        return stamped

    def events(self, run_id: str, after_seq: int = -1, limit: int = 1000) -> list[RunEvent]:
        """Return a run's events with ``seq > after_seq``, in order."""
        with self._lock:
            rows = self._db.execute(
                "SELECT event FROM events WHERE run_id = ? AND seq > ? ORDER BY seq LIMIT ?", (run_id, after_seq, limit)
            ).fetchall()
        return [decode_as(r[0], RunEvent) for r in rows]

    def close(self) -> None:
        """Close the database."""
        with self._lock:
            self._db.close()

    def _select(self, clause: str, params: tuple[object, ...]) -> list[RunState]:
        with self._lock:
            rows = self._db.execute(f"SELECT state FROM runs {clause}", params).fetchall()
        return [decode_as(r[0], RunState) for r in rows]
