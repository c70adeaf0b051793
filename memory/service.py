"""The memory service: partitioned vector memory, facts and working state, with access control.

:class:`MemoryService` implements :class:`~agentrt.contracts.ports.MemoryRef`. Every call
names its caller; the service checks the caller against the partitions the call
touches (see :mod:`agentrt.memory.access`), redacts personal data and secrets before
anything is persisted, applies consent and retention, and appends what happened
(allowed or denied) to the audit log. SQLite is the source of truth; each
partition's FAISS index and the rows searches rank are loaded from it on first
use and kept in step with every write and sweep, so a restarted service comes
back with everything a returned call wrote.

Durability rule of read-audit rows: the audit row of a search is committed
within ``MemoryConfig.read_audit_delay_s`` (at most 50 ms), or at once when
``read_audit_batch`` of them are pending, before any other audit row, and on
sweep and stop; a process crash inside that window can lose it. Every other
audit row (writes, grants, consent, denials, working state, audit reads) is
committed before its call returns.

Run it as an actor::

    config = MemoryConfig(data_dir=Path("/var/lib/agentrt/memory"))
    handle = spawn(functools.partial(MemoryService, config), MemoryRef, config.actor)
    memory = memory_proxy(ServiceClient(RayTransport(handle)))
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Callable
from datetime import datetime

import structlog

from agentrt.actors.credentials import require_identity
from agentrt.contracts._base import utcnow
from agentrt.contracts.memory import (
    AuditLog,
    AuditQuery,
    ConsentPolicy,
    FactAnswer,
    FactQuery,
    FactResolution,
    FactWrite,
    FactWriteAck,
    Grant,
    MemoryAck,
    MemoryHits,
    MemoryQuery,
    MemoryWrite,
    MemoryWriteAck,
    Partition,
    RetentionSweep,
    Scope,
    SweepReport,
    WorkingState,
    WorkingStateQuery,
)
from agentrt.contracts.ports import Embedder
from agentrt.memory import _fact_ops, _record_ops
from agentrt.memory._audit import actor_of
from agentrt.memory._core import Core, partition_key, redact_object
from agentrt.memory._sweep import run_sweep
from agentrt.memory.access import may_administer, may_grant
from agentrt.memory.config import MemoryConfig
from agentrt.memory.embedders import build_embedder

__all__ = ["MemoryService"]

_log = structlog.get_logger("agentrt.memory")


class MemoryService:
    """The memory actor's service object (see the module docstring).

    Args:
        config: Data directory, embedder, index thresholds, retention, source ranks.
        embedder: Use this embedder instead of building ``config.embedder``.
        clock: Source of the current instant (tests move it instead of sleeping).

    Raises:
        ConfigError: When the data directory holds vectors of another dimension.
    """

    def __init__(
        self, config: MemoryConfig, embedder: Embedder | None = None, clock: Callable[[], datetime] = utcnow
    ) -> None:
        self._core = Core(config, embedder if embedder is not None else build_embedder(config.embedder), clock)
        self._sweeper: asyncio.Task[None] | None = None

    async def start(self) -> None:
        """Start the periodic retention sweep (the actor host awaits this before the first call)."""
        if self._sweeper is None:
            self._sweeper = asyncio.get_running_loop().create_task(self._sweep_forever())

    async def stop(self) -> None:
        """Stop the periodic sweep, snapshot the changed partitions' indexes and close the database."""
        if self._sweeper is not None:
            self._sweeper.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._sweeper
            self._sweeper = None
        try:
            await self._core.flush_snapshots()
        finally:
            self._core.close()

    async def write(self, request: MemoryWrite) -> MemoryWriteAck:
        """Store texts as records of one partition (one transaction, one index add)."""
        require_identity(request.caller, "memory.write")
        return await _record_ops.write(self._core, request)

    async def search(self, request: MemoryQuery) -> MemoryHits:
        """Hybrid search over partitions the caller may read; denied if it may not read one of them."""
        require_identity(request.caller, "memory.search")
        return await _record_ops.search(self._core, request)

    async def put_fact(self, request: FactWrite) -> FactWriteAck:
        """Store a fact; a contradicting current fact is kept and reported as a conflict."""
        require_identity(request.caller, "memory.put_fact")
        return _fact_ops.put(self._core, request)

    async def get_facts(self, request: FactQuery) -> FactAnswer:
        """Return the current facts of a key and the one that stands, if any."""
        require_identity(request.caller, "memory.get_facts")
        return _fact_ops.get(self._core, request)

    async def resolve(self, request: FactResolution) -> FactAnswer:
        """Resolve the facts of a key by the named rule and record why."""
        require_identity(request.caller, "memory.resolve")
        return _fact_ops.resolve(self._core, request)

    async def grant(self, request: Grant) -> MemoryAck:
        """Open a partition to one agent for one run (supervisors of the partition's tenant only)."""
        require_identity(request.caller, "memory.grant")
        core = self._core
        if not may_grant(request.caller, request.partition):
            core.deny(request.caller, "grant", partition_key(request.partition), "")
        core.grants.add(request)
        mode = "read+write" if request.write else "read"
        core.audit(request.caller, "grant", request.partition, f"{mode} to {request.grantee} for {request.run_id}", "")
        return MemoryAck(detail=f"granted {mode} to {request.grantee} for run {request.run_id}")

    async def save_working(self, request: WorkingState) -> MemoryAck:
        """Replace a run's working state (redacted; short-term, so not subject to consent)."""
        require_identity(request.caller, "memory.save_working")
        core = self._core
        partition = Partition(tenant=request.caller.tenant, scope=Scope.RUN, owner=request.run_id)
        core.require(request.caller, partition, "write", "save_working", "")
        state, count = redact_object(request.state)
        core.working.save(partition, state, core.now().timestamp())
        core.audit(request.caller, "save_working", partition, f"{len(state)} keys", "")
        return MemoryAck(detail=f"{count} redactions")

    async def load_working(self, request: WorkingStateQuery) -> WorkingState:
        """Return a run's working state (empty when none was saved or it expired)."""
        require_identity(request.caller, "memory.load_working")
        core = self._core
        partition = Partition(tenant=request.caller.tenant, scope=Scope.RUN, owner=request.run_id)
        core.require(request.caller, partition, "read", "load_working", "")
        state = core.working.load(partition, core.now().timestamp()) or {}
        core.audit(request.caller, "load_working", partition, f"{len(state)} keys", "")
        return WorkingState(caller=request.caller, run_id=request.run_id, state=state)

    async def set_consent(self, request: ConsentPolicy) -> MemoryAck:
        """Set which categories a tenant allows to be stored long term (its supervisor only)."""
        require_identity(request.caller, "memory.set_consent")
        core = self._core
        if not may_administer(request.caller, request.tenant):
            core.deny(request.caller, "set_consent", request.tenant, "")
        core.consent.set(request, actor_of(request.caller), core.now().timestamp())
        allowed = ", ".join(request.allowed_categories) or "none"
        core.audit(request.caller, "set_consent", None, f"allowed: {allowed}", "")
        return MemoryAck(detail=f"allowed: {allowed}")

    async def audit(self, request: AuditQuery) -> AuditLog:
        """Return the tail of a tenant's audit log (its supervisor only); the read is audited too."""
        require_identity(request.caller, "memory.audit")
        core = self._core
        if not may_administer(request.caller, request.tenant):
            core.deny(request.caller, "audit", request.tenant, "")
        entries = core.audit_trail.read(request.tenant, request.limit)
        core.audit(request.caller, "audit", None, f"{len(entries)} entries", "")
        return AuditLog(entries=entries)

    async def sweep(self, request: RetentionSweep) -> SweepReport:
        """Remove expired records (from SQLite and FAISS), facts, grants and working states now.

        A supervisor sweeps its tenant; sweeping every tenant (``tenant=None``) takes role ``system``.
        """
        require_identity(request.caller, "memory.sweep")
        caller = request.caller
        allowed = caller.role == "system" if request.tenant is None else may_administer(caller, request.tenant)
        if not allowed:
            self._core.deny(caller, "sweep", request.tenant or "every tenant", request.reason)
        return run_sweep(self._core, request.tenant)

    async def _sweep_forever(self) -> None:
        interval = self._core.config.retention.sweep_interval_s
        while True:
            await asyncio.sleep(interval)
            try:
                report = run_sweep(self._core, None)
            except Exception:  # noqa: BLE001 - one failed pass must not stop the timer; the next retries
                _log.exception("memory sweep failed")
                continue
            if report.records or report.facts or report.grants or report.working_states:
                _log.info("memory sweep", **report.model_dump(exclude={"kind"}))
