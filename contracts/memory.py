"""Memory contracts: partitions, records, facts, grants, consent and audit.

Every request names its caller (an :class:`~agentrt.contracts.identity.Identity`); the
memory service checks it against the partitions the request touches.
"""

from __future__ import annotations

from enum import StrEnum
from typing import Literal

from pydantic import Field

from agentrt.contracts._base import Contract, JsonObject, JsonValue, Timestamp, utcnow
from agentrt.contracts.identity import Identity
from agentrt.contracts.ids import AgentId, RecordId, RunId, TenantId

__all__ = [
    "AuditEntry",
    "AuditLog",
    "AuditQuery",
    "ConsentPolicy",
    "Fact",
    "FactAnswer",
    "FactQuery",
    "FactResolution",
    "FactWrite",
    "FactWriteAck",
    "Grant",
    "MemoryAck",
    "MemoryHit",
    "MemoryHits",
    "MemoryQuery",
    "MemoryRecord",
    "MemoryWrite",
    "MemoryWriteAck",
    "Partition",
    "RetentionSweep",
    "Scope",
    "SweepReport",
    "WorkingState",
    "WorkingStateQuery",
]


class Scope(StrEnum):
    """Who a partition belongs to within a tenant."""

    RUN = "run"
    AGENT = "agent"
    USER = "user"
    TENANT = "tenant"


class Partition(Contract):
    """A tenant-owned slice of memory: ``(tenant, scope, owner)``."""

    kind: Literal["partition"] = "partition"
    tenant: TenantId
    scope: Scope
    owner: str = Field(min_length=1, max_length=128, pattern=r"^[A-Za-z0-9][A-Za-z0-9_.:@\-]*$")


class MemoryRecord(Contract):
    """A stored semantic record (already redacted)."""

    kind: Literal["memory_record"] = "memory_record"
    id: RecordId
    partition: Partition
    text: str
    category: str = "general"
    metadata: JsonObject = Field(default_factory=dict)
    source: str = ""
    confidence: float = Field(default=1.0, ge=0, le=1)
    created_at: Timestamp = Field(default_factory=utcnow)
    expires_at: Timestamp | None = None


class MemoryWrite(Contract):
    """Store texts as semantic records in one partition. Texts are redacted before they persist."""

    kind: Literal["memory_write"] = "memory_write"
    caller: Identity
    partition: Partition
    texts: tuple[str, ...] = Field(min_length=1, max_length=10_000)
    category: str = "general"
    metadata: JsonObject = Field(default_factory=dict)
    source: str = ""
    confidence: float = Field(default=1.0, ge=0, le=1)
    ttl_s: float | None = Field(default=None, gt=0)
    reason: str = ""


class MemoryWriteAck(Contract):
    """What a write stored: record ids, redactions made, and what consent refused."""

    kind: Literal["memory_write_ack"] = "memory_write_ack"
    record_ids: tuple[RecordId, ...] = ()
    redactions: int = 0
    refused: str | None = None


class MemoryQuery(Contract):
    """A hybrid (vector + keyword) search over partitions the caller may read."""

    kind: Literal["memory_query"] = "memory_query"
    caller: Identity
    partitions: tuple[Partition, ...] = Field(min_length=1, max_length=32)
    text: str = Field(min_length=1, max_length=8000)
    k: int = Field(default=5, ge=1, le=100)
    category: str | None = None
    recency_weight: float = Field(default=0.0, ge=0, le=1)
    keyword_weight: float = Field(default=0.3, ge=0, le=1)
    reason: str = ""


class MemoryHit(Contract):
    """One search hit."""

    kind: Literal["memory_hit"] = "memory_hit"
    record: MemoryRecord
    score: float


class MemoryHits(Contract):
    """Search hits, best first."""

    kind: Literal["memory_hits"] = "memory_hits"
    hits: tuple[MemoryHit, ...] = ()


class Fact(Contract):
    """A long-term key–value fact with provenance."""

    kind: Literal["fact"] = "fact"
    partition: Partition
    key: str = Field(min_length=1, max_length=256)
    value: JsonValue
    source: str = ""
    confidence: float = Field(default=1.0, ge=0, le=1)
    observed_at: Timestamp = Field(default_factory=utcnow)
    expires_at: Timestamp | None = None
    category: str = "general"


class FactWrite(Contract):
    """Store a fact. A contradicting stored fact is kept and reported as a conflict."""

    kind: Literal["fact_write"] = "fact_write"
    caller: Identity
    fact: Fact
    reason: str = ""


class FactWriteAck(Contract):
    """Result of a fact write: whether it was stored, and the facts it contradicts."""

    kind: Literal["fact_write_ack"] = "fact_write_ack"
    stored: bool
    redactions: int = 0
    refused: str | None = None
    conflicts: tuple[Fact, ...] = ()


class FactQuery(Contract):
    """Read the facts stored under a key (all current versions)."""

    kind: Literal["fact_query"] = "fact_query"
    caller: Identity
    partition: Partition
    key: str = Field(min_length=1, max_length=256)
    reason: str = ""


class FactAnswer(Contract):
    """The current facts for a key; ``conflict`` when they disagree and no resolution stands."""

    kind: Literal["fact_answer"] = "fact_answer"
    facts: tuple[Fact, ...] = ()
    conflict: bool = False
    resolved: Fact | None = None
    resolution: str = ""


class FactResolution(Contract):
    """Resolve a conflict on a key by a stated rule; recorded with its reason."""

    kind: Literal["fact_resolution"] = "fact_resolution"
    caller: Identity
    partition: Partition
    key: str
    rule: Literal["recency", "source_rank", "decision"]
    source_rank: tuple[str, ...] = ()
    chosen_source: str | None = None
    reason: str = ""


class Grant(Contract):
    """The supervisor opens a partition to an agent for one run."""

    kind: Literal["grant"] = "grant"
    caller: Identity
    grantee: AgentId
    run_id: RunId
    partition: Partition
    write: bool = False
    expires_at: Timestamp | None = None


class WorkingState(Contract):
    """The structured working state of a run, read back by a resumed run."""

    kind: Literal["working_state"] = "working_state"
    caller: Identity
    run_id: RunId
    state: JsonObject = Field(default_factory=dict)


class WorkingStateQuery(Contract):
    """Read a run's working state."""

    kind: Literal["working_state_query"] = "working_state_query"
    caller: Identity
    run_id: RunId


class ConsentPolicy(Contract):
    """Which categories of information a tenant allows to be stored long term."""

    kind: Literal["consent_policy"] = "consent_policy"
    caller: Identity
    tenant: TenantId
    allowed_categories: tuple[str, ...] = ("general",)


class AuditQuery(Contract):
    """Read the audit log of a tenant."""

    kind: Literal["audit_query"] = "audit_query"
    caller: Identity
    tenant: TenantId
    limit: int = Field(default=100, ge=1, le=10_000)


class AuditEntry(Contract):
    """One append-only audit record: who did what to which partition, when and why."""

    kind: Literal["audit_entry"] = "audit_entry"
    at: Timestamp = Field(default_factory=utcnow)
    tenant: TenantId
    actor: str
    action: str
    partition: str = ""
    target: str = ""
    reason: str = ""
    allowed: bool = True


class AuditLog(Contract):
    """Audit entries, oldest first."""

    kind: Literal["audit_log"] = "audit_log"
    entries: tuple[AuditEntry, ...] = ()


class MemoryAck(Contract):
    """A plain acknowledgement for requests that return nothing else."""

    kind: Literal["memory_ack"] = "memory_ack"
    ok: bool = True
    detail: str = ""


class RetentionSweep(Contract):
    """Remove expired memory now (the memory actor also sweeps on a timer).

    A supervisor sweeps its own tenant; only the runtime (role ``system``) may
    sweep every tenant at once (``tenant=None``).
    """

    kind: Literal["retention_sweep"] = "retention_sweep"
    caller: Identity
    tenant: TenantId | None = None
    reason: str = ""


class SweepReport(Contract):
    """What a retention sweep removed; ``complete`` is False when a batch limit left more to remove."""

    kind: Literal["sweep_report"] = "sweep_report"
    records: int = 0
    facts: int = 0
    grants: int = 0
    working_states: int = 0
    complete: bool = True
