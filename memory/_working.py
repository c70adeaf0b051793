"""Working state of runs in SQLite: one JSON object per run, replaced on every save."""

from __future__ import annotations

import json
import sqlite3

from agentrt.contracts._base import JsonObject
from agentrt.contracts.memory import Partition
from agentrt.memory._retention import RowShape, Sweep, live_clause, sweep_table
from agentrt.memory.config import RetentionPolicy

_SHAPE = RowShape(scope="'run'", owner="run_id", born="updated_at")


class WorkingTable:
    """Reads and writes the ``working`` table."""

    def __init__(self, conn: sqlite3.Connection, policy: RetentionPolicy) -> None:
        self._conn = conn
        self._policy = policy

    def save(self, partition: Partition, state: JsonObject, now: float) -> None:
        """Replace the working state of the run that owns ``partition``."""
        self._conn.execute(
            "INSERT INTO working (tenant, run_id, state, updated_at) VALUES (?, ?, ?, ?)"
            " ON CONFLICT (tenant, run_id) DO UPDATE SET state = excluded.state, updated_at = excluded.updated_at",
            (partition.tenant, partition.owner, json.dumps(state, ensure_ascii=False), now),
        )

    def load(self, partition: Partition, now: float) -> JsonObject | None:
        """Return the live working state of a run, or None."""
        live, params = live_clause(self._policy, partition, now, _SHAPE)
        row = self._conn.execute(
            f"SELECT state FROM working WHERE tenant = ? AND run_id = ?{live}",
            [partition.tenant, partition.owner, *params],
        ).fetchone()
        if row is None:
            return None
        state: JsonObject = json.loads(row[0])
        return state

    def sweep(self, sweep: Sweep) -> list[str]:
        """Delete expired working states; return the tenant of each."""
        return [str(r[0]) for r in sweep_table(self._conn, "working", _SHAPE, sweep, "tenant")]
