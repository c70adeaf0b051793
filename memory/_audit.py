"""The append-only audit log: who stored or read what, when and why, allowed or denied.

The service only ever inserts into the ``audit`` table, and triggers in the
schema abort any UPDATE or DELETE on it, so not even a bug here can rewrite
history. Every text is redacted before it is written.

Durability of read rows: a search's row is held in memory and committed with
the other pending ones in one transaction at most ``delay_s`` after it was
queued (at most 50 ms by configuration), as soon as ``batch`` rows are pending,
before any other row is appended (so the log keeps the order of the calls), and
when the service sweeps or stops. A crash of the process inside that window can
lose those read rows. Every other row (writes, grants, consent, denials, audit
reads) is committed before its call returns, in the transaction of what it
records when there is one.
"""

from __future__ import annotations

import asyncio
import sqlite3

import structlog

from agentrt.actors.redaction import redact
from agentrt.contracts.identity import Identity
from agentrt.contracts.memory import AuditEntry
from agentrt.memory._db import from_epoch, to_epoch, transaction

_log = structlog.get_logger("agentrt.memory")

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


def _row(entry: AuditEntry) -> tuple[float | None, str, str, str, str, str, str, int]:
    return (
        to_epoch(entry.at),
        entry.tenant,
        _clean(entry.actor),
        entry.action,
        _clean(entry.partition),
        _clean(entry.target),
        _clean(entry.reason),
        int(entry.allowed),
    )


_INSERT = (
    "INSERT INTO audit (at, tenant, actor, action, partition, target, reason, allowed) VALUES (?, ?, ?, ?, ?, ?, ?, ?)"
)


class AuditTrail:
    """Appends to and reads the ``audit`` table; read rows may be committed a little later (see the module).

    Args:
        conn: The memory database.
        delay_s: Longest time a queued read row waits before it is committed.
        batch: Number of queued read rows that are committed at once without waiting.
    """

    def __init__(self, conn: sqlite3.Connection, delay_s: float = 0.05, batch: int = 100) -> None:
        self._conn = conn
        self._delay_s = delay_s
        self._batch = batch
        self._pending: list[AuditEntry] = []
        self._timer: asyncio.TimerHandle | None = None

    @property
    def pending(self) -> int:
        """Number of queued read rows not yet committed."""
        return len(self._pending)

    def append(self, entry: AuditEntry) -> None:
        """Append one entry now (inside the caller's transaction, if one is open).

        Queued read rows are committed first when no transaction is open, so they keep their
        place before this one; callers that open a transaction flush before they begin.
        """
        if not self._conn.in_transaction:
            self.flush()
        self._conn.execute(_INSERT, _row(entry))

    def append_later(self, entry: AuditEntry) -> None:
        """Queue a read row; it is committed within ``delay_s`` or once ``batch`` rows are queued."""
        self._pending.append(entry)
        if len(self._pending) >= self._batch:
            self.flush()
            return
        if self._timer is None:
            try:
                loop = asyncio.get_running_loop()
            except RuntimeError:  # no event loop to come back on: commit now
                self.flush()
                return
            self._timer = loop.call_later(self._delay_s, self._flush_due)

    def flush(self) -> None:
        """Commit every queued read row in one transaction (rows stay queued if it fails)."""
        if self._timer is not None:
            self._timer.cancel()
            self._timer = None
        if not self._pending:
            return
        entries, self._pending = self._pending, []
        try:
            with transaction(self._conn):
                self._conn.executemany(_INSERT, [_row(entry) for entry in entries])
        except BaseException:
            self._pending[:0] = entries
            raise

    def _flush_due(self) -> None:
        self._timer = None
        try:
            self.flush()
        except Exception:  # noqa: BLE001 - the rows stay queued; the next read or a later timer retries
            _log.exception("memory audit flush failed")
            if self._timer is None:
                self._timer = asyncio.get_running_loop().call_later(self._delay_s, self._flush_due)

    def read(self, tenant: str, limit: int) -> tuple[AuditEntry, ...]:
        """Return the last ``limit`` entries of a tenant, oldest first (queued read rows included)."""
        self.flush()
        rows = self._conn.execute(
            "SELECT at, tenant, actor, action, partition, target, reason, allowed FROM audit"
            " WHERE tenant = ? ORDER BY seq DESC LIMIT ?",
            (tenant, limit),
        ).fetchall()
        return tuple(
            AuditEntry(
                at=from_epoch(row[0]),
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
