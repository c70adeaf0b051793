"""Plans: steps with roles, dependencies, conditions and acceptance checks."""

from __future__ import annotations

from enum import StrEnum
from typing import Literal

from pydantic import Field, model_validator

from agentrt.contracts._base import Contract, JsonValue
from agentrt.contracts.ids import Name, RunId, StepId

__all__ = ["Condition", "Plan", "Step", "StepStatus"]


class StepStatus(StrEnum):
    """Where a step is in its life."""

    PENDING = "pending"
    RUNNING = "running"
    SUCCEEDED = "succeeded"
    FAILED = "failed"
    SKIPPED = "skipped"
    WAITING_APPROVAL = "waiting_approval"


class Condition(Contract):
    """A branch condition on an earlier step's artifact: the step runs only when it holds."""

    kind: Literal["condition"] = "condition"
    step: StepId
    artifact: Name
    path: tuple[str, ...] = ()
    op: Literal["eq", "ne", "gt", "lt", "contains", "truthy"] = "eq"
    value: JsonValue = None


class Step(Contract):
    """One unit of delegated work.

    Ids are opaque. Lineage is in fields: ``retry_of`` (this step retries a failed one),
    ``fix_of`` (it fixes a step QA rejected), ``proposed_by`` (a specialist's step proposed it).
    """

    kind: Literal["step"] = "step"
    id: StepId
    role: Name
    instruction: str = Field(min_length=1, max_length=8000)
    depends_on: tuple[StepId, ...] = ()
    allowed_tools: tuple[Name, ...] = ()
    acceptance: tuple[str, ...] = ()
    when: Condition | None = None
    subplan: bool = False
    status: StepStatus = StepStatus.PENDING
    retry_of: StepId | None = None
    fix_of: StepId | None = None
    proposed_by: StepId | None = None


class Plan(Contract):
    """A directed acyclic graph of steps for one run. ``version`` grows with every replan."""

    kind: Literal["plan"] = "plan"
    run_id: RunId
    version: int = Field(default=1, ge=1)
    steps: tuple[Step, ...] = Field(min_length=1, max_length=200)
    rationale: str = ""
    stop_when: tuple[str, ...] = ()

    @model_validator(mode="after")
    def _check_graph(self) -> Plan:
        ids = [s.id for s in self.steps]
        if len(set(ids)) != len(ids):
            raise ValueError("step ids must be unique")
        known = set(ids)
        for step in self.steps:
            missing = [d for d in step.depends_on if d not in known]
            if missing:
                raise ValueError(f"step {step.id} depends on unknown steps {missing}")
        _assert_acyclic({s.id: s.depends_on for s in self.steps})
        return self

    def origin(self, step_id: str) -> str:
        """The planned step a retry or fix stands in for (following ``retry_of`` and ``fix_of``)."""
        seen: set[str] = set()
        current = self.step(step_id)
        while current.id not in seen:
            seen.add(current.id)
            parent = current.retry_of or current.fix_of
            if parent is None:
                break
            current = self.step(parent)
        return current.id

    def step(self, step_id: str) -> Step:
        """Return the step with this id."""
        for s in self.steps:
            if s.id == step_id:
                return s
        raise KeyError(step_id)


def _assert_acyclic(edges: dict[str, tuple[str, ...]]) -> None:
    state: dict[str, int] = {}

    def visit(node: str) -> None:
        mark = state.get(node, 0)
        if mark == 1:
            raise ValueError(f"plan has a dependency cycle through {node}")
        if mark == 2:
            return
        state[node] = 1
        for dep in edges[node]:
            visit(dep)
        state[node] = 2

    for node in edges:
        visit(node)
