"""A partition held in memory: its vector index and the rows searches rank, kept in step with SQLite.

SQLite stays the source of truth. A partition is loaded from it on first use;
afterwards every committed write adds its rows here and every sweep removes
them, so a search reads candidates from memory instead of querying SQLite. Each
candidate is still checked against the partition it was asked for and against
the retention policy in force at the moment of the search.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

import numpy as np
from numpy.typing import NDArray

from agentrt.contracts.memory import Partition
from agentrt.memory._records import StoredRow
from agentrt.memory._retention import born_after
from agentrt.memory.config import RetentionPolicy
from agentrt.memory.index import PartitionIndex


class LoadedPartition:
    """The vector index and live rows of one partition.

    Args:
        partition: The partition this holds.
        index: Its (empty) vector index.
    """

    def __init__(self, partition: Partition, index: PartitionIndex) -> None:
        self.partition = partition
        self.index = index
        self._key = (partition.tenant, partition.scope.value, partition.owner)
        self._rows: dict[int, StoredRow] = {}
        self.changes = 0
        """Rows added or removed since the last snapshot (or since loading, when none was used)."""
        self.vectors_read = 0
        """Vectors read from SQLite when the partition was loaded."""

    def __len__(self) -> int:
        """Number of rows held."""
        return len(self._rows)

    def add(self, ids: NDArray[np.int64], vectors: NDArray[np.float32], rows: Sequence[StoredRow]) -> None:
        """Add committed rows and their vectors (ids in the order of ``rows``)."""
        if len(ids):
            self.index.add(ids, vectors)
        self._rows.update((row.rid, row) for row in rows)
        self.changes += len(rows)

    def max_rid(self) -> int:
        """The highest row id held (0 when empty)."""
        return max(self._rows, default=0)

    def remove(self, rids: Iterable[int]) -> None:
        """Forget rows (deleted from SQLite) and their vectors."""
        ids = [rid for rid in rids if self._rows.pop(rid, None) is not None]
        self.index.remove(np.asarray(ids, dtype=np.int64))
        self.changes += len(ids)

    def live(
        self, rids: Iterable[int], policy: RetentionPolicy, now: float, category: str | None
    ) -> dict[int, StoredRow]:
        """Return the rows among ``rids`` that are live now (and of ``category``, when given)."""
        cutoff = born_after(policy, self.partition, now)
        found: dict[int, StoredRow] = {}
        for rid in rids:
            stored = self._rows.get(rid)
            if stored is None:
                continue
            row = stored.row
            # Rows are filed by partition on the way in; checking again keeps another tenant's row out regardless.
            if (row[2], row[3], row[4]) != self._key:
                continue
            expires = stored.expires_at
            if expires is not None and expires <= now:
                continue
            if cutoff is not None and stored.created_at <= cutoff:
                continue
            if category is not None and stored.category != category:
                continue
            found[rid] = stored
        return found
