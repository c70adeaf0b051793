"""The run engine: drives a run through its state machine.

    INTAKE → PLAN → EXECUTE ⇄ VERIFY → OUTPUT → DONE
    (WAITING_INPUT, WAITING_APPROVAL, FAILED, CANCELLED on the way)

Each transition is checkpointed, and committed before the engine moves on (and every
step before it is dispatched), so a new engine resumes any run from its last checkpoint
without redoing finished steps.
"""

from __future__ import annotations

from collections.abc import Mapping

from agentrt.contracts import (
    TERMINAL_STATUSES,
    AgentRTError,
    Artifact,
    ClarificationRequest,
    FactResolution,
    FactWrite,
    GoalRejected,
    Identity,
    MemoryRef,
    MemoryWrite,
    Partition,
    RunState,
    RunStatus,
    Scope,
    StepStatus,
    TaskStatus,
    new_id,
)
from agentrt.contracts import Fact as MemoryFact
from agentrt.specialists.roles import RoleCatalog
from agentrt.supervisor.config import SupervisorConfig
from agentrt.supervisor.conflicts import claims_of
from agentrt.supervisor.execution import StepScheduler, set_step_status
from agentrt.supervisor.intake import IntakeReport, normalise_goal
from agentrt.supervisor.model_planner import ModelPlanner
from agentrt.supervisor.output import OutputGuard, load_output_filter
from agentrt.supervisor.planner import RulePlanner
from agentrt.supervisor.pools import SpecialistPool
from agentrt.supervisor.proposals import ProposalReview, RoleReach
from agentrt.supervisor.recorder import Recorder

__all__ = ["RunEngine"]

_WAITING = frozenset({RunStatus.WAITING_APPROVAL, RunStatus.WAITING_INPUT})


class RunEngine:
    """Drives runs. One engine serves every run of a supervisor.

    Args:
        recorder: Checkpoints, trace and metrics.
        planner: Makes plans.
        roles: The role catalog.
        pools: Specialist pools by role.
        memory: Long-term memory (None runs without it).
        config: Supervisor configuration.
        model_planner: Plans with a language model first (None: the rule planner alone).
        reach: Write tools and policy gate per role, for reviewing follow-up proposals.
    """

    def __init__(
        self,
        recorder: Recorder,
        planner: RulePlanner,
        roles: RoleCatalog,
        pools: Mapping[str, SpecialistPool],
        memory: MemoryRef | None,
        config: SupervisorConfig,
        model_planner: ModelPlanner | None = None,
        reach: Mapping[str, RoleReach] | None = None,
    ) -> None:
        self._rec = recorder
        self._model_planner = model_planner
        self._planner = planner
        self._roles = roles
        self._pools = pools
        self._memory = memory
        self._config = config
        content_filter = load_output_filter(config.output_filter) if config.output_filter else None
        self._guard = OutputGuard(config.redact_output, content_filter)
        review = ProposalReview(roles, planner, reach or {}, pools.keys(), config.max_replans)
        self.scheduler = StepScheduler(recorder, pools, roles, planner, memory, config, review)

    async def drive(self, state: RunState) -> RunState:
        """Advance a run until it ends or waits for a person."""
        while state.status not in TERMINAL_STATUSES and state.status not in _WAITING:
            try:
                state = await self._advance(state)
            except AgentRTError as exc:
                self._rec.metrics.error(type(exc).__name__)
                state = self._rec.move(state, RunStatus.FAILED, reason=str(exc), error=f"{type(exc).__name__}: {exc}")
            # The transition is on disk before the run goes on (one commit shared with every other run).
            await self._rec.durable()
        return state

    async def resume(self, state: RunState) -> RunState:
        """Prepare a checkpointed run for driving: steps caught in flight are recovered or re-dispatched."""
        if state.plan is None:
            return state
        for step in state.plan.steps:
            if step.status != StepStatus.RUNNING:
                continue
            pool = self._pools.get(step.role)
            found = None
            if pool is not None:
                found = await pool.recover(await self.scheduler.assignment(state, step))
            if found is not None and found.status == TaskStatus.SUCCEEDED:
                self._rec.emit(
                    state.run_id, "note", step_id=step.id, data={"recovered": "result of the run before restart"}
                )
                state = state.model_copy(
                    update={"results": {**state.results, step.id: found}, "cost": state.cost + found.cost}
                )
                state = set_step_status(state, step.id, StepStatus.SUCCEEDED)
            else:
                self._rec.emit(state.run_id, "step_redispatched", step_id=step.id, data={"why": "supervisor restarted"})
                state = set_step_status(state, step.id, StepStatus.PENDING)
        return self._rec.save(state)

    async def _advance(self, state: RunState) -> RunState:
        if state.status == RunStatus.INTAKE:
            return self._intake(state)
        if state.status == RunStatus.PLAN:
            return await self._plan(state)
        if state.status in (RunStatus.EXECUTE, RunStatus.VERIFY):
            return await self.scheduler.execute(state)
        if state.status == RunStatus.OUTPUT:
            return await self._output(state)
        raise AgentRTError(f"run {state.run_id} is in unexpected state {state.status}")

    def _intake(self, state: RunState) -> RunState:
        try:
            report = normalise_goal(state.goal)
        except GoalRejected as exc:
            return self._rec.move(state, RunStatus.FAILED, reason=str(exc), error=f"goal rejected: {exc}")
        if report.question:
            question = ClarificationRequest(id=new_id("ask"), run_id=state.run_id, question=report.question)
            self._rec.emit(
                state.run_id, "clarification_requested", data={"id": question.id, "question": question.question}
            )
            return self._rec.move(
                state,
                RunStatus.WAITING_INPUT,
                reason="goal is ambiguous",
                intake=report.as_json(),
                pending_question=question,
            )
        return self._rec.move(state, RunStatus.PLAN, reason="goal normalised", intake=report.as_json())

    async def _plan(self, state: RunState) -> RunState:
        intake = IntakeReport(**state.intake) if state.intake else normalise_goal(state.goal)  # type: ignore[arg-type]
        source, note = "rules", ""
        if self._model_planner is not None and not state.goal.workflow:
            outcome = await self._model_planner.plan(state.run_id, state.goal, intake)
            plan, source, note = outcome.plan, outcome.source, outcome.note
        else:
            plan = self._planner.plan(state.run_id, state.goal, intake)
        missing = sorted({s.role for s in plan.steps} - set(self._pools))
        if missing:
            raise AgentRTError(f"plan needs roles without a pool: {missing}")
        self._rec.emit(
            state.run_id,
            "plan",
            data={
                "version": plan.version,
                "rationale": plan.rationale,
                "source": source,
                "note": note,
                "steps": [{"id": s.id, "role": s.role, "depends_on": list(s.depends_on)} for s in plan.steps],
            },
        )
        return self._rec.move(state, RunStatus.EXECUTE, reason="plan ready", plan=plan)

    async def _output(self, state: RunState) -> RunState:
        assert state.plan is not None
        artifacts = tuple(
            a for s in state.plan.steps if s.status == StepStatus.SUCCEEDED for a in state.results[s.id].artifacts
        )
        deliverable = self._deliverable(state)
        offline = any(r.offline for r in state.results.values())
        verifier = any(self._roles.get(s.role).verifies for s in state.plan.steps)
        lines = [deliverable.text if deliverable else "(no deliverable)", "", "---"]
        lines.append(
            "Verified by QA: yes"
            if state.verified
            else ("Verified by QA: NO" if verifier else "Not verified: no QA role")
        )
        if offline:
            lines.append("Produced with the agentrt offline model (deterministic rules, not a language model).")
        guarded = self._guard.apply(state.goal, "\n".join(lines), artifacts)
        verdict = guarded.verdict
        if guarded.redactions or verdict.action != "allow":
            self._rec.emit(
                state.run_id,
                "note",
                data={"output_redactions": guarded.redactions, "filter": verdict.action, "reason": verdict.reason},
            )
        if verdict.action == "block":
            reason = f"output withheld by the content filter: {verdict.reason or 'no reason given'}"
            return self._rec.move(state, RunStatus.FAILED, reason=reason, error=reason, artifacts=())
        state = self._rec.save(state, artifacts=guarded.artifacts, output=guarded.text)
        if self._config.remember and state.verified and self._memory is not None:
            state = await self._remember(state, deliverable)
        return self._rec.move(state, RunStatus.DONE, reason="result delivered")

    def _deliverable(self, state: RunState) -> Artifact | None:
        assert state.plan is not None
        done = [
            s for s in state.plan.steps if s.status == StepStatus.SUCCEEDED and not self._roles.get(s.role).verifies
        ]
        if not done:
            return None
        last = max(done, key=lambda s: (self._roles.get(s.role).stage, state.plan.steps.index(s)))  # type: ignore[union-attr]
        # The deliverable is the step's validated final answer, never a tool's output.
        return state.results[last.id].deliverable

    async def _remember(self, state: RunState, deliverable: Artifact | None) -> RunState:
        assert self._memory is not None and state.plan is not None
        me = Identity(tenant=state.goal.tenant, agent="supervisor", role="supervisor", run_id=state.run_id)
        shared = Partition(tenant=state.goal.tenant, scope=Scope.TENANT, owner=state.goal.tenant)
        refs: list[str] = []
        try:
            text = f"Goal: {state.goal.text}\nResult: {(deliverable.text if deliverable else state.output)[:2000]}"
            ack = await self._memory.write(
                MemoryWrite(
                    caller=me,
                    partition=shared,
                    texts=(text,),
                    category="run_summary",
                    source=f"run:{state.run_id}",
                    reason="verified run result",
                )
            )
            refs.extend(ack.record_ids)
            if ack.refused:
                self._rec.emit(state.run_id, "memory", data={"refused": ack.refused})
            order = [s.id for s in state.plan.steps]
            for claim in claims_of(state.results, order)[:50]:
                fact = MemoryFact(
                    partition=shared,
                    key=claim.label,
                    value=claim.value,
                    source=claim.source or claim.role,
                    category="run_summary",
                )
                fack = await self._memory.put_fact(
                    FactWrite(caller=me, fact=fact, reason=f"verified in run {state.run_id}")
                )
                if fack.conflicts:
                    answer = await self._memory.resolve(
                        FactResolution(
                            caller=me,
                            partition=shared,
                            key=claim.label,
                            rule="recency",
                            reason="a verified run supersedes older values",
                        )
                    )
                    self._rec.emit(
                        state.run_id,
                        "conflict_resolved",
                        data={
                            "label": claim.label,
                            "rule": "recency",
                            "why": "new verified fact contradicts memory",
                            "previous": [f.value for f in fack.conflicts],
                            "chosen": answer.resolved.value if answer.resolved else None,
                        },
                    )
        except AgentRTError as exc:
            self._rec.emit(state.run_id, "memory", data={"error": f"{type(exc).__name__}: {exc}"})
        self._rec.emit(state.run_id, "memory", data={"stored": [*refs]})
        return self._rec.save(state, memory_refs=state.memory_refs + tuple(refs))
