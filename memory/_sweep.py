"""The retention sweep: delete expired memory from SQLite and from the loaded partitions (index and rows)."""

from __future__ import annotations

from collections import Counter, defaultdict

from agentrt.contracts.memory import AuditEntry, Partition, SweepReport
from agentrt.memory._core import Core
from agentrt.memory._retention import Sweep

_ACTOR = "system:memory"


def run_sweep(core: Core, tenant: str | None) -> SweepReport:
    """Remove one batch of expired rows per table (of one tenant, or all) and report the counts."""
    policy = core.config.retention
    now = core.now()
    sweep = Sweep(policy=policy, now=now.timestamp(), limit=policy.sweep_batch, tenant=tenant)
    with core.transaction():
        records = core.records.sweep(sweep)
        facts = core.facts.sweep(sweep)
        grants = core.grants.sweep(sweep)
        working = core.working.sweep(sweep)
        per_tenant = Counter([p.tenant for _, p in records] + facts + grants + working)
        for name, removed in sorted(per_tenant.items()):
            core.audit_trail.append(
                AuditEntry(at=now, tenant=name, actor=_ACTOR, action="sweep", target=f"{removed} expired rows removed")
            )
    _forget(core, records)
    full = max(len(records), len(facts), len(grants), len(working)) >= policy.sweep_batch
    return SweepReport(
        records=len(records), facts=len(facts), grants=len(grants), working_states=len(working), complete=not full
    )


def _forget(core: Core, records: list[tuple[int, Partition]]) -> None:
    by_partition: defaultdict[Partition, list[int]] = defaultdict(list)
    for rid, partition in records:
        by_partition[partition].append(rid)
    for partition, rids in by_partition.items():
        loaded = core.loaded.get(partition)
        if loaded is not None:
            loaded.remove(rids)
            core.snapshot_if_due(loaded)
