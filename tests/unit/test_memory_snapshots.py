"""Index snapshots: a reopened memory service loads a partition's index from disk, not from every vector in SQLite."""

from __future__ import annotations

from pathlib import Path

import pytest

from agentrt.contracts import RetentionSweep
from agentrt.memory import IndexConfig
from tests.unit.test_memory_service import OWN, SUP, Clock, open_memory, search, write

TOPICS = ("revenue", "shipping", "refunds", "hiring", "pricing", "churn")


def notes(start: int, count: int) -> list[str]:
    return [f"{TOPICS[i % len(TOPICS)]} note number {i} about week {i % 13}" for i in range(start, start + count)]


def index_config(threshold: int = 10_000) -> IndexConfig:
    return IndexConfig(snapshot_every=1_000, snapshot_above=1, approximate_above=threshold)


async def ranked(memory: object, clock: Clock) -> list[list[str]]:
    return [[h.record.id for h in await search(memory, topic, k=8)] for topic in TOPICS]  # type: ignore[arg-type]


def snapshot_files(path: Path) -> list[Path]:
    return sorted((path / "snapshots").glob("*"))


@pytest.mark.parametrize("threshold", [10_000, 20])
async def test_reopened_service_searches_like_a_rebuild_without_reading_snapshotted_vectors(
    tmp_path: Path, threshold: int
) -> None:
    clock = Clock()
    service, memory = open_memory(tmp_path, clock, index=index_config(threshold))
    await write(memory, *notes(0, 40))
    await search(memory, "revenue")
    await service.stop()
    files = snapshot_files(tmp_path)
    assert [p.suffix for p in files] == [".faiss", ".json"]
    assert all(p.stat().st_mode & 0o777 == 0o600 for p in files)
    reopened, memory = open_memory(tmp_path, clock, index=index_config(threshold))
    await write(memory, *notes(40, 5))  # partition not loaded yet: these rows are only in SQLite
    from_snapshot = await ranked(memory, clock)
    loaded = reopened._core.loaded[OWN]
    assert loaded.vectors_read == 5 and len(loaded) == 45
    assert loaded.index.approximate == (threshold < 45)
    await reopened.stop()
    for p in snapshot_files(tmp_path):
        p.unlink()
    rebuilt, memory = open_memory(tmp_path, clock, index=index_config(threshold))
    assert await ranked(memory, clock) == from_snapshot
    assert rebuilt._core.loaded[OWN].vectors_read == 45
    await rebuilt.stop()


async def test_rows_swept_after_the_snapshot_never_come_back(tmp_path: Path) -> None:
    clock = Clock()
    service, memory = open_memory(tmp_path, clock, index=index_config())
    await write(memory, *notes(0, 10), ttl_s=60)
    await write(memory, *notes(10, 10))
    await search(memory, "revenue")
    await service.stop()
    clock.advance(61)
    swept, memory = open_memory(tmp_path, clock, index=index_config())
    report = await memory.sweep(RetentionSweep(caller=SUP, tenant="acme"))
    assert report.records == 10
    await swept.stop()  # the partition was never loaded, so the snapshot still holds the swept rows
    reopened, memory = open_memory(tmp_path, clock, index=index_config())
    hits = await search(memory, "revenue note", k=20)
    assert len(hits) == 10 and all(int(h.record.text.split()[3]) >= 10 for h in hits)
    assert len(reopened._core.loaded[OWN].index) == 10
    await reopened.stop()


@pytest.mark.parametrize("damage", ["index", "sidecar"])
async def test_a_corrupt_snapshot_is_ignored_and_the_partition_rebuilt(tmp_path: Path, damage: str) -> None:
    clock = Clock()
    service, memory = open_memory(tmp_path, clock, index=index_config())
    await write(memory, *notes(0, 30))
    await search(memory, "revenue")
    expected = await ranked(memory, clock)
    await service.stop()
    target = next(p for p in snapshot_files(tmp_path) if p.suffix == (".faiss" if damage == "index" else ".json"))
    raw = bytearray(target.read_bytes())
    raw[len(raw) // 2] ^= 0xFF
    target.write_bytes(bytes(raw[: len(raw) - 7]))
    reopened, memory = open_memory(tmp_path, clock, index=index_config())
    assert await ranked(memory, clock) == expected
    assert reopened._core.loaded[OWN].vectors_read == 30
    await reopened.stop()


async def test_a_snapshot_is_written_in_the_background_once_enough_rows_arrived(tmp_path: Path) -> None:
    clock = Clock()
    config = IndexConfig(snapshot_every=20, snapshot_above=1)
    service, memory = open_memory(tmp_path, clock, index=config)
    await search(memory, "revenue")
    await write(memory, *notes(0, 10))
    assert snapshot_files(tmp_path) == []
    await write(memory, *notes(10, 10))
    await service._core.flush_snapshots()  # waits for the background write (nothing else has changed)
    assert len(snapshot_files(tmp_path)) == 2 and service._core.loaded[OWN].changes == 0
    service._core.close()
