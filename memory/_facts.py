"""Key–value facts in SQLite: every version kept, contradictions reported, resolutions recorded.

A fact row is *current* until a write of the same value refreshes it or a
resolution rules against it. The current rows of a key with more than one
distinct value are a conflict; superseded rows stay in the table as history.
"""

from __future__ import annotations

import json
import sqlite3
from dataclasses import dataclass

from agentrt.contracts._base import JsonValue
from agentrt.contracts.memory import Fact, FactAnswer, Partition
from agentrt.memory._db import from_epoch, to_epoch
from agentrt.memory._retention import RowShape, Sweep, live_clause, sweep_table
from agentrt.memory.config import RetentionPolicy

_SHAPE = RowShape(scope="scope", owner="owner", born="written_at")
_WHERE_KEY = "tenant = ? AND scope = ? AND owner = ? AND key = ?"


def canonical(value: JsonValue) -> str:
    """Return the JSON text two equal values share (sorted keys, no spaces)."""
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False)


@dataclass(frozen=True, slots=True)
class StoredFact:
    """A current fact and its row id (write order)."""

    fid: int
    fact: Fact


class FactTable:
    """Reads and writes the ``facts`` and ``resolutions`` tables."""

    def __init__(self, conn: sqlite3.Connection, policy: RetentionPolicy) -> None:
        self._conn = conn
        self._policy = policy

    def current(self, partition: Partition, key: str, now: float) -> list[StoredFact]:
        """Return the live current facts of a key, oldest write first."""
        live, params = live_clause(self._policy, partition, now, _SHAPE)
        rows = self._conn.execute(
            "SELECT fid, value, source, confidence, observed_at, expires_at, category FROM facts"
            f" WHERE {_WHERE_KEY} AND current = 1{live} ORDER BY fid",
            [partition.tenant, partition.scope.value, partition.owner, key, *params],
        ).fetchall()
        return [
            StoredFact(
                fid=row[0],
                fact=Fact(
                    partition=partition,
                    key=key,
                    value=json.loads(row[1]),
                    source=row[2],
                    confidence=row[3],
                    observed_at=from_epoch(row[4]),
                    expires_at=from_epoch(row[5]),
                    category=row[6],
                ),
            )
            for row in rows
        ]

    def put(self, fact: Fact, now: float) -> tuple[Fact, ...]:
        """Store ``fact`` inside the caller's transaction; return the current facts it contradicts."""
        value = canonical(fact.value)
        existing = self.current(fact.partition, fact.key, now)
        same = [s.fid for s in existing if canonical(s.fact.value) == value]
        if same:
            # Restating a value refreshes it rather than piling up identical versions.
            self._retire(same)
        p = fact.partition
        self._conn.execute(
            "INSERT INTO facts (tenant, scope, owner, key, value, source, confidence, category,"
            " observed_at, written_at, expires_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            (
                p.tenant,
                p.scope.value,
                p.owner,
                fact.key,
                value,
                fact.source,
                fact.confidence,
                fact.category,
                to_epoch(fact.observed_at),
                now,
                to_epoch(fact.expires_at),
            ),
        )
        return tuple(s.fact for s in existing if canonical(s.fact.value) != value)

    def settle(
        self, winner: StoredFact, losers: list[StoredFact], rule: str, reason: str, actor: str, now: float
    ) -> None:
        """Record a resolution inside the caller's transaction and retire the losing facts."""
        self._retire([s.fid for s in losers])
        p = winner.fact.partition
        self._conn.execute(
            "INSERT INTO resolutions (tenant, scope, owner, key, rule, chosen_fid, reason, actor, at)"
            " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
            (p.tenant, p.scope.value, p.owner, winner.fact.key, rule, winner.fid, reason, actor, now),
        )

    def answer(self, partition: Partition, key: str, now: float) -> FactAnswer:
        """Return the current facts of a key, flagged as a conflict or with the fact that stands."""
        current = self.current(partition, key, now)
        if not current:
            return FactAnswer()
        facts = tuple(s.fact for s in current)
        if len({canonical(f.value) for f in facts}) > 1:
            return FactAnswer(facts=facts, conflict=True)
        winner = current[-1]
        row = self._conn.execute(
            f"SELECT reason FROM resolutions WHERE {_WHERE_KEY} AND chosen_fid = ? ORDER BY id DESC LIMIT 1",
            (partition.tenant, partition.scope.value, partition.owner, key, winner.fid),
        ).fetchone()
        return FactAnswer(facts=facts, resolved=winner.fact, resolution=row[0] if row else "")

    def sweep(self, sweep: Sweep) -> list[str]:
        """Delete expired facts; return the tenant of each."""
        return [str(r[0]) for r in sweep_table(self._conn, "facts", _SHAPE, sweep, "tenant")]

    def _retire(self, fids: list[int]) -> None:
        if fids:
            marks = ", ".join("?" for _ in fids)
            self._conn.execute(f"UPDATE facts SET current = 0 WHERE fid IN ({marks})", fids)
