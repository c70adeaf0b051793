"""Specialist pools: N replicas per role, least-loaded dispatch, re-dispatch on loss, live scaling.

A pool is itself a ``SpecialistRef``. Replicas come from a :class:`ReplicaSource`
(in a cluster: Ray actors started by ``cluster/``; in tests: in-process
services), so the pool's logic never touches Ray.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Protocol

from agentrt.contracts import ActorLost, Contract, SpecialistRef, TaskAssignment, TaskResult

__all__ = ["Autoscale", "PoolStats", "Replica", "ReplicaSource", "SpecialistPool"]


class ReplicaSource(Protocol):
    """Starts and stops the replicas of a role."""

    async def start_replica(self, role: str, index: int) -> SpecialistRef:
        """Start replica ``index`` of ``role`` (or find it if it already runs) and return its ref."""
        ...

    async def stop_replica(self, role: str, index: int) -> None:
        """Stop replica ``index`` of ``role``."""
        ...


class Lookup(Protocol):
    """A replica that can report a step it already ran or is running (see specialists.service)."""

    async def lookup(self, assignment: TaskAssignment) -> Contract:
        """Return the TaskResult of this assignment if known (waiting for it if in flight), else an Ack."""
        ...


@dataclass
class Replica:
    """One replica and its load."""

    index: int
    ref: SpecialistRef
    in_flight: int = 0
    retiring: bool = False
    lost: bool = False
    node: str = ""


@dataclass(frozen=True)
class Autoscale:
    """Grow a pool while steps queue for it, shrink it back when it falls idle.

    Attributes:
        min_replicas: Replicas kept when idle.
        max_replicas: Most replicas.
        queue_per_replica: Grow by one when more steps than this per replica wait.
    """

    min_replicas: int = 1
    max_replicas: int = 8
    queue_per_replica: float = 1.0


@dataclass(frozen=True)
class PoolStats:
    """A snapshot of a pool's load."""

    role: str
    replicas: int
    in_flight: int
    queued: int


@dataclass
class SpecialistPool:
    """Least-loaded dispatch of assignments over a role's replicas.

    Args:
        role: The role served.
        source: Starts and stops replicas.
        per_replica: Assignments one replica runs at once.
        max_redispatch: How many times a step lost with its actor is sent again.
        on_redispatch: Called with (assignment, error text) when a step is re-dispatched.
        autoscale: Grow and shrink with the queue (None: fixed size, changed by ``scale``).
    """

    role: str
    source: ReplicaSource
    per_replica: int = 4
    max_redispatch: int = 3
    on_redispatch: Callable[[TaskAssignment, str], None] | None = None
    autoscale: Autoscale | None = None
    _replicas: list[Replica] = field(default_factory=list)
    _resizing: asyncio.Task[PoolStats] | None = None
    _queued: int = 0
    _changed: asyncio.Condition | None = None

    @property
    def _cond(self) -> asyncio.Condition:
        if self._changed is None:
            self._changed = asyncio.Condition()
        return self._changed

    def stats(self) -> PoolStats:
        """Current load."""
        active = [r for r in self._replicas if not r.retiring]
        return PoolStats(self.role, len(active), sum(r.in_flight for r in self._replicas), self._queued)

    async def scale(self, replicas: int) -> PoolStats:
        """Grow or shrink to ``replicas``; shrinking drains replicas before stopping them."""
        active = [r for r in self._replicas if not r.retiring]
        for _ in range(len(active), replicas):
            index = max((r.index for r in self._replicas), default=-1) + 1
            ref = await self.source.start_replica(self.role, index)
            self._replicas.append(Replica(index=index, ref=ref))
        for replica in sorted(active, key=lambda r: -r.index)[: max(0, len(active) - replicas)]:
            replica.retiring = True
        async with self._cond:
            self._cond.notify_all()
        await self._stop_idle_retired()
        return self.stats()

    async def run(self, assignment: TaskAssignment) -> TaskResult:
        """Run an assignment on the least-loaded replica; re-dispatch when its actor is lost."""
        error = ""
        for attempt in range(self.max_redispatch + 1):
            replica = await self._acquire()
            try:
                return await replica.ref.run(assignment)
            except ActorLost as exc:
                error = str(exc)
                if self.on_redispatch is not None and attempt < self.max_redispatch:
                    self.on_redispatch(assignment, error)
                await self._await_ready(replica, attempt)
            finally:
                await self._release(replica)
        raise ActorLost(f"{self.role}: step {assignment.step.id} lost {self.max_redispatch + 1} times: {error}")

    async def _await_ready(self, replica: Replica, attempt: int) -> None:
        # A lost actor restarts: wait until it answers rather than burn re-dispatches on it.
        replica.lost = True
        ready = getattr(replica.ref, "ready", None)
        if ready is None:
            await asyncio.sleep(min(0.2 * 2**attempt, 2.0))
            replica.lost = False
        else:
            with contextlib.suppress(ActorLost):
                await ready()
                replica.lost = False

    async def recover(self, assignment: TaskAssignment) -> TaskResult | None:
        """Find a result for a step some replica ran (or is running) before the supervisor restarted."""
        for replica in list(self._replicas):
            ref = replica.ref
            if not hasattr(ref, "lookup"):
                continue
            try:
                found = await ref.lookup(assignment)
            except ActorLost:
                continue
            if isinstance(found, TaskResult):
                return found
        return None

    async def _acquire(self) -> Replica:
        async with self._cond:
            self._queued += 1
            try:
                while True:
                    open_ = [r for r in self._replicas if not r.retiring and r.in_flight < self.per_replica]
                    # A replica whose actor was lost is passed over until it answers again,
                    # unless nothing else is there to take the step.
                    ready = [r for r in open_ if not r.lost] or open_
                    if ready:
                        best = min(ready, key=lambda r: (r.in_flight, r.index))
                        best.in_flight += 1
                        return best
                    self._maybe_resize()
                    await self._cond.wait()
            finally:
                self._queued -= 1

    def _maybe_resize(self) -> None:
        policy = self.autoscale
        if policy is None or (self._resizing is not None and not self._resizing.done()):
            return
        active = sum(1 for r in self._replicas if not r.retiring)
        busy = self._queued > 0 or any(r.in_flight for r in self._replicas)
        if self._queued > policy.queue_per_replica * max(active, 1) and active < policy.max_replicas:
            self._resizing = asyncio.ensure_future(self.scale(active + 1))
        elif not busy and active > policy.min_replicas:
            self._resizing = asyncio.ensure_future(self.scale(policy.min_replicas))

    async def _release(self, replica: Replica) -> None:
        async with self._cond:
            replica.in_flight -= 1
            self._cond.notify_all()
            self._maybe_resize()
        if replica.retiring and replica.in_flight == 0:
            await self._stop_idle_retired()

    async def _stop_idle_retired(self) -> None:
        for replica in [r for r in self._replicas if r.retiring and r.in_flight == 0]:
            self._replicas.remove(replica)
            await self.source.stop_replica(self.role, replica.index)
