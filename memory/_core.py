"""What every memory operation shares: the database tables, the indexes, access checks and the audit."""

from __future__ import annotations

import asyncio
import secrets
import sqlite3
from collections.abc import Callable, Sequence
from contextlib import AbstractContextManager
from datetime import datetime
from typing import NoReturn

import numpy as np
import structlog
from numpy.typing import NDArray

from agentrt.actors.redaction import redact_json
from agentrt.contracts._base import JsonObject
from agentrt.contracts.errors import MemoryAccessDenied
from agentrt.contracts.identity import Identity
from agentrt.contracts.memory import AuditEntry, Partition
from agentrt.contracts.ports import Embedder
from agentrt.memory._audit import AuditTrail, actor_of
from agentrt.memory._consent import ConsentBook
from agentrt.memory._db import open_database, transaction
from agentrt.memory._facts import FactTable
from agentrt.memory._grants import GrantTable
from agentrt.memory._loaded import LoadedPartition
from agentrt.memory._records import RecordTable
from agentrt.memory._snapshots import SnapshotStore
from agentrt.memory._working import WorkingTable
from agentrt.memory.access import Mode, allows
from agentrt.memory.config import MemoryConfig
from agentrt.memory.hashing import HashingEmbedder
from agentrt.memory.index import PartitionIndex

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
        self.audit_trail = AuditTrail(self.conn, config.read_audit_delay_s, config.read_audit_batch)
        self.loaded: dict[Partition, LoadedPartition] = {}
        self.conn.execute("INSERT OR IGNORE INTO meta (key, value) VALUES ('instance', ?)", (secrets.token_hex(16),))
        instance = str(self.conn.execute("SELECT value FROM meta WHERE key = 'instance'").fetchone()[0])
        self.snapshots = SnapshotStore(config.data_dir / "snapshots", instance, embedder.dim, config.index)
        self._snapshot_tasks: dict[Partition, asyncio.Task[None]] = {}

    def now(self) -> datetime:
        """Return the current instant."""
        return self._clock()

    async def embed(self, texts: Sequence[str]) -> NDArray[np.float32]:
        """Embed texts; an embedder that may block on I/O runs off the event loop."""
        if isinstance(self.embedder, HashingEmbedder):
            return self.embedder.embed(texts)
        return await asyncio.to_thread(self.embedder.embed, texts)

    def partition(self, partition: Partition) -> LoadedPartition:
        """Return the partition's index and rows, loading them on first use (from a snapshot if one fits)."""
        loaded = self.loaded.get(partition)
        if loaded is None:
            now = self.now().timestamp()
            loaded = self._restore(partition, now) or self._rebuild(partition, now)
            self.loaded[partition] = loaded
            _log.info(
                "memory partition loaded",
                partition=partition_key(partition),
                rows=len(loaded),
                vectors_read=loaded.vectors_read,
                changes=loaded.changes,
            )
            self.snapshot_if_due(loaded)
        return loaded

    def _rebuild(self, partition: Partition, now: float) -> LoadedPartition:
        loaded = LoadedPartition(partition, PartitionIndex(self.embedder.dim, self.config.index))
        ids, vectors, rows = self.records.load(partition, now)
        loaded.add(ids, vectors, rows)
        loaded.vectors_read = len(ids)
        return loaded

    def _restore(self, partition: Partition, now: float) -> LoadedPartition | None:
        if self.config.index.snapshot_every is None:
            return None
        snapshot = self.snapshots.read(partition_key(partition))
        if snapshot is None:
            return None
        index, info = snapshot
        ids, vectors, rows = self.records.load(partition, now, info.max_rid)
        stored = set(index.stored_ids().tolist())
        if any(row.rid <= info.max_rid and row.rid not in stored for row in rows):
            _log.warning("memory snapshot ignored", partition=partition_key(partition), error="it misses live rows")
            return None
        loaded = LoadedPartition(partition, index)
        gone = stored - {row.rid for row in rows}
        index.remove(np.fromiter(gone, dtype=np.int64, count=len(gone)))
        loaded.add(ids, vectors, rows)
        loaded.changes, loaded.vectors_read = len(ids) + len(gone), len(ids)
        return loaded

    def snapshot_if_due(self, loaded: LoadedPartition, *, force: bool = False) -> None:
        """Write the partition's index to disk in the background once enough of it changed since the last time."""
        every = self.config.index.snapshot_every
        due = loaded.changes > 0 if force else every is not None and loaded.changes >= every
        if every is None or not due or len(loaded) < self.config.index.snapshot_above:
            return
        if loaded.partition not in self._snapshot_tasks:
            task = asyncio.get_running_loop().create_task(self._snapshot(loaded))
            self._snapshot_tasks[loaded.partition] = task

    async def _snapshot(self, loaded: LoadedPartition) -> None:
        await asyncio.sleep(0)  # the write that made it due returns first
        try:
            # Serialized on the event loop, which is the only thread that changes the index; written off it.
            data, changes = loaded.index.to_bytes(), loaded.changes
            stored = loaded.index.stored_ids()
            top = max(loaded.max_rid(), int(stored.max()) if len(stored) else 0)
            loaded.changes = 0
            try:
                await asyncio.to_thread(
                    self.snapshots.write,
                    partition_key(loaded.partition),
                    data,
                    approximate=loaded.index.approximate,
                    max_rid=top,
                    count=len(stored),
                )
            except Exception:  # noqa: BLE001 - a failed snapshot only means a slower restart
                loaded.changes += changes
                _log.exception("memory snapshot failed", partition=partition_key(loaded.partition))
        finally:
            self._snapshot_tasks.pop(loaded.partition, None)

    async def flush_snapshots(self) -> None:
        """Wait for snapshots being written, then snapshot every loaded partition changed since its last one."""
        for loaded in list(self.loaded.values()):
            if loaded.partition not in self._snapshot_tasks:
                self.snapshot_if_due(loaded, force=True)
        while self._snapshot_tasks:
            await asyncio.gather(*list(self._snapshot_tasks.values()))

    def index(self, partition: Partition) -> PartitionIndex:
        """Return the partition's vector index, building it from SQLite on first use."""
        return self.partition(partition).index

    def transaction(self) -> AbstractContextManager[sqlite3.Connection]:
        """Commit queued read-audit rows, then open a transaction (so the log keeps the order of calls)."""
        self.audit_trail.flush()
        return transaction(self.conn)

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

    def audit_read(
        self, caller: Identity, action: str, partitions: Sequence[Partition], target: str, reason: str
    ) -> None:
        """Queue an allowed read for the audit log; it is committed within a bounded delay (see ``_audit``)."""
        where = ", ".join(partition_key(p) for p in partitions)
        self.audit_trail.append_later(self._entry(caller, action, where, target, reason, allowed=True))

    def _append(self, caller: Identity, action: str, where: str, target: str, reason: str, *, allowed: bool) -> None:
        self.audit_trail.append(self._entry(caller, action, where, target, reason, allowed=allowed))

    def _entry(
        self, caller: Identity, action: str, where: str, target: str, reason: str, *, allowed: bool
    ) -> AuditEntry:
        return AuditEntry(
            at=self.now(),
            tenant=caller.tenant,
            actor=actor_of(caller),
            action=action,
            partition=where,
            target=target,
            reason=reason,
            allowed=allowed,
        )

    def close(self) -> None:
        """Commit queued read-audit rows, close the database and, if it holds a connection, the embedder."""
        try:
            self.audit_trail.flush()
        finally:
            close = getattr(self.embedder, "close", None)
            if callable(close):
                close()
            self.conn.close()
