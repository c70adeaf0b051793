"""The planner: turns a goal into a plan of steps over the known roles.

Two sources of plans:

* a named workflow (``Goal.workflow``): a template of steps, with branch
  conditions, loaded from a file or registered in code;
* otherwise, rule-based decomposition: the goal is split into clauses, each
  clause goes to the role whose keywords and description match it best, roles
  that work on the attached data get a step, steps depend on every step of an
  earlier stage (so independent work runs in parallel), and a QA step verifies
  the result against the acceptance criteria.
"""

from __future__ import annotations

import re
from collections.abc import Callable

from pydantic import BaseModel, ConfigDict, Field

from agentrt.contracts import Condition, ConfigError, Goal, Name, Plan, Step
from agentrt.specialists.roles import RoleCatalog, RoleSpec, Stage
from agentrt.supervisor.intake import IntakeReport

__all__ = ["DEFAULT_ACCEPTANCE", "InstructionWriter", "RulePlanner", "StepTemplate", "WorkflowCatalog", "WorkflowSpec"]

InstructionWriter = Callable[[RoleSpec, str, Goal], str]
"""Words a planned step for its role's model: ``(role, clause of the goal, goal) -> instruction``."""

DEFAULT_ACCEPTANCE = (
    "every figure in the result is traced to an artifact or source",
    "every cited source exists",
)

_CLAUSE_SPLIT = re.compile(r"(?i)\s*(?:;|\.\s|,?\s+and then\s+|,?\s+then\s+|,\s+and\s+|\s+and\s+(?=[a-z]+\s))\s*")
_WORD = re.compile(r"[a-z]+")
_DOCUMENT_WORDS = frozenset({"mail", "email", "report", "memo", "draft", "note", "letter", "message", "post", "reply"})


class StepTemplate(BaseModel):
    """One step of a workflow; ``{goal}`` in the instruction is replaced by the goal text."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    id: str
    role: Name
    instruction: str
    depends_on: tuple[str, ...] = ()
    acceptance: tuple[str, ...] = ()
    when: Condition | None = None
    subplan: bool = False


class WorkflowSpec(BaseModel):
    """A named plan template."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    name: Name
    description: str = ""
    steps: tuple[StepTemplate, ...] = Field(min_length=1)


class WorkflowCatalog:
    """Named workflows, registered in code or from files (see ``agentrt.cluster.config_files``)."""

    def __init__(self) -> None:
        self._workflows: dict[str, WorkflowSpec] = {}

    def register(self, workflow: WorkflowSpec) -> None:
        """Add or replace a workflow."""
        self._workflows[workflow.name] = workflow

    def add(self, raw: object) -> WorkflowSpec:
        """Validate and register a workflow given as data (e.g. a parsed workflow file).

        Raises:
            ConfigError: The data is not a valid workflow.
        """
        try:
            workflow = WorkflowSpec.model_validate(raw)
        except ValueError as exc:
            raise ConfigError(f"invalid workflow: {exc}") from None
        self.register(workflow)
        return workflow

    def get(self, name: str) -> WorkflowSpec:
        """Return a workflow by name."""
        try:
            return self._workflows[name]
        except KeyError:
            raise ConfigError(f"unknown workflow {name!r}; known: {sorted(self._workflows)}", workflow=name) from None

    def names(self) -> list[str]:
        """Registered workflow names."""
        return sorted(self._workflows)


class RulePlanner:
    """Plans goals over a role catalog, deterministically.

    Args:
        roles: The roles steps may be given to.
        workflows: Named workflows goals may ask for.
        writer: Words a planned step's instruction for the model of its role (``(role, clause, goal)
            -> instruction``); None gives every step its clause of the goal as planned.
    """

    def __init__(
        self, roles: RoleCatalog, workflows: WorkflowCatalog | None = None, writer: InstructionWriter | None = None
    ) -> None:
        self._roles = roles
        self._workflows = workflows or WorkflowCatalog()
        self._writer = writer

    def plan(self, run_id: str, goal: Goal, intake: IntakeReport, prefix: str = "s") -> Plan:
        """Return the first plan of a run (or of a sub-plan when ``prefix`` differs)."""
        if goal.workflow:
            return self._from_workflow(run_id, goal, prefix)
        by_role = self._assign_clauses(goal)
        self._add_data_roles(goal, by_role)
        steps = self._order(by_role, goal, prefix)
        return Plan(run_id=run_id, steps=tuple(steps), rationale=self._rationale(steps, intake))

    def score(self, role: RoleSpec, text: str) -> float:
        """How well a piece of text calls for a role: keyword hits, then description overlap."""
        words = set(_WORD.findall(text.lower()))
        stems = {w[:5] for w in words}
        keyword_hits = sum(1 for k in role.keywords if k in words or (" " in k and k in text.lower()))
        described = {w[:5] for w in _WORD.findall(role.description.lower()) if len(w) > 3}
        return keyword_hits + 0.5 * len(stems & described)

    def best_role(self, text: str) -> RoleSpec | None:
        """Return the non-verifying role that fits a text best, or None when nothing fits."""
        candidates = [r for r in self._roles if not r.verifies and r.replicas > 0]
        scored = sorted(((self.score(r, text), -r.stage, r.name) for r in candidates), reverse=True)
        if not scored or scored[0][0] <= 0:
            return None
        return self._roles.get(scored[0][2])

    def _assign_clauses(self, goal: Goal) -> dict[str, list[str]]:
        by_role: dict[str, list[str]] = {}
        for clause in (c.strip(" ,.") for c in _CLAUSE_SPLIT.split(goal.text)):
            if len(clause.split()) < 2:
                continue
            role = self.best_role(clause)
            if role is not None:
                by_role.setdefault(role.name, []).append(clause)
        return by_role

    def _add_data_roles(self, goal: Goal, by_role: dict[str, list[str]]) -> None:
        for role in self._roles:
            if role.verifies or role.name in by_role or not role.consumes:
                continue
            files = [a.name for a in goal.attachments if a.media_type in role.consumes]
            if files:
                verb = "Look up in" if role.stage == Stage.GATHER else "Work out from"
                by_role[role.name] = [f"{verb} {', '.join(files)} what the goal relies on"]
        if not by_role:
            fallback = self.best_role(goal.text) or next(r for r in self._roles if not r.verifies)
            by_role[fallback.name] = [goal.text]
        self._add_deliverable(goal, by_role)

    def _add_deliverable(self, goal: Goal, by_role: dict[str, list[str]]) -> None:
        # A goal that asks for a document (a mail, a report) gets a composing step even when
        # its clauses all went to other roles.
        composing = [r for r in self._roles if r.stage == Stage.COMPOSE and r.replicas > 0]
        if any(r.name in by_role for r in composing):
            return
        words = set(_WORD.findall(goal.text.lower()))
        asked = [r for r in composing if words & set(r.keywords) & _DOCUMENT_WORDS]
        if asked:
            by_role[asked[0].name] = [f"Write the deliverable of the goal: {goal.text}"]

    def _order(self, by_role: dict[str, list[str]], goal: Goal, prefix: str) -> list[Step]:
        roles = sorted((self._roles.get(n) for n in by_role), key=lambda r: (r.stage, list(by_role).index(r.name)))
        steps: list[Step] = []
        for i, role in enumerate(roles, start=1):
            # Gathering and analysis are independent of each other and run in parallel;
            # composing waits for everything produced before it.
            earlier = tuple(
                s.id for s in steps if role.stage >= Stage.COMPOSE and self._roles.get(s.role).stage < role.stage
            )
            clause = "; ".join(by_role[role.name])
            instruction = self._writer(role, clause, goal) if self._writer is not None else clause
            steps.append(
                Step(
                    id=f"{prefix}{i}",
                    role=role.name,
                    instruction=instruction,
                    depends_on=earlier,
                    allowed_tools=role.tools,
                )
            )
        verifier = next((r for r in self._roles if r.verifies and r.replicas > 0), None)
        if verifier is not None:
            steps.append(
                Step(
                    id=f"{prefix}{len(steps) + 1}",
                    role=verifier.name,
                    instruction=(
                        "Check the draft against the acceptance criteria: every number traced to the facts "
                        f"and sources, every citation real. The goal was: {goal.text}"
                    ),
                    depends_on=tuple(s.id for s in steps),
                    allowed_tools=verifier.tools,
                    acceptance=tuple(goal.acceptance_criteria) + DEFAULT_ACCEPTANCE,
                )
            )
        return steps

    def _from_workflow(self, run_id: str, goal: Goal, prefix: str) -> Plan:
        workflow = self._workflows.get(goal.workflow or "")
        steps = []
        for t in workflow.steps:
            role = self._roles.get(t.role)
            acceptance = t.acceptance + (tuple(goal.acceptance_criteria) if role.verifies else ())
            steps.append(
                Step(
                    id=f"{prefix}-{t.id}" if prefix != "s" else t.id,
                    role=t.role,
                    instruction=t.instruction.replace("{goal}", goal.text),
                    depends_on=tuple(f"{prefix}-{d}" if prefix != "s" else d for d in t.depends_on),
                    allowed_tools=role.tools,
                    acceptance=acceptance,
                    when=t.when,
                    subplan=t.subplan,
                )
            )
        return Plan(run_id=run_id, steps=tuple(steps), rationale=f"workflow {workflow.name}: {workflow.description}")

    def _rationale(self, steps: list[Step], intake: IntakeReport) -> str:
        parts = [f"{s.id}:{s.role}" + (f" after {','.join(s.depends_on)}" if s.depends_on else "") for s in steps]
        return f"{intake.task_type} goal; rule-based plan over roles: " + "; ".join(parts)
