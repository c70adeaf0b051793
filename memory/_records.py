"""Semantic records in SQLite: text, provenance, expiry and the float32 vector of each."""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Sequence
from dataclasses import dataclass
from typing import cast

import numpy as np
from numpy.typing import NDArray

from agentrt.contracts.ids import new_id
from agentrt.contracts.memory import MemoryRecord, Partition, Scope
from agentrt.memory._db import from_epoch
from agentrt.memory._retention import RowShape, Sweep, live_clause, sweep_table
from agentrt.memory.config import RetentionPolicy

_SHAPE = RowShape(scope="scope", owner="owner", born="created_at")
_COLUMNS = "rid, record_id, tenant, scope, owner, text, category, metadata, source, confidence, created_at, expires_at"


@dataclass(frozen=True, slots=True)
class RecordBatch:
    """What one write stores: redacted texts, their vectors and shared provenance."""

    partition: Partition
    texts: Sequence[str]
    vectors: NDArray[np.float32]
    category: str
    metadata: str
    source: str
    confidence: float
    created_at: float
    expires_at: float | None


class RecordTable:
    """Reads and writes the ``records`` table (one partition at a time)."""

    def __init__(self, conn: sqlite3.Connection, policy: RetentionPolicy, dim: int) -> None:
        self._conn = conn
        self._policy = policy
        self._dim = dim

    def insert(self, batch: RecordBatch) -> tuple[NDArray[np.int64], list[StoredRow]]:
        """Insert a batch inside the caller's transaction; return its row ids and the stored rows."""
        # AUTOINCREMENT never reuses a row id, so a stale vector can never point at a newer record.
        row = self._conn.execute("SELECT seq FROM sqlite_sequence WHERE name = 'records'").fetchone()
        first = (row[0] if row else 0) + 1
        rids = np.arange(first, first + len(batch.texts), dtype=np.int64)
        record_ids = [new_id("mem") for _ in batch.texts]
        p = batch.partition
        rows = [
            (
                rid,
                rec,
                p.tenant,
                p.scope.value,
                p.owner,
                text,
                batch.category,
                batch.metadata,
                batch.source,
                batch.confidence,
                batch.created_at,
                batch.expires_at,
            )
            for rid, rec, text in zip(rids.tolist(), record_ids, batch.texts, strict=True)
        ]
        self._conn.executemany(
            f"INSERT INTO records ({_COLUMNS}, vector) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            ((*row, vec.tobytes()) for row, vec in zip(rows, batch.vectors, strict=True)),
        )
        return rids, [StoredRow(row, p) for row in rows]

    def load(
        self, partition: Partition, now: float, vectors_after: int = 0
    ) -> tuple[NDArray[np.int64], NDArray[np.float32], list[StoredRow]]:
        """Return every live row of ``partition``, and the ids and vectors of those with rid above ``vectors_after``."""
        live, params = live_clause(self._policy, partition, now, _SHAPE)
        found = self._conn.execute(
            f"SELECT {_COLUMNS}, CASE WHEN rid > ? THEN vector END FROM records"
            f" WHERE tenant = ? AND scope = ? AND owner = ?{live} ORDER BY rid",
            [vectors_after, partition.tenant, partition.scope.value, partition.owner, *params],
        ).fetchall()
        key = (partition.tenant, partition.scope.value, partition.owner)
        # The query already filters by partition; checking again keeps a record of another
        # tenant out of the partition's rows even if the SQL above were ever wrong.
        kept = [r for r in found if (r[2], r[3], r[4]) == key]
        with_vectors = [r for r in kept if r[-1] is not None]
        ids = np.fromiter((r[0] for r in with_vectors), dtype=np.int64, count=len(with_vectors))
        blob = b"".join(r[-1] for r in with_vectors)
        vectors = np.frombuffer(blob, dtype=np.float32).reshape(len(with_vectors), self._dim)
        return ids, vectors, [StoredRow(r[:-1], partition) for r in kept]

    def sweep(self, sweep: Sweep) -> list[tuple[int, Partition]]:
        """Delete expired records; return each one's row id and partition."""
        rows = sweep_table(self._conn, "records", _SHAPE, sweep, "rid, tenant, scope, owner")
        return [(int(r[0]), Partition(tenant=str(r[1]), scope=Scope(str(r[2])), owner=str(r[3]))) for r in rows]


@dataclass(frozen=True, slots=True)
class StoredRow:
    """A ``records`` row (without its vector); the contract is built only for rows that make the cut."""

    row: tuple[object, ...]
    partition: Partition

    @property
    def rid(self) -> int:
        """The SQLite row id, which is also the vector id."""
        return int(cast(int, self.row[0]))

    @property
    def category(self) -> str:
        """The record category."""
        return str(self.row[6])

    @property
    def expires_at(self) -> float | None:
        """When the record expires by its own stamp, in epoch seconds (None: only by policy)."""
        return cast(float | None, self.row[11])

    @property
    def text(self) -> str:
        """The (redacted) record text."""
        return str(self.row[5])

    @property
    def created_at(self) -> float:
        """When the record was written, in epoch seconds."""
        return float(cast(float, self.row[10]))

    def record(self) -> MemoryRecord:
        """Return the row as a :class:`MemoryRecord`."""
        row = self.row
        # Built from rows this service validated and redacted on the way in; validating again
        # would only add latency to every search hit.
        metadata = str(row[7])
        return MemoryRecord.model_construct(
            kind="memory_record",
            id=str(row[1]),
            partition=self.partition,
            text=str(row[5]),
            category=str(row[6]),
            metadata={} if metadata == "{}" else json.loads(metadata),
            source=str(row[8]),
            confidence=cast(float, row[9]),
            created_at=from_epoch(self.created_at),
            expires_at=from_epoch(self.expires_at),
        )
