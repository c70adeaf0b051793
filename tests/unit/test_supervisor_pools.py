"""Specialist pools: least-loaded dispatch, draining on scale-down, autoscaling, re-dispatch of lost steps."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field
from pathlib import Path

from agentrt.contracts import ActorLost, Identity, Step, TaskAssignment, TaskResult, TaskStatus
from agentrt.specialists.roles import RoleCatalog, RoleSpec
from agentrt.supervisor.pools import Autoscale, SpecialistPool
from agentrt.supervisor.service import SupervisorService


@dataclass
class TimedSpecialist:
    """A specialist whose steps take a while; it records where they ran and can lose its first call."""

    index: int
    ran: list[tuple[int, str]]
    gate: asyncio.Event
    lose_first: bool = False
    calls: int = 0

    async def run(self, assignment: TaskAssignment) -> TaskResult:
        self.calls += 1
        if self.lose_first and self.calls == 1:
            raise ActorLost("replica died")
        await self.gate.wait()
        self.ran.append((self.index, assignment.step.id))
        return TaskResult(
            run_id=assignment.run_id, step_id=assignment.step.id, status=TaskStatus.SUCCEEDED, role="analyst"
        )


@dataclass
class Source:
    """Replicas built in this process; records starts and stops."""

    gate: asyncio.Event = field(default_factory=asyncio.Event)
    ran: list[tuple[int, str]] = field(default_factory=list)
    started: list[int] = field(default_factory=list)
    stopped: list[int] = field(default_factory=list)
    lose_first: bool = False

    async def start_replica(self, role: str, index: int) -> TimedSpecialist:
        self.started.append(index)
        return TimedSpecialist(index, self.ran, self.gate, self.lose_first)

    async def stop_replica(self, role: str, index: int) -> None:
        self.stopped.append(index)


def _assignment(step_id: str) -> TaskAssignment:
    return TaskAssignment(
        run_id="r1",
        step=Step(id=step_id, role="analyst", instruction="x"),
        caller=Identity(tenant="t", agent="analyst"),
    )


async def test_steps_spread_over_replicas_and_queue_beyond_capacity() -> None:
    source = Source()
    pool = SpecialistPool("analyst", source, per_replica=1)
    await pool.scale(2)
    tasks = [asyncio.ensure_future(pool.run(_assignment(f"s{i}"))) for i in range(3)]
    await asyncio.sleep(0.05)
    assert pool.stats().in_flight == 2 and pool.stats().queued == 1
    source.gate.set()
    await asyncio.gather(*tasks)
    assert {index for index, _ in source.ran} == {0, 1}


async def test_scaling_down_lets_in_flight_steps_finish_before_stopping() -> None:
    source = Source()
    pool = SpecialistPool("analyst", source, per_replica=1)
    await pool.scale(2)
    tasks = [asyncio.ensure_future(pool.run(_assignment(f"s{i}"))) for i in range(2)]
    await asyncio.sleep(0.05)
    stats = await pool.scale(1)
    assert stats.replicas == 1 and source.stopped == []  # the retiring replica is still busy
    source.gate.set()
    await asyncio.gather(*tasks)
    assert len(source.ran) == 2 and source.stopped == [1]


async def test_autoscaling_grows_with_the_queue_and_shrinks_when_idle() -> None:
    source = Source()
    pool = SpecialistPool("analyst", source, per_replica=1, autoscale=Autoscale(min_replicas=1, max_replicas=3))
    await pool.scale(1)
    tasks = [asyncio.ensure_future(pool.run(_assignment(f"s{i}"))) for i in range(6)]
    for _ in range(50):
        await asyncio.sleep(0.02)
        if pool.stats().replicas == 3:
            break
    assert pool.stats().replicas == 3
    source.gate.set()
    await asyncio.gather(*tasks)
    for _ in range(50):
        await asyncio.sleep(0.02)
        if pool.stats().replicas == 1:
            break
    assert pool.stats().replicas == 1 and sorted(source.stopped) == [1, 2]


async def test_a_step_lost_with_its_replica_is_dispatched_again() -> None:
    source = Source(lose_first=True)
    lost: list[str] = []
    pool = SpecialistPool("analyst", source, per_replica=1, on_redispatch=lambda a, why: lost.append(a.step.id))
    await pool.scale(1)
    source.gate.set()
    result = await pool.run(_assignment("s1"))
    assert result.status == TaskStatus.SUCCEEDED and lost == ["s1"] and source.ran == [(0, "s1")]


async def test_a_role_sets_how_many_steps_one_replica_runs_at_once(tmp_path: Path) -> None:
    roles = RoleCatalog()
    roles.register(RoleSpec(name="analyst", description="d", instructions="i", concurrency=2))
    source = Source()
    service = SupervisorService(tmp_path / "runs.sqlite", source, roles=roles)
    pool = service.pools["analyst"]
    assert pool.per_replica == 2
    await pool.scale(1)
    tasks = [asyncio.ensure_future(pool.run(_assignment(f"s{i}"))) for i in range(5)]
    await asyncio.sleep(0.05)
    assert (pool.stats().in_flight, pool.stats().queued) == (2, 3)
    source.gate.set()
    await asyncio.gather(*tasks)
    assert len(source.ran) == 5
    await service.stop()
