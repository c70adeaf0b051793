"""Planning with a model: its plan is used when the rules accept it, repaired once, else the rules plan."""

from __future__ import annotations

import json

from agentrt.actors.testing import ScriptedModel
from agentrt.contracts import Goal
from agentrt.specialists.roles import RoleCatalog
from agentrt.supervisor.intake import normalise_goal
from agentrt.supervisor.model_planner import ModelPlanner
from agentrt.supervisor.planner import RulePlanner

GOAL = Goal(text="Prepare the weekly sales summary and draft the mail to the team", tenant="acme", user="ann")
GOOD = json.dumps(
    {
        "rationale": "gather, then write, then check",
        "steps": [
            {"id": "a", "role": "analyst", "instruction": "compare revenue week over week by region", "depends_on": []},
            {"id": "b", "role": "researcher", "instruction": "define revenue", "depends_on": []},
            {"id": "w", "role": "writer", "instruction": "draft the mail", "depends_on": ["a", "b"]},
            {"id": "q", "role": "qa", "instruction": "check the draft", "depends_on": ["a", "b", "w"]},
        ],
    }
)


def _planner(*replies: str) -> tuple[ModelPlanner, ScriptedModel]:
    roles = RoleCatalog()
    model = ScriptedModel(list(replies))
    return ModelPlanner(model, roles, RulePlanner(roles)), model


async def test_a_valid_model_plan_is_used_with_the_roles_tools_and_acceptance() -> None:
    planner, model = _planner(f"```json\n{GOOD}\n```")
    outcome = await planner.plan("run-1", GOAL, normalise_goal(GOAL))
    assert outcome.source == "model" and [s.id for s in outcome.plan.steps] == ["a", "b", "w", "q"]
    assert outcome.plan.step("a").allowed_tools == RoleCatalog().get("analyst").tools
    assert outcome.plan.step("q").acceptance
    model.assert_exhausted()


async def test_an_unusable_plan_is_sent_back_once_with_its_error() -> None:
    cyclic = json.dumps(
        {
            "steps": [
                {"id": "x", "role": "writer", "instruction": "i", "depends_on": ["q"]},
                {"id": "q", "role": "qa", "instruction": "c", "depends_on": ["x"]},
            ]
        }
    )
    planner, model = _planner(cyclic, GOOD)
    outcome = await planner.plan("run-1", GOAL, normalise_goal(GOAL))
    assert outcome.source == "model"
    assert "cycle" in model.requests[1].messages[-1].content
    model.assert_exhausted()


async def test_the_rules_take_over_when_the_model_keeps_failing() -> None:
    planner, model = _planner("sure, here is a plan: first analyse", '{"steps": [{"id": "z", "role": "wizard"}]}')
    outcome = await planner.plan("run-1", GOAL, normalise_goal(GOAL))
    assert outcome.source == "rules" and "unknown role 'wizard'" in outcome.note
    assert {s.role for s in outcome.plan.steps} >= {"analyst", "writer", "qa"}
    model.assert_exhausted()
