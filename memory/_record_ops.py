"""Writing and searching semantic records."""

from __future__ import annotations

import json

import numpy as np
from numpy.typing import NDArray

from agentrt.actors.redaction import redact
from agentrt.contracts.memory import MemoryHit, MemoryHits, MemoryQuery, MemoryWrite, MemoryWriteAck, Partition
from agentrt.memory._core import Core, redact_object
from agentrt.memory._db import earliest
from agentrt.memory._records import RecordBatch, StoredRow
from agentrt.memory.ranking import HybridRanking

_AUDITED_IDS = 20


def _listing(ids: list[str]) -> str:
    shown = ", ".join(ids[:_AUDITED_IDS])
    return shown + (f" (+{len(ids) - _AUDITED_IDS} more)" if len(ids) > _AUDITED_IDS else "")


async def write(core: Core, request: MemoryWrite) -> MemoryWriteAck:
    """Redact, embed and store a batch of texts in one partition: one transaction, one index add."""
    caller, partition = request.caller, request.partition
    core.require(caller, partition, "write", "write", request.reason)
    refusal = core.consent.refusal(partition.tenant, request.category)
    if refusal is not None:
        core.audit(caller, "write", partition, f"refused {len(request.texts)} records: {refusal}", request.reason)
        return MemoryWriteAck(refused=refusal)
    redacted = [redact(text) for text in request.texts]
    metadata, in_metadata = redact_object(request.metadata)
    source = redact(request.source)
    count = sum(r.count for r in redacted) + in_metadata + source.count
    texts = [r.text for r in redacted]
    vectors = await core.embed(texts)
    now = core.now().timestamp()
    ttl = core.config.retention.ttl_for(partition)
    batch = RecordBatch(
        partition=partition,
        texts=texts,
        vectors=vectors,
        category=request.category,
        metadata=json.dumps(metadata, ensure_ascii=False),
        source=source.text,
        confidence=request.confidence,
        created_at=now,
        expires_at=earliest(None if request.ttl_s is None else now + request.ttl_s, None if ttl is None else now + ttl),
    )
    with core.transaction():
        rids, rows = core.records.insert(batch)
        record_ids = [str(row.row[1]) for row in rows]
        core.audit(caller, "write", partition, _listing(record_ids), request.reason)
    # Memory is updated only after the commit; a partition not yet in memory is loaded later from SQLite.
    loaded = core.loaded.get(partition)
    if loaded is not None:
        loaded.add(rids, vectors, rows)
        core.snapshot_if_due(loaded)
    return MemoryWriteAck(record_ids=tuple(record_ids), redactions=count)


async def search(core: Core, request: MemoryQuery) -> MemoryHits:
    """Hybrid search over the requested partitions; every partition must be readable by the caller."""
    partitions = list(dict.fromkeys(request.partitions))
    for partition in partitions:
        core.require(request.caller, partition, "read", "search", request.reason)
    text = redact(request.text).text
    vector = (await core.embed([text]))[0]
    now = core.now().timestamp()
    ranking = HybridRanking.for_query(
        text, request.keyword_weight, request.recency_weight, core.config.retention.recency_half_life_s
    )
    scored: list[tuple[float, StoredRow]] = []
    for partition in partitions:
        for cosine, row in _candidates(core, partition, vector, request, now):
            # Partitions were checked above; a row of any other tenant is dropped regardless.
            if row.partition.tenant == request.caller.tenant:
                scored.append((ranking.score(cosine, row.text, now - row.created_at), row))
    scored.sort(key=lambda pair: pair[0], reverse=True)
    hits = tuple(MemoryHit(record=row.record(), score=score) for score, row in scored[: request.k])
    core.audit_read(request.caller, "search", partitions, _listing([h.record.id for h in hits]), request.reason)
    return MemoryHits(hits=hits)


def _candidates(
    core: Core, partition: Partition, vector: NDArray[np.float32], request: MemoryQuery, now: float
) -> list[tuple[float, StoredRow]]:
    loaded = core.partition(partition)
    index = loaded.index
    if len(index) == 0:
        return []
    wanted = request.k * core.config.index.candidates_per_hit
    fetch = min(len(index), wanted)
    while True:
        scores, ids = index.search(vector[None, :], fetch)
        found_ids = [int(i) for i in ids[0] if i >= 0]
        records = loaded.live(found_ids, core.config.retention, now, request.category)
        # A category filter or expired rows can leave too few; widen the vector search until it cannot grow.
        if len(records) >= wanted or fetch >= len(index):
            break
        fetch = min(len(index), fetch * 4)
    return [(float(s), records[int(i)]) for s, i in zip(scores[0], ids[0], strict=True) if int(i) in records]
