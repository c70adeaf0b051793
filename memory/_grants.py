"""Grants in SQLite: which partition a supervisor opened to which agent for which run."""

from __future__ import annotations

import sqlite3

from agentrt.contracts.identity import Identity
from agentrt.contracts.memory import Grant
from agentrt.memory._db import to_epoch
from agentrt.memory._retention import Sweep


class GrantTable:
    """Reads and writes the ``grants`` table."""

    def __init__(self, conn: sqlite3.Connection) -> None:
        self._conn = conn

    def add(self, grant: Grant) -> None:
        """Store a grant (already checked by the service)."""
        self._conn.execute(
            "INSERT INTO grants (tenant, grantee, run_id, expires_at, body) VALUES (?, ?, ?, ?, ?)",
            (grant.caller.tenant, grant.grantee, grant.run_id, to_epoch(grant.expires_at), grant.model_dump_json()),
        )

    def held_by(self, caller: Identity, now: float) -> list[Grant]:
        """Return the unexpired grants issued in the caller's tenant to its agent for its run."""
        if caller.run_id is None:
            return []
        rows = self._conn.execute(
            "SELECT body FROM grants WHERE tenant = ? AND grantee = ? AND run_id = ?"
            " AND (expires_at IS NULL OR expires_at > ?)",
            (caller.tenant, caller.agent, caller.run_id, now),
        ).fetchall()
        return [Grant.model_validate_json(row[0]) for row in rows]

    def sweep(self, sweep: Sweep) -> list[str]:
        """Delete expired grants; return the tenant of each."""
        scoped = "" if sweep.tenant is None else " AND tenant = ?"
        params = [sweep.now] + ([] if sweep.tenant is None else [sweep.tenant]) + [sweep.limit]
        rows = self._conn.execute(
            "DELETE FROM grants WHERE id IN (SELECT id FROM grants WHERE expires_at IS NOT NULL AND expires_at <= ?"
            f"{scoped} LIMIT ?) RETURNING tenant",
            params,
        ).fetchall()
        return [str(row[0]) for row in rows]
