"""The step scheduler: runs a plan's ready steps in parallel over the specialist pools.

It dispatches every step whose dependencies are done (skipping those whose
branch condition does not hold, expanding sub-plan steps), bounds the steps in
flight, enforces the run budget, and reacts to each result: record it, settle
conflicts, review the follow-ups it proposes (:mod:`agentrt.supervisor.proposals`),
replan after a failure or a QA rejection, or pause for an approval.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Mapping
from datetime import timedelta

from agentrt.contracts import (
    AgentRTError,
    Budget,
    ErrorInfo,
    Identity,
    MemoryRef,
    RunState,
    RunStatus,
    Step,
    StepStatus,
    TaskAssignment,
    TaskResult,
    TaskStatus,
    utcnow,
)
from agentrt.specialists.roles import RoleCatalog
from agentrt.supervisor._results import approval_request, condition_holds, qa_verdict
from agentrt.supervisor.config import SupervisorConfig
from agentrt.supervisor.conflicts import claims_of, find_conflicts, resolve_conflict
from agentrt.supervisor.context import gather_context, step_inputs
from agentrt.supervisor.intake import normalise_goal
from agentrt.supervisor.planner import RulePlanner
from agentrt.supervisor.pools import SpecialistPool
from agentrt.supervisor.proposals import ProposalReview
from agentrt.supervisor.recorder import Recorder
from agentrt.supervisor.replanning import add_follow_ups, fix_after_rejection, retry_failed_step

__all__ = ["StepScheduler", "budget_problem", "set_step_status"]


def set_step_status(state: RunState, step_id: str, status: StepStatus) -> RunState:
    """Return the state with one plan step's status changed (not checkpointed)."""
    assert state.plan is not None
    steps = tuple(s.model_copy(update={"status": status}) if s.id == step_id else s for s in state.plan.steps)
    return state.model_copy(update={"plan": state.plan.model_copy(update={"steps": steps})})


def budget_problem(state: RunState, dispatched: int) -> str | None:
    """Name the run budget that is spent, if any."""
    b = state.goal.budget
    elapsed = (utcnow() - state.created_at).total_seconds()
    if dispatched >= b.max_steps:
        return f"steps: {dispatched} of {b.max_steps} dispatched"
    if state.cost.tokens >= b.max_tokens:
        return f"tokens: {state.cost.tokens} of {b.max_tokens} spent"
    if state.cost.usd >= b.max_cost_usd > 0:
        return f"cost: ${state.cost.usd:.4f} of ${b.max_cost_usd:.4f} spent"
    if elapsed >= b.max_wall_s:
        return f"wall time: {elapsed:.1f}s of {b.max_wall_s:.1f}s"
    return None


class StepScheduler:
    """Executes the plan of one run until it finishes, fails, or waits for a person.

    Args:
        recorder: Checkpoints and trace.
        pools: Specialist pools by role.
        roles: The role catalog.
        planner: For follow-ups and sub-plans.
        memory: Long-term memory, if any.
        config: Supervisor configuration.
        review: Decides the follow-ups results propose.
    """

    def __init__(
        self,
        recorder: Recorder,
        pools: Mapping[str, SpecialistPool],
        roles: RoleCatalog,
        planner: RulePlanner,
        memory: MemoryRef | None,
        config: SupervisorConfig,
        review: ProposalReview,
    ) -> None:
        self._rec = recorder
        self._pools = pools
        self._roles = roles
        self._planner = planner
        self._memory = memory
        self._config = config
        self._review = review

    async def execute(self, state: RunState) -> RunState:
        """Run ready steps until none are left; return the state in its next status."""
        in_flight: dict[asyncio.Task[TaskResult], str] = {}
        try:
            while True:
                state, problem = await self._dispatch_ready(state, in_flight)
                if problem is not None:
                    return await self._stop_for_budget(state, problem, in_flight)
                if not in_flight:
                    return self._after_plan_drained(state)
                done, _ = await asyncio.wait(in_flight, return_when=asyncio.FIRST_COMPLETED)
                for task in done:
                    step_id = in_flight.pop(task)
                    state = await self._on_result(state, step_id, task.result())
                    if state.status in (RunStatus.FAILED, RunStatus.CANCELLED):
                        return state
        finally:
            for task in in_flight:
                task.cancel()

    async def _dispatch_ready(
        self, state: RunState, in_flight: dict[asyncio.Task[TaskResult], str]
    ) -> tuple[RunState, str | None]:
        assert state.plan is not None
        changed = True
        while changed:
            changed = False
            finished = {s.id for s in state.plan.steps if s.status in (StepStatus.SUCCEEDED, StepStatus.SKIPPED)}
            for step in state.plan.steps:
                if step.status != StepStatus.PENDING or not set(step.depends_on) <= finished:
                    continue
                if len(in_flight) >= self._config.max_parallel_steps:
                    return state, None
                if step.when is not None and not condition_holds(step.when, state):
                    state = self._skip(state, step, "branch condition does not hold")
                    changed = True
                    break
                if step.subplan:
                    state = self._expand(state, step)
                    changed = True
                    break
                problem = budget_problem(state, self._dispatched(state))
                if problem is not None:
                    return state, problem
                state = self._start(state, step, in_flight)
        return state, None

    def _dispatched(self, state: RunState) -> int:
        assert state.plan is not None
        return sum(1 for s in state.plan.steps if s.status not in (StepStatus.PENDING, StepStatus.SKIPPED))

    def _start(self, state: RunState, step: Step, in_flight: dict[asyncio.Task[TaskResult], str]) -> RunState:
        verifying = self._roles.get(step.role).verifies
        if verifying and state.status != RunStatus.VERIFY:
            state = self._rec.move(state, RunStatus.VERIFY, reason=f"{step.id} verifies the result")
        elif not verifying and state.status == RunStatus.VERIFY:
            state = self._rec.move(state, RunStatus.EXECUTE, reason=f"{step.id} runs after replanning")
        state = self._rec.save(set_step_status(state, step.id, StepStatus.RUNNING))
        self._rec.emit(
            state.run_id, "step_started", step_id=step.id, data={"role": step.role, "instruction": step.instruction}
        )
        task = asyncio.ensure_future(self.run_step(state, step))
        in_flight[task] = step.id
        self._report_load(step.role)
        return state

    def _report_load(self, role: str) -> None:
        pool = self._pools.get(role)
        if pool is not None:
            stats = pool.stats()
            self._rec.metrics.pool_load(role, stats.replicas, stats.in_flight, stats.queued)

    async def run_step(self, state: RunState, step: Step) -> TaskResult:
        """Dispatch one step to its role's pool; any failure becomes a failed result."""
        started = time.monotonic()
        try:
            assignment = await self.assignment(state, step)
            pool = self._pools.get(step.role)
            if pool is None:
                raise AgentRTError(f"no pool serves role {step.role!r}")
            # RUNNING is on disk before the step runs anywhere: a restarted supervisor asks the
            # replicas for it instead of running it a second time.
            await self._rec.durable()
            result = await asyncio.wait_for(pool.run(assignment), self._config.step_timeout_s)
            if result.events:
                # The step's trace events that came with it go in first, in order; the run state
                # keeps the result without them.
                for event in result.events:
                    self._rec.record(event)
                result = result.model_copy(update={"events": ()})
        except (AgentRTError, TimeoutError) as exc:
            result = TaskResult(
                run_id=state.run_id,
                step_id=step.id,
                status=TaskStatus.FAILED,
                role=step.role,
                error=ErrorInfo(type=type(exc).__name__, message=str(exc) or "step timed out"),
            )
        self._rec.metrics.step_finished(step.role, result.status.value, time.monotonic() - started)
        self._report_load(step.role)
        self._rec.metrics.usage(step.role, result.cost.tokens, result.cost.usd)
        return result

    async def assignment(self, state: RunState, step: Step) -> TaskAssignment:
        """Build the assignment of a step: inputs, context within budget, remaining run budget."""
        assert state.plan is not None
        supervisor = Identity(tenant=state.goal.tenant, agent="supervisor", role="supervisor", run_id=state.run_id)
        context = await gather_context(step, state, self._memory, supervisor, self._config.context_tokens)
        b = state.goal.budget
        elapsed = (utcnow() - state.created_at).total_seconds()
        remaining_wall = max(1.0, min(b.max_wall_s - elapsed, self._config.step_timeout_s))
        paused = state.results.get(step.id)
        return TaskAssignment(
            run_id=state.run_id,
            step=step,
            caller=Identity(
                tenant=state.goal.tenant, agent=step.role, role="agent", user=state.goal.user, run_id=state.run_id
            ),
            goal_text=state.goal.text,
            context=context,
            inputs=step_inputs(state.plan, state, step, self._roles.get(step.role).consumes),
            budget=Budget(
                max_steps=min(b.max_steps, 12),
                max_tokens=max(1, b.max_tokens - state.cost.tokens),
                max_cost_usd=max(0.0, b.max_cost_usd - state.cost.usd),
                max_wall_s=remaining_wall,
            ),
            deadline=utcnow() + timedelta(seconds=remaining_wall),
            approved_calls=state.approved_calls,
            rejected_calls=state.rejected_calls,
            resume=paused.resume if paused is not None and paused.status == TaskStatus.NEEDS_APPROVAL else None,
            fence=state.fence,
        )

    async def _on_result(self, state: RunState, step_id: str, result: TaskResult) -> RunState:
        assert state.plan is not None
        step = state.plan.step(step_id)
        results = {**state.results, step_id: result}
        state = state.model_copy(update={"results": results, "cost": state.cost + result.cost})
        self._rec.emit(
            state.run_id,
            "step_finished",
            step_id=step_id,
            tokens=result.cost.tokens,
            error=result.error,
            data={
                "role": step.role,
                "status": result.status.value,
                "summary": result.summary[:500],
                "agent": result.agent,
            },
        )
        if result.status == TaskStatus.NEEDS_APPROVAL:
            request = approval_request(state.run_id, step, result)
            self._rec.emit(state.run_id, "approval_requested", step_id=step_id, data=request.model_dump(mode="json"))
            state = set_step_status(state, step_id, StepStatus.WAITING_APPROVAL)
            return self._rec.save(state, pending_approvals=state.pending_approvals + (request,))
        if result.status == TaskStatus.FAILED:
            return self._after_failure(state, step, result)
        state = self._rec.save(set_step_status(state, step_id, StepStatus.SUCCEEDED))
        self._settle_conflicts(state)
        if self._roles.get(step.role).verifies:
            return self._after_verdict(state, step, result)
        return await self._proposals(state, step, result)

    async def _proposals(self, state: RunState, step: Step, result: TaskResult) -> RunState:
        assert state.plan is not None
        reviews = await self._review.review(state, step, result)
        for review in reviews:
            self._rec.emit(state.run_id, "proposal", step_id=step.id, data=review.as_json())
        added = [r.step for r in reviews if r.step is not None]
        if not added:
            return state
        plan = add_follow_ups(state.plan, step.id, added)
        held = tuple(r.request for r in reviews if r.request is not None)
        self._rec.emit(
            state.run_id,
            "replan",
            step_id=step.id,
            data={"reason": "proposals admitted", "version": plan.version, "added": [s.id for s in added],
                  "held": [r.step_id for r in held]},
        )  # fmt: skip
        return self._rec.save(
            state, plan=plan, replans=state.replans + 1, pending_approvals=state.pending_approvals + held
        )

    def _after_failure(self, state: RunState, step: Step, result: TaskResult) -> RunState:
        state = set_step_status(state, step.id, StepStatus.FAILED)
        assert state.plan is not None
        current = state.plan
        error = result.error.message if result.error else "step failed"
        origin = current.origin(step.id)
        attempts = sum(1 for s in current.steps if s.fix_of is None and current.origin(s.id) == origin)
        plan = None
        if state.replans < self._config.max_replans:
            plan = retry_failed_step(current, step.id, error, attempts, self._config.max_step_attempts)
        if plan is None:
            return self._rec.move(
                state,
                RunStatus.FAILED,
                reason=f"step {step.id} failed: {error}",
                error=f"step {step.id} failed: {error}",
            )
        self._rec.emit(
            state.run_id,
            "replan",
            step_id=step.id,
            data={"reason": "step failed", "error": error, "version": plan.version},
        )
        return self._rec.save(state, plan=plan, replans=state.replans + 1)

    def _after_verdict(self, state: RunState, step: Step, result: TaskResult) -> RunState:
        assert state.plan is not None
        passed, defects = qa_verdict(result)
        if passed:
            return self._rec.save(state, verified=True)
        producer = self._deliverable_of(state, step)
        if producer is None or state.replans >= self._config.max_replans:
            reason = f"QA rejected the result: {'; '.join(defects[:5])}"
            return self._rec.move(state, RunStatus.FAILED, reason=reason, error=reason, verified=False)
        plan = fix_after_rejection(state.plan, step.id, producer, defects)
        self._rec.emit(
            state.run_id,
            "replan",
            step_id=step.id,
            data={"reason": "QA rejected", "defects": [*defects[:20]], "version": plan.version, "fix_of": producer},
        )
        return self._rec.save(state, plan=plan, replans=state.replans + 1, verified=False)

    def _deliverable_of(self, state: RunState, qa_step: Step) -> str | None:
        assert state.plan is not None
        deps = [state.plan.step(d) for d in qa_step.depends_on]
        producing = [s for s in deps if s.status == StepStatus.SUCCEEDED and not self._roles.get(s.role).verifies]
        if not producing:
            return None
        return max(producing, key=lambda s: (self._roles.get(s.role).stage, state.plan.steps.index(s))).id  # type: ignore[union-attr]

    def _settle_conflicts(self, state: RunState) -> None:
        assert state.plan is not None
        order = [s.id for s in state.plan.steps]
        qa_passed = {
            d
            for s in state.plan.steps
            if self._roles.get(s.role).verifies
            and s.status == StepStatus.SUCCEEDED
            and qa_verdict(state.results[s.id])[0]
            for d in s.depends_on
        }
        for group in find_conflicts(claims_of(state.results, order)).values():
            decision = resolve_conflict(group, self._config.source_rank, qa_passed)
            self._rec.emit(state.run_id, "conflict_resolved", data=decision.as_json())

    def _skip(self, state: RunState, step: Step, why: str) -> RunState:
        self._rec.emit(state.run_id, "note", step_id=step.id, data={"skipped": why})
        return self._rec.save(set_step_status(state, step.id, StepStatus.SKIPPED))

    def _expand(self, state: RunState, step: Step) -> RunState:
        assert state.plan is not None
        sub_goal = state.goal.model_copy(update={"text": step.instruction, "workflow": None})
        sub = self._planner.plan(state.run_id, sub_goal, normalise_goal(sub_goal), prefix=f"{step.id}-")
        sub_steps = [s.model_copy(update={"depends_on": s.depends_on or step.depends_on}) for s in sub.steps]
        sub_ids = tuple(s.id for s in sub_steps)
        steps = []
        for s in state.plan.steps:
            if s.id == step.id:
                s = s.model_copy(update={"status": StepStatus.SKIPPED, "subplan": False})
            elif step.id in s.depends_on:
                s = s.model_copy(update={"depends_on": s.depends_on + sub_ids})
            steps.append(s)
        plan = state.plan.model_copy(
            update={"version": state.plan.version + 1, "steps": tuple(steps) + tuple(sub_steps)}
        )
        self._rec.emit(
            state.run_id,
            "replan",
            step_id=step.id,
            data={"reason": "sub-plan", "added": list(sub_ids), "version": plan.version},
        )
        return self._rec.save(state, plan=plan)

    def _after_plan_drained(self, state: RunState) -> RunState:
        assert state.plan is not None
        if state.pending_approvals:
            self._rec.metrics.approvals_waiting(len(state.pending_approvals))
            return self._rec.move(state, RunStatus.WAITING_APPROVAL, reason="a step waits for approval")
        blocked = [s.id for s in state.plan.steps if s.status == StepStatus.PENDING]
        if blocked:
            reason = f"steps {blocked} cannot run: a dependency failed"
            return self._rec.move(state, RunStatus.FAILED, reason=reason, error=reason)
        return self._rec.move(state, RunStatus.OUTPUT, reason="every step finished")

    async def _stop_for_budget(
        self, state: RunState, problem: str, in_flight: dict[asyncio.Task[TaskResult], str]
    ) -> RunState:
        if in_flight:
            done, _ = await asyncio.wait(in_flight)
            for task in done:
                state = await self._on_result(state, in_flight[task], task.result())
            in_flight.clear()
        self._rec.emit(state.run_id, "budget", data={"spent": problem})
        self._rec.metrics.error("budget")
        return self._rec.move(
            state, RunStatus.FAILED, reason=f"budget spent: {problem}", error=f"budget spent: {problem}"
        )
