"""The append-only audit log: who stored or read what, when and why, allowed or denied.

The service only ever inserts into the ``audit`` table, and triggers in the
schema abort any UPDATE or DELETE on it, so not even a bug here can rewrite
history. Every text is redacted before it is written.
"""

from __future__ import annotations

import sqlite3

from actors.redaction import redact
from contracts.identity import Identity
from contracts.memory import AuditEntry
from memory._db import from_epoch, to_epoch

_MAX_FIELD = 2_000


def actor_of(caller: Identity) -> str:
    """Return how an identity is named in the audit log (``role:agent[/user:u][/run:r]``)."""
    name = f"{caller.role}:{caller.agent}"
    if caller.user is not None:
        name += f"/user:{caller.user}"
    if caller.run_id is not None:
        name += f"/run:{caller.run_id}"
    return name


def _clean(text: str) -> str:
    # Redact before cutting: a cut could split a secret so that it no longer matches.
    return redact(text).text[:_MAX_FIELD] if text else text


class AuditTrail:
    """Appends to and reads the ``audit`` table."""

    def __init__(self, conn: sqlite3.Connection) -> None:
        self._conn = conn

    def append(self, entry: AuditEntry) -> None:
        """Append one entry (inside the caller's transaction, if one is open)."""
        self._conn.execute(
            "INSERT INTO audit (at, tenant, actor, action, partition, target, reason, allowed)"
            " VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
            (
                to_epoch(entry.at),
                entry.tenant,
                _clean(entry.actor),
                entry.action,
                _clean(entry.partition),
                _clean(entry.target),
                _clean(entry.reason),
                int(entry.allowed),
            ),
        )

    def read(self, tenant: str, limit: int) -> tuple[AuditEntry, ...]:
        """Return the last ``limit`` entries of a tenant, oldest first."""
        rows = self._conn.execute(
            "SELECT at, tenant, actor, action, partition, target, reason, allowed FROM audit"
            " WHERE tenant = ? ORDER BY seq DESC LIMIT ?",
            (tenant, limit),
        ).fetchall()
        return tuple(
            AuditEntry(
                at=from_epoch(row[0]),  # type: ignore[arg-type]
                tenant=row[1],
                actor=row[2],
                action=row[3],
                partition=row[4],
                target=row[5],
                reason=row[6],
                allowed=bool(row[7]),
            )
            for row in reversed(rows)
        )
