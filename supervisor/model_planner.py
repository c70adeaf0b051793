"""Planning with a language model: the model proposes the plan, the rules check it.

The model is shown the goal, what intake found, the attached files and the
roles (with their tools) and asked for a JSON plan. The reply must parse, name
only known roles, form a DAG and end in verification; the errors of a reply
that does not go back to the model once more. When no usable plan comes back,
the rule planner's plan is used and the reason is kept for the trace.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass

from pydantic import ValidationError

from agentrt.contracts import AgentRTError, ChatMessage, ChatModel, Goal, Plan, Step
from agentrt.specialists.roles import RoleCatalog
from agentrt.supervisor.intake import IntakeReport
from agentrt.supervisor.planner import DEFAULT_ACCEPTANCE, RulePlanner

__all__ = ["ModelPlanner", "PlanOutcome"]

_FENCE = re.compile(r"```(?:json)?\s*(.*?)```", re.S)

_INSTRUCTIONS = """You plan work for a team of specialist agents. Answer with one JSON object only:
{"rationale": "...", "steps": [{"id": "s1", "role": "<role>", "instruction": "...", "depends_on": []}]}
Rules: use only the roles listed; ids are short and unique; a step depends on the steps whose output it needs;
steps that do not need each other have no dependency so they run in parallel; the last step is done by the
verifying role and depends on every other step. Instructions name the files, columns and terms to use."""


@dataclass(frozen=True)
class PlanOutcome:
    """A plan and where it came from (``model`` or ``rules``), with the reason when the rules took over."""

    plan: Plan
    source: str
    note: str = ""


class ModelPlanner:
    """Asks a chat model for the plan; falls back to the rule planner.

    Args:
        model: The chat model.
        roles: The roles steps may be given to.
        fallback: The rule planner used when the model's plan is unusable.
        attempts: Replies asked for before falling back.
    """

    def __init__(self, model: ChatModel, roles: RoleCatalog, fallback: RulePlanner, attempts: int = 2) -> None:
        self._model = model
        self._roles = roles
        self._fallback = fallback
        self._attempts = attempts

    async def plan(self, run_id: str, goal: Goal, intake: IntakeReport) -> PlanOutcome:
        """Return the model's plan if it is usable, else the rule planner's with the reason."""
        messages = [
            ChatMessage(role="system", content=_INSTRUCTIONS),
            ChatMessage(role="user", content=self._brief(goal, intake)),
        ]
        problem = ""
        for _ in range(self._attempts):
            try:
                reply = await self._model.complete(messages, ())
            except AgentRTError as exc:
                problem = f"model failed: {exc}"
                break
            try:
                return PlanOutcome(self._parse(run_id, goal, reply.text), "model")
            except ValueError as exc:
                problem = str(exc)[:500]
                messages += [
                    ChatMessage(role="assistant", content=reply.text),
                    ChatMessage(role="user", content=f"That plan is not usable: {problem}. Answer again."),
                ]
        return PlanOutcome(self._fallback.plan(run_id, goal, intake), "rules", problem)

    def _brief(self, goal: Goal, intake: IntakeReport) -> str:
        roles = [
            {"role": r.name, "does": r.description, "tools": list(r.tools), "verifies": r.verifies}
            for r in self._roles
            if r.replicas > 0
        ]
        files = [{"name": a.name, "media_type": a.media_type, "head": a.content[:300]} for a in goal.attachments]
        return json.dumps(
            {
                "goal": goal.text,
                "acceptance": list(goal.acceptance_criteria),
                "intake": intake.as_json(),
                "files": files,
                "roles": roles,
            },
            ensure_ascii=False,
        )

    def _parse(self, run_id: str, goal: Goal, text: str) -> Plan:
        fenced = _FENCE.search(text)
        try:
            raw = json.loads(fenced.group(1) if fenced else text)
        except json.JSONDecodeError as exc:
            raise ValueError(f"not JSON: {exc}") from None
        items = raw.get("steps") if isinstance(raw, dict) else None
        if not isinstance(items, list) or not items:
            raise ValueError("no steps")
        steps = []
        for item in items:
            role = self._roles.get(str(item.get("role"))) if str(item.get("role")) in self._roles else None
            if role is None:
                raise ValueError(f"unknown role {item.get('role')!r}; roles: {self._roles.names()}")
            acceptance = tuple(goal.acceptance_criteria) + DEFAULT_ACCEPTANCE if role.verifies else ()
            try:
                steps.append(
                    Step(
                        id=str(item.get("id")),
                        role=role.name,
                        instruction=str(item.get("instruction") or ""),
                        depends_on=tuple(str(d) for d in item.get("depends_on") or ()),
                        allowed_tools=role.tools,
                        acceptance=acceptance,
                    )
                )
            except ValidationError as exc:
                raise ValueError(f"step {item.get('id')!r}: {exc.errors()[0]['msg']}") from None
        if not self._roles.get(steps[-1].role).verifies:
            raise ValueError("the last step must be done by the verifying role")
        try:
            return Plan(run_id=run_id, steps=tuple(steps), rationale=str(raw.get("rationale", ""))[:2000])
        except ValidationError as exc:
            raise ValueError(exc.errors()[0]["msg"]) from None
