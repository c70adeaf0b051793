"""The write ledger: completed writes by idempotency key, so a retried or re-dispatched write runs once.

A write tool's idempotency key is derived from the run, the step, the tool and
its canonical arguments (unless the model or caller gives one). Before a write
runs, the ledger is asked; a recorded key replays the recorded output instead
of running the tool again. With a file path the ledger is a SQLite database
that outlives the process, so a step re-dispatched to a restarted actor
replays too.
"""

from __future__ import annotations

import hashlib
import json
import sqlite3
import threading
from dataclasses import dataclass
from pathlib import Path

from agentrt.contracts import JsonObject, JsonValue, utcnow

__all__ = ["RecordedWrite", "WriteLedger", "canonical_json", "idempotency_key"]


def canonical_json(value: JsonValue) -> str:
    """Serialise a JSON value the same way every time (sorted keys, no spaces)."""
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False)


def idempotency_key(run_id: str, step_id: str, tool: str, arguments: JsonObject) -> str:
    """Return the idempotency key of a write: a digest of run, step, tool and canonical arguments."""
    digest = hashlib.sha256(canonical_json([run_id, step_id, tool, arguments]).encode()).hexdigest()
    return f"idem-{digest[:40]}"


@dataclass(frozen=True, slots=True)
class RecordedWrite:
    """A write that completed: which tool ran and what it returned."""

    key: str
    tool: str
    output: JsonValue


class WriteLedger:
    """Completed writes, keyed by idempotency key.

    Args:
        path: SQLite file that survives restarts; None keeps the ledger in this process only.
    """

    def __init__(self, path: str | Path | None = None) -> None:
        self.path = None if path is None else Path(path)
        self._lock = threading.Lock()
        self._connection: sqlite3.Connection | None = None

    def __reduce__(self) -> tuple[object, ...]:
        # A ledger travels as configuration: the receiving process opens its own connection.
        return (WriteLedger, (self.path,))

    def lookup(self, key: str) -> RecordedWrite | None:
        """Return the recorded write under ``key``, or None."""
        with self._lock:
            row = self._db().execute("SELECT tool, output FROM completed_writes WHERE key = ?", (key,)).fetchone()
        if row is None:
            return None
        return RecordedWrite(key=key, tool=row[0], output=json.loads(row[1]))

    def record(self, key: str, tool: str, output: JsonValue) -> None:
        """Record a completed write durably; the first record under a key wins."""
        with self._lock:
            db = self._db()
            db.execute(
                "INSERT OR IGNORE INTO completed_writes (key, tool, output, recorded_at) VALUES (?, ?, ?, ?)",
                (key, tool, canonical_json(output), utcnow().isoformat()),
            )
            db.commit()

    def close(self) -> None:
        """Close the database connection (it reopens on the next use)."""
        with self._lock:
            if self._connection is not None:
                self._connection.close()
                self._connection = None

    def _db(self) -> sqlite3.Connection:
        if self._connection is None:
            target = ":memory:" if self.path is None else str(self.path)
            if self.path is not None:
                self.path.parent.mkdir(parents=True, exist_ok=True)
            connection = sqlite3.connect(target, timeout=30, check_same_thread=False, isolation_level=None)
            if self.path is not None:
                connection.execute("PRAGMA journal_mode=WAL")
                connection.execute("PRAGMA synchronous=FULL")
            connection.execute(
                "CREATE TABLE IF NOT EXISTS completed_writes"
                " (key TEXT PRIMARY KEY, tool TEXT NOT NULL, output TEXT NOT NULL, recorded_at TEXT NOT NULL)"
            )
            self._connection = connection
        return self._connection
