"""What every memory operation shares: the database tables, the indexes, access checks and the audit."""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Sequence
from datetime import datetime
from typing import NoReturn

import numpy as np
import structlog
from numpy.typing import NDArray

from actors.redaction import redact_json
from contracts._base import JsonObject
from contracts.errors import MemoryAccessDenied
from contracts.identity import Identity
from contracts.memory import AuditEntry, Partition
from contracts.ports import Embedder
from memory._audit import AuditTrail, actor_of
from memory._consent import ConsentBook
from memory._db import open_database
from memory._facts import FactTable
from memory._grants import GrantTable
from memory._records import RecordTable
from memory._working import WorkingTable
from memory.access import Mode, allows
from memory.config import MemoryConfig
from memory.hashing import HashingEmbedder
from memory.index import PartitionIndex

_log = structlog.get_logger("agentrt.memory")


def partition_key(partition: Partition) -> str:
    """Return the ``tenant/scope/owner`` name of a partition (as in the audit log and retention keys)."""
    return f"{partition.tenant}/{partition.scope.value}/{partition.owner}"


def redact_object(value: JsonObject) -> tuple[JsonObject, int]:
    """Redact every string (keys too) in a JSON object; return it with the number of matches."""
    cleaned, count = redact_json(value)
    return (cleaned if isinstance(cleaned, dict) else {}), count


class Core:
    """The memory database, the partitions' vector indexes, and the checks around them.

    Args:
        config: The service configuration.
        embedder: The embedder vectors come from.
        clock: Source of the current instant.
    """

    def __init__(self, config: MemoryConfig, embedder: Embedder, clock: Callable[[], datetime]) -> None:
        self.config = config
        self.embedder = embedder
        self._clock = clock
        self.conn = open_database(config.data_dir / "memory.sqlite3", config.synchronous, embedder.dim)
        policy = config.retention
        self.records = RecordTable(self.conn, policy, embedder.dim)
        self.facts = FactTable(self.conn, policy)
        self.grants = GrantTable(self.conn)
        self.consent = ConsentBook(self.conn, config.default_allowed_categories)
        self.working = WorkingTable(self.conn, policy)
        self.audit_trail = AuditTrail(self.conn)
        self.indexes: dict[Partition, PartitionIndex] = {}

    def now(self) -> datetime:
        """Return the current instant."""
        return self._clock()

    async def embed(self, texts: Sequence[str]) -> NDArray[np.float32]:
        """Embed texts; an embedder that may block on I/O runs off the event loop."""
        if isinstance(self.embedder, HashingEmbedder):
            return self.embedder.embed(texts)
        return await asyncio.to_thread(self.embedder.embed, texts)

    def index(self, partition: Partition) -> PartitionIndex:
        """Return the partition's vector index, building it from SQLite on first use."""
        index = self.indexes.get(partition)
        if index is None:
            index = PartitionIndex(self.embedder.dim, self.config.index)
            ids, vectors = self.records.vectors(partition, self.now().timestamp())
            if len(ids):
                index.add(ids, vectors)
            self.indexes[partition] = index
        return index

    def require(self, caller: Identity, partition: Partition, mode: Mode, action: str, reason: str) -> None:
        """Raise (and audit) :class:`MemoryAccessDenied` unless ``caller`` may ``mode`` the partition."""
        if allows(caller, partition, mode):
            return
        now = self.now()
        # Grants are looked up only within the caller's own tenant: no grant can reach across.
        grants = self.grants.held_by(caller, now.timestamp()) if caller.tenant == partition.tenant else []
        if not allows(caller, partition, mode, grants, now):
            self.deny(caller, action, partition_key(partition), reason)

    def deny(self, caller: Identity, action: str, target: str, reason: str) -> NoReturn:
        """Audit a refused request in the caller's tenant and raise :class:`MemoryAccessDenied`."""
        self._append(caller, action, target, "", reason, allowed=False)
        _log.info("memory access denied", action=action, tenant=caller.tenant, role=caller.role)
        raise MemoryAccessDenied(
            f"{caller.role} {caller.agent!r} of tenant {caller.tenant!r} may not {action} {target}",
            tenant=caller.tenant,
            action=action,
            target=target,
        )

    def audit(self, caller: Identity, action: str, partition: Partition | str | None, target: str, reason: str) -> None:
        """Append an allowed action to the audit log of the caller's tenant."""
        where = partition_key(partition) if isinstance(partition, Partition) else partition or ""
        self._append(caller, action, where, target, reason, allowed=True)

    def _append(self, caller: Identity, action: str, where: str, target: str, reason: str, *, allowed: bool) -> None:
        entry = AuditEntry(
            at=self.now(),
            tenant=caller.tenant,
            actor=actor_of(caller),
            action=action,
            partition=where,
            target=target,
            reason=reason,
            allowed=allowed,
        )
        self.audit_trail.append(entry)

    def close(self) -> None:
        """Close the database and, if it holds a connection, the embedder."""
        close = getattr(self.embedder, "close", None)
        if callable(close):
            close()
        self.conn.close()
