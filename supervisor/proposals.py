"""Follow-up proposals: what a specialist suggests adding to the plan, admitted, refused or held for a person.

A specialist's final answer may propose further steps (a role and an instruction).
They are proposals, not commands. The review admits one only if

- the role exists, is served, is not a verifying role, and is allowed for the goal
  (a workflow's roles when the goal names a workflow);
- the plan's budget allows it (replans left, room under the run's step budget, at
  most ``max_per_result`` proposals of one result);
- policy passes for every write tool the new step could call;

and holds for a person's approval, showing where it came from, every proposal of a
step that read untrusted content (a tool output, an input, a document, a memory
record) when the new step could write. Every decision has its reason, for the trace.
"""

from __future__ import annotations

import hashlib
from collections.abc import Collection, Mapping
from dataclasses import dataclass
from typing import Literal

from agentrt.contracts import (
    ApprovalRequest,
    Identity,
    JsonObject,
    PolicyGate,
    Provenance,
    RunState,
    Step,
    StepProposal,
    StepStatus,
    TaskResult,
    ToolCall,
)
from agentrt.specialists.roles import RoleCatalog
from agentrt.supervisor.planner import RulePlanner

__all__ = ["ProposalReview", "Review", "RoleReach", "reach_of"]

Decision = Literal["admitted", "refused", "held"]


@dataclass(frozen=True)
class RoleReach:
    """What a role's steps could do: the names of its write tools and the policy gate its calls pass."""

    writes: frozenset[str]
    gate: PolicyGate | None = None


def reach_of(
    roles: RoleCatalog, writes_by_tool: Mapping[str, bool], gates: Mapping[str, PolicyGate] | None = None
) -> dict[str, RoleReach]:
    """The reach of every role: its tools that write (a tool not in ``writes_by_tool`` counts as a write)."""
    return {
        r.name: RoleReach(frozenset(t for t in r.tools if writes_by_tool.get(t, True)), (gates or {}).get(r.name))
        for r in roles
    }


@dataclass(frozen=True)
class Review:
    """The decision on one proposal, with its reason; ``step`` is the step it adds (held steps wait)."""

    proposal: StepProposal
    provenance: Provenance
    decision: Decision
    reason: str
    step: Step | None = None
    request: ApprovalRequest | None = None

    def as_json(self) -> JsonObject:
        """The decision as trace data."""
        return {
            "decision": self.decision,
            "reason": self.reason,
            "role": self.proposal.role,
            "instruction": self.proposal.instruction,
            "why": self.proposal.reason,
            "proposed_by": self.provenance.step_id,
            "sources": list(self.provenance.sources),
            "step": self.step.id if self.step else None,
            "request": self.request.id if self.request else None,
        }


class ProposalReview:
    """Decides a result's proposals.

    Args:
        roles: The role catalog.
        planner: Picks a role for a proposal that names none.
        reach: Write tools and policy gate per role; a role missing here counts all its tools as writes.
        served: The roles that have a pool.
        max_replans: The run's replan budget.
        max_per_result: Proposals of one result considered; the rest are refused.
    """

    def __init__(
        self, roles: RoleCatalog, planner: RulePlanner, reach: Mapping[str, RoleReach], served: Collection[str],
        max_replans: int, max_per_result: int = 5,
    ) -> None:  # fmt: skip
        self._roles = roles
        self._planner = planner
        self._reach = reach
        self._served = served
        self._max_replans = max_replans
        self._max_per_result = max_per_result

    async def review(self, state: RunState, step: Step, result: TaskResult) -> list[Review]:
        """Decide every proposal of a step's result."""
        assert state.plan is not None
        provenance = Provenance(step_id=step.id, role=step.role, agent=result.agent, sources=result.untrusted_sources)
        reviews: list[Review] = []
        taken = {s.id for s in state.plan.steps}
        room = state.goal.budget.max_steps - len(state.plan.steps)
        for index, proposal in enumerate(result.follow_ups):
            review = await self._one(state, step, proposal, provenance, index, room, taken)
            if review.step is not None:
                taken.add(review.step.id)
                room -= 1
            reviews.append(review)
        return reviews

    async def _one(
        self, state: RunState, step: Step, proposal: StepProposal, provenance: Provenance, index: int,
        room: int, taken: set[str],
    ) -> Review:  # fmt: skip
        def refuse(reason: str, resolved: StepProposal = proposal) -> Review:
            return Review(resolved, provenance, "refused", reason)

        if index >= self._max_per_result:
            return refuse(f"only {self._max_per_result} proposals of one step are considered")
        if state.replans >= self._max_replans:
            return refuse(f"the plan's replan budget is spent ({state.replans} of {self._max_replans})")
        if room <= 0:
            return refuse(f"the run's step budget ({state.goal.budget.max_steps}) leaves no room for another step")
        role_name = proposal.role
        if role_name is None:
            best = self._planner.best_role(proposal.instruction)
            role_name = best.name if best is not None else step.role
        resolved = proposal.model_copy(update={"role": role_name})
        problem = self._role_problem(state, role_name)
        if problem is not None:
            return refuse(problem, resolved)
        role = self._roles.get(role_name)
        tools = step.allowed_tools if role_name == step.role else role.tools
        new = Step(
            id=_fresh_id(taken, step.id), role=role_name, instruction=proposal.instruction, depends_on=(step.id,),
            allowed_tools=tools, proposed_by=step.id,
        )  # fmt: skip
        reach = self._reach.get(role_name)
        possible = set(tools or role.tools)
        writes = sorted(possible & reach.writes if reach is not None else possible)
        denied = await self._denied(state, new, writes, reach)
        if denied is not None:
            return refuse(denied, resolved)
        if writes and provenance.untrusted:
            request = ApprovalRequest(
                id=_request_id(state.run_id, step.id, role_name, proposal.instruction), run_id=state.run_id,
                step_id=new.id, subject="step_proposal", proposal=resolved, provenance=provenance,
                reason=(
                    f"step {step.id} ({step.role}) proposed a {role_name} step that can write "
                    f"({', '.join(writes)}) after reading untrusted content: {', '.join(provenance.sources[:8])}"
                ),
            )  # fmt: skip
            held = new.model_copy(update={"status": StepStatus.WAITING_APPROVAL})
            return Review(resolved, provenance, "held", "a person must approve a step that can write, proposed "
                          "from untrusted content", held, request)  # fmt: skip
        reason = "the step reads only" if not writes else "its writes pass policy and it comes from trusted input only"
        return Review(resolved, provenance, "admitted", reason, new)

    def _role_problem(self, state: RunState, role_name: str) -> str | None:
        if role_name not in self._roles:
            return f"no role {role_name!r}"
        if role_name not in self._served:
            return f"no pool serves role {role_name!r}"
        if self._roles.get(role_name).verifies:
            return "verification steps are planned by the supervisor, not proposed"
        if state.goal.workflow is not None and state.plan is not None:
            allowed = {s.role for s in state.plan.steps}
            if role_name not in allowed:
                return f"workflow {state.goal.workflow} does not use role {role_name!r}"
        return None

    async def _denied(self, state: RunState, new: Step, writes: list[str], reach: RoleReach | None) -> str | None:
        gate = reach.gate if reach is not None else None
        if gate is None:
            return None
        caller = Identity(tenant=state.goal.tenant, agent=new.role, role="agent", user=state.goal.user,
                          run_id=state.run_id)  # fmt: skip
        for tool in writes:
            probe = ToolCall(id="proposal-review", tool=tool, arguments={})
            try:
                decision = await gate.check(caller, new, probe)
            except Exception as exc:  # noqa: BLE001 - a gate that cannot decide refuses
                return f"the policy gate failed on {tool}: {type(exc).__name__}: {exc}"
            if decision.verdict == "deny":
                return f"policy denies {tool} to {new.role}: {decision.reason}"
        return None


def _fresh_id(taken: set[str], base: str) -> str:
    n = 1
    while f"{base}.f{n}" in taken:
        n += 1
    return f"{base}.f{n}"


def _request_id(run_id: str, step_id: str, role: str, instruction: str) -> str:
    digest = hashlib.sha256("\x1f".join((run_id, step_id, role, instruction)).encode()).hexdigest()[:24]
    return f"apr-{digest}"
