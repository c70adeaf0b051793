"""The supervisor service: accepts goals and drives their runs; what the client talks to.

A plain async class: ``cluster/`` hosts it as a named Ray actor, tests use it
in-process. Every request names its tenant, and a run of another tenant is
reported as not found.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections import Counter
from collections.abc import Callable, Collection, Mapping, Sequence
from datetime import timedelta
from pathlib import Path
from typing import TypeVar

import structlog

from agentrt.actors.credentials import require_operator, require_runtime, require_tenant
from agentrt.actors.offline.briefing import brief as offline_brief
from agentrt.contracts import (
    Ack,
    ApprovalDecision,
    CancelRun,
    ChatModel,
    ClarificationAnswer,
    DrainRuntime,
    EventSink,
    EventsQuery,
    Goal,
    ManifestQuery,
    MemoryRef,
    NotFound,
    RunEvent,
    RunEvents,
    RunList,
    RunQuery,
    RunState,
    RunStatus,
    RunStore,
    RunSummary,
    RuntimeManifest,
    RunUpdate,
    ScalePool,
    TaskAssignment,
    WaitQuery,
    new_id,
    utcnow,
)
from agentrt.specialists.factory import tool_catalog
from agentrt.specialists.roles import RoleCatalog, RoleSpec
from agentrt.supervisor.checkpoints import SQLiteRunStore
from agentrt.supervisor.config import SupervisorConfig
from agentrt.supervisor.engine import RunEngine
from agentrt.supervisor.inputs import answered, approval_decided, cancelled
from agentrt.supervisor.metrics import RuntimeMetrics
from agentrt.supervisor.model_planner import ModelPlanner
from agentrt.supervisor.planner import InstructionWriter, RulePlanner, WorkflowCatalog
from agentrt.supervisor.pools import Autoscale, ReplicaSource, SpecialistPool
from agentrt.supervisor.proposals import RoleReach, reach_of
from agentrt.supervisor.recorder import Recorder

__all__ = ["SupervisorService"]

_log = structlog.get_logger("agentrt.supervisor")

T = TypeVar("T")


def _summary(state: RunState) -> RunSummary:
    return RunSummary(
        run_id=state.run_id,
        tenant=state.goal.tenant,
        status=state.status,
        goal=state.goal.text[:200],
        updated_at=state.updated_at,
    )


def _writer(mode: str, offline_roles: Collection[str] | None) -> InstructionWriter | None:
    if mode == "as_planned" or (mode == "auto" and offline_roles is not None and not offline_roles):
        return None
    worded = None if mode == "offline" else offline_roles

    def write(role: RoleSpec, clause: str, goal: Goal) -> str:
        return offline_brief(role.stage, clause, goal) if worded is None or role.name in worded else clause

    return write


class SupervisorService:
    """Accepts goals, drives runs, answers questions about them.

    Args:
        store: The run store, or the SQLite file of the default one (checkpoints and traces).
        source: Starts and stops specialist replicas.
        roles: Role catalog (built-ins by default).
        workflows: Named workflows.
        memory: Long-term memory.
        config: Supervisor configuration.
        metrics: Where measurements go.
        replicas: Initial replicas per role (default: each role's ``replicas``).
        planner_model: A chat model that proposes plans (checked, with the rule planner as fallback).
        manifest: What this runtime was configured with, for clients that join it to compare.
        sinks: Where every trace event also goes, after the run store has it.
        reach: Write tools and policy gate per role, for reviewing follow-up proposals (default: the
            built-in tool catalog's write marks; a tool it does not know counts as a write).
        offline_roles: The roles that run the offline model, whose steps the planner words for it
            under ``config.instructions == "auto"`` (None: every role).

    Attributes:
        calls: How many ``status``, ``wait`` and ``events`` calls it answered, by method.
    """

    def __init__(
        self,
        store: Path | str | RunStore,
        source: ReplicaSource,
        roles: RoleCatalog | None = None,
        workflows: WorkflowCatalog | None = None,
        memory: MemoryRef | None = None,
        config: SupervisorConfig | None = None,
        metrics: RuntimeMetrics | None = None,
        replicas: Mapping[str, int] | None = None,
        planner_model: ChatModel | None = None,
        manifest: RuntimeManifest | None = None,
        sinks: Sequence[EventSink] = (),
        reach: Mapping[str, RoleReach] | None = None,
        offline_roles: Collection[str] | None = None,
    ) -> None:
        self._manifest = manifest or RuntimeManifest(fingerprint="unconfigured")
        self._config = config or SupervisorConfig()
        self._roles = roles or RoleCatalog()
        self._store: RunStore = SQLiteRunStore(store) if isinstance(store, (str, Path)) else store
        self._rec = Recorder(self._store, metrics, sinks)
        self._replicas = dict(replicas or {r.name: r.replicas for r in self._roles})
        self.pools: dict[str, SpecialistPool] = {
            r.name: SpecialistPool(
                r.name,
                source,
                per_replica=r.concurrency,
                on_redispatch=self._note_redispatch,
                autoscale=self._autoscale(r.name),
            )
            for r in self._roles
        }
        planner = RulePlanner(self._roles, workflows, _writer(self._config.instructions, offline_roles))
        by_model = ModelPlanner(planner_model, self._roles, planner) if planner_model is not None else None
        if reach is None:
            reach = reach_of(self._roles, {name: t.writes for name, t in tool_catalog(Path("outbox")).items()})
        self._engine = RunEngine(
            self._rec, planner, self._roles, self.pools, memory, self._config, by_model, reach=reach
        )
        self._tasks: dict[str, asyncio.Task[RunState]] = {}
        self._started = False
        self._sweeper: asyncio.Task[None] | None = None
        self._waits = 0
        self.calls: Counter[str] = Counter()

    def _autoscale(self, role: str) -> Autoscale | None:
        cfg = self._config
        if not cfg.autoscale:
            return None
        floor = self._replicas.get(role, 1)
        return Autoscale(
            min_replicas=floor, max_replicas=max(floor, cfg.autoscale_max), queue_per_replica=cfg.queue_per_replica
        )

    async def start(self) -> None:
        """Start the pools and resume every unfinished run from its checkpoint."""
        if self._started:
            return
        self._started = True
        self.sweep_retention()
        if self._config.run_retention_days is not None:
            self._sweeper = asyncio.get_running_loop().create_task(self._sweep_every(self._config.retention_sweep_s))
        await asyncio.gather(*(self.pools[name].scale(n) for name, n in self._replicas.items() if name in self.pools))
        for state in self._store.unfinished():
            self._rec.emit(state.run_id, "note", data={"resumed": state.status.value})
            if state.status not in (RunStatus.WAITING_APPROVAL, RunStatus.WAITING_INPUT):
                # Resuming waits on steps still in flight on the replicas, and those report
                # trace events back here: it must not hold up start(), which every call awaits.
                self._launch(state, resume=True)

    async def submit(self, goal: Goal) -> RunSummary:
        """Accept a goal and start its run."""
        require_tenant(goal.tenant, "submit")
        await self.start()
        state = self._rec.save(RunState(run_id=new_id("run"), goal=goal))
        self._rec.metrics.run_transition(goal.tenant, None, state.status.value)
        self._rec.emit(state.run_id, "run_state", data={"from": None, "to": state.status.value, "goal": goal.text})
        await self._rec.durable()  # a run whose id the client holds survives any restart
        self._launch(state)
        return _summary(state)

    async def status(self, query: RunQuery) -> RunState:
        """Return a run's current state."""
        self.calls["status"] += 1
        return await self._settled(self._owned(query.tenant, query.run_id))

    async def wait(self, query: WaitQuery) -> RunUpdate:
        """Hold the call until the run ends or leaves ``query.seen``, or ``query.timeout_s`` runs out."""
        self.calls["wait"] += 1
        state = self._owned(query.tenant, query.run_id)

        def arrived(s: RunState) -> bool:
            return s.terminal or (query.seen is not None and s.status != query.seen)

        if not arrived(state) and query.timeout_s > 0:
            if self._waits >= self._config.max_waits:
                return RunUpdate(state=state, busy=True)
            state = await self._held(query, lambda: self._owned(query.tenant, query.run_id), arrived)
        return RunUpdate(state=await self._settled(state))

    async def runs(self, query: RunQuery) -> RunList:
        """List a tenant's runs, newest first."""
        require_tenant(query.tenant, "runs")
        return RunList(runs=tuple(_summary(s) for s in self._store.of_tenant(query.tenant)))

    async def events(self, query: EventsQuery) -> RunEvents:
        """Return a run's trace events after a sequence number, waiting up to ``query.wait_s`` for the first."""
        self.calls["events"] += 1
        state = self._owned(query.tenant, query.run_id)

        def page() -> list[RunEvent]:
            return self._store.events(query.run_id, query.after_seq, query.limit)

        found = page()
        if not found and query.wait_s > 0 and not state.terminal and self._waits < self._config.max_waits:
            found = await self._held(query, page, bool)
        return RunEvents(events=tuple(found))

    async def record(self, event: RunEvent) -> Ack:
        """Append an event a specialist emitted to its run's trace."""
        require_runtime("recording a trace event")
        # A run being driven is known without asking the store; any other is looked up.
        if event.run_id not in self._tasks and self._store.load(event.run_id) is None:
            raise NotFound(f"no run {event.run_id}", run_id=event.run_id)
        stored = self._rec.record(event)
        return Ack(detail=str(stored.seq))

    async def record_batch(self, batch: RunEvents) -> Ack:
        """Append a batch of events specialists emitted, in order; events of unknown runs are dropped."""
        require_runtime("recording trace events")
        known: dict[str, bool] = {}
        kept = 0
        for event in batch.events:
            run_id = event.run_id
            if run_id not in known:
                known[run_id] = run_id in self._tasks or self._store.load(run_id) is not None
            if known[run_id]:
                self._rec.record(event)
                kept += 1
        return Ack(ok=kept == len(batch.events), detail=f"{kept} of {len(batch.events)} recorded")

    async def cancel(self, request: CancelRun) -> RunSummary:
        """Cancel a run; steps in flight are abandoned."""
        state = self._owned(request.tenant, request.run_id)
        if state.terminal:
            return _summary(state)
        task = self._tasks.pop(state.run_id, None)
        if task is not None:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task
        state = cancelled(self._rec, self._owned(request.tenant, request.run_id), request.reason)
        await self._rec.durable()
        return _summary(state)

    async def approve(self, decision: ApprovalDecision) -> RunSummary:
        """Approve or reject a pending approval request; the run continues."""
        require_tenant(decision.tenant, "approve")
        state = next(
            (
                s
                for s in self._store.of_tenant(decision.tenant)
                if any(r.id == decision.request_id for r in s.pending_approvals)
            ),
            None,
        )
        if state is None:
            raise NotFound(f"no pending approval request {decision.request_id}", request_id=decision.request_id)
        request = next(r for r in state.pending_approvals if r.id == decision.request_id)
        waiting = state.status == RunStatus.WAITING_APPROVAL
        state = approval_decided(self._rec, state, request, decision)
        await self._rec.durable()  # the decision is on disk before it is acknowledged or acted on
        if waiting and state.status == RunStatus.EXECUTE:
            self._launch(state)
        return _summary(state)

    async def answer(self, answer: ClarificationAnswer) -> RunSummary:
        """Answer a run's clarifying question; the run goes back to intake with the answer."""
        state = answered(self._rec, self._owned(answer.tenant, answer.run_id), answer)
        await self._rec.durable()
        self._launch(state)
        return _summary(state)

    async def scale(self, request: ScalePool) -> Ack:
        """Set the replicas of a role's pool; in-flight steps finish on retiring replicas."""
        require_operator("scaling a pool")
        await self.start()
        pool = self.pools.get(request.role)
        if pool is None:
            raise NotFound(f"no role {request.role!r}; known: {sorted(self.pools)}", role=request.role)
        stats = await pool.scale(request.replicas)
        self._rec.metrics.pool_load(stats.role, stats.replicas, stats.in_flight, stats.queued)
        return Ack(
            detail=f"{stats.role}: {stats.replicas} replicas, {stats.in_flight} in flight, {stats.queued} queued"
        )

    async def manifest(self, query: ManifestQuery) -> RuntimeManifest:
        """The configuration this supervisor runs with."""
        return self._manifest

    async def drain(self, request: DrainRuntime) -> Ack:
        """Wait (up to ``timeout_s``) until no run is being driven; ``ok`` says whether it got there.

        Needs an operator (the runtime's own command line does this before replacing a supervisor).

        Runs that wait for a person hold no task and stay in the store; a run submitted
        meanwhile is checkpointed first, so a supervisor that replaces this one resumes it.
        """
        require_operator("draining the runtime")
        try:
            await asyncio.wait_for(self.wait_idle(), request.timeout_s)
        except TimeoutError:
            await self._rec.durable()
            return Ack(ok=False, detail=f"{len(self._tasks)} runs still being driven after {request.timeout_s}s")
        await self._rec.durable()
        return Ack(detail="idle")

    async def stop(self) -> None:
        """Commit what the store holds and close it (the runs' tasks are cancelled by whoever stops the loop)."""
        if self._sweeper is not None:
            self._sweeper.cancel()
        self._store.close()

    def sweep_retention(self) -> int:
        """Delete the finished runs (and traces) older than the retention period now; return how many."""
        days = self._config.run_retention_days
        if days is None:
            return 0
        gone = self._store.expire(utcnow() - timedelta(days=days))
        if gone:
            _log.info("runs_expired", runs=gone, retention_days=days)
        return gone

    async def _sweep_every(self, interval_s: float) -> None:
        while True:
            await asyncio.sleep(interval_s)
            try:
                self.sweep_retention()
            except Exception as exc:  # noqa: BLE001  (a failed sweep is retried at the next one)
                _log.warning("retention_sweep_failed", error=type(exc).__name__)

    async def wait_idle(self) -> None:
        """Wait until no run is being driven (for tests and shutdown)."""
        while self._tasks:
            await asyncio.gather(*list(self._tasks.values()), return_exceptions=True)

    async def _held(self, query: WaitQuery | EventsQuery, look: Callable[[], T], done: Callable[[T], bool]) -> T:
        """Look again at each change of the run until ``done``, or the query's time runs out."""
        signals = self._rec.states if isinstance(query, WaitQuery) else self._rec.appended
        timeout = query.timeout_s if isinstance(query, WaitQuery) else query.wait_s
        loop = asyncio.get_running_loop()
        end = loop.time() + timeout
        self._waits += 1
        try:
            found = look()
            while not done(found) and (left := end - loop.time()) > 0:
                if not await signals.changed(query.run_id, left):
                    break
                found = look()
            return found
        finally:
            self._waits -= 1

    async def _settled(self, state: RunState) -> RunState:
        # An end a client is told of is on disk: a restarted supervisor never takes it back.
        if state.terminal:
            await self._rec.durable()
        return state

    def _owned(self, tenant: str, run_id: str | None) -> RunState:
        require_tenant(tenant, "a run")
        state = self._store.load(run_id) if run_id else None
        if state is None or state.goal.tenant != tenant:
            # Another tenant's run is reported exactly like a missing one.
            raise NotFound(f"no run {run_id} for tenant {tenant}", run_id=run_id)
        return state

    def _launch(self, state: RunState, resume: bool = False) -> None:
        task = asyncio.ensure_future(self._drive(state, resume))
        self._tasks[state.run_id] = task
        run_id = state.run_id

        def forget(done: asyncio.Task[RunState]) -> None:
            if self._tasks.get(run_id) is done:
                self._tasks.pop(run_id, None)

        task.add_done_callback(forget)

    async def _drive(self, state: RunState, resume: bool) -> RunState:
        if resume:
            state = await self._engine.resume(state)
        return await self._engine.drive(state)

    def _note_redispatch(self, assignment: TaskAssignment, error: str) -> None:
        self._rec.emit(assignment.run_id, "step_redispatched", step_id=assignment.step.id, data={"why": error})
        self._rec.metrics.error("actor_lost")
