"""Search reads rows held in memory and queues its audit row: both stay faithful to SQLite."""

from __future__ import annotations

import asyncio
import sqlite3
from pathlib import Path

import pytest

from agentrt.actors.offline import OfflineModel
from agentrt.contracts import AuditQuery, MemoryHits, MemoryQuery, MemoryRef, RetentionSweep, RunQuery, RunStatus
from agentrt.memory import RetentionPolicy
from agentrt.specialists.factory import build_specialist, tool_catalog
from agentrt.specialists.roles import RoleCatalog
from agentrt.supervisor.local import LocalReplicaSource
from agentrt.supervisor.service import SupervisorService
from tests.e2e.conftest import weekly_sales_goal
from tests.unit.test_memory_service import OWN, SUP, Clock, open_memory, search, write


@pytest.fixture
def clock() -> Clock:
    return Clock()


def committed_searches(path: Path) -> int:
    """Search rows a separate connection sees in the audit table (only committed rows are visible)."""
    with sqlite3.connect(path / "memory.sqlite3") as raw:
        return raw.execute("SELECT count(*) FROM audit WHERE action = 'search'").fetchone()[0]


async def test_search_audit_row_is_committed_by_the_timer_without_another_call(tmp_path: Path) -> None:
    service, memory = open_memory(tmp_path, read_audit_delay_s=0.01)
    await write(memory, "quarterly revenue note")
    await search(memory, "revenue")
    # The loop runs timers in deadline order, so the flush due after 10 ms runs before this wakes.
    await asyncio.sleep(0.05)
    assert committed_searches(tmp_path) == 1
    assert service._core.audit_trail.pending == 0
    await service.stop()


async def test_search_audit_rows_are_committed_at_once_when_the_batch_fills(tmp_path: Path) -> None:
    service, memory = open_memory(tmp_path, read_audit_batch=3)
    await write(memory, "quarterly revenue note")
    for _ in range(3):
        await search(memory, "revenue")
    assert committed_searches(tmp_path) == 3
    await service.stop()


async def test_stop_commits_queued_search_audit_rows(tmp_path: Path) -> None:
    service, memory = open_memory(tmp_path)
    await write(memory, "quarterly revenue note")
    await search(memory, "revenue")
    await search(memory, "note")
    await service.stop()
    assert committed_searches(tmp_path) == 2


async def test_audit_log_keeps_the_order_of_calls_when_a_write_follows_searches(tmp_path: Path) -> None:
    service, memory = open_memory(tmp_path)
    await write(memory, "first note")
    await search(memory, "note")
    await write(memory, "second note")
    await search(memory, "note")
    await memory.sweep(RetentionSweep(caller=SUP, tenant="acme"))
    with sqlite3.connect(tmp_path / "memory.sqlite3") as raw:
        actions = [row[0] for row in raw.execute("SELECT action FROM audit ORDER BY seq")]
    # The sweep found nothing to remove, so it adds no row; it still commits the queued search first.
    assert actions == ["write", "search", "write", "search"]
    await service.stop()


async def hit_ids(memory: MemoryRef, text: str) -> list[str]:
    return [hit.record.id for hit in await search(memory, text, k=10)]


async def test_rows_in_memory_match_a_fresh_load_after_writes_expiry_and_sweep(tmp_path: Path, clock: Clock) -> None:
    policy = RetentionPolicy(sweep_batch=1)
    service, memory = open_memory(tmp_path, clock, retention=policy)
    await write(memory, "alpha note kept", "alpha note brief", ttl_s=60)
    assert len(await hit_ids(memory, "alpha note")) == 2  # loads the partition into memory
    await write(memory, "alpha note later")
    assert len(await hit_ids(memory, "alpha note")) == 3
    clock.advance(61)
    # Expired but not yet swept: hidden on read straight from memory.
    assert [h.record.text for h in await search(memory, "alpha note", k=10)] == ["alpha note later"]
    report = await memory.sweep(RetentionSweep(caller=SUP, tenant="acme"))
    assert (report.records, report.complete) == (1, False)
    await memory.sweep(RetentionSweep(caller=SUP, tenant="acme"))
    await write(memory, "alpha note newest")
    held = len(service._core.partition(OWN))
    before = await hit_ids(memory, "alpha note")
    await service.stop()
    reopened, fresh = open_memory(tmp_path, clock, retention=policy)
    assert held == 2
    assert await hit_ids(fresh, "alpha note") == before and len(before) == 2
    entries = (await fresh.audit(AuditQuery(caller=SUP, tenant="acme"))).entries
    assert [e.action for e in entries].count("search") == 5
    await reopened.stop()


class CountingMemory:
    """A memory client that notes who searched which partitions, and passes every call on."""

    def __init__(self, inner: MemoryRef) -> None:
        self.inner = inner
        self.searches: list[tuple[str, tuple[str, ...]]] = []

    async def search(self, query: MemoryQuery) -> MemoryHits:
        self.searches.append((query.caller.agent, tuple(p.scope.value for p in query.partitions)))
        return await self.inner.search(query)

    def __getattr__(self, name: str) -> object:
        return getattr(self.inner, name)


@pytest.mark.parametrize("recall", [0, 2])
async def test_one_memory_search_per_step_unless_the_role_asks_to_recall(tmp_path: Path, recall: int) -> None:
    service, client = open_memory(tmp_path / "memory")
    memory = CountingMemory(client)
    roles = RoleCatalog()
    for role in list(roles):
        roles.register(role.model_copy(update={"recall": recall}))
    catalog = tool_catalog(tmp_path / "outbox")
    source = LocalReplicaSource(
        lambda role, i: build_specialist(roles.get(role), OfflineModel(), catalog=catalog, memory=memory)
    )
    supervisor = SupervisorService(tmp_path / "runs.sqlite", source, roles=roles, memory=memory)  # type: ignore[arg-type]
    goal = weekly_sales_goal()
    summary = await supervisor.submit(goal)
    await supervisor.wait_idle()
    state = await supervisor.status(RunQuery(tenant=goal.tenant, run_id=summary.run_id))
    await supervisor.stop()
    await service.stop()
    assert state.status == RunStatus.DONE
    by_supervisor = [scopes for agent, scopes in memory.searches if agent == "supervisor"]
    by_steps = [scopes for agent, scopes in memory.searches if agent != "supervisor"]
    assert len(by_supervisor) == len(state.results)  # one per step, carried in its assignment
    assert all(set(scopes) == {"tenant", "user", "run", "agent"} for scopes in by_supervisor)
    assert len(by_steps) == (len(state.results) if recall else 0)
