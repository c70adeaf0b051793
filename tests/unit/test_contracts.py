"""Contracts are frozen, strict and validated; errors pickle; public APIs are declared."""

from __future__ import annotations

import importlib
import inspect
import pickle
from datetime import datetime, timedelta, timezone

import pytest
from pydantic import ValidationError

import agentrt.contracts as contracts
import agentrt.contracts.errors as errors
from agentrt.contracts import Goal, Plan, Step, TaskResult, TaskStatus

PACKAGES = [
    "agentrt",
    "agentrt.contracts",
    "agentrt.actors",
    "agentrt.memory",
    "agentrt.specialists",
    "agentrt.supervisor",
    "agentrt.cluster",
]


@pytest.mark.parametrize("name", PACKAGES)
def test_package_exports_a_sorted_public_api(name: str) -> None:
    module = importlib.import_module(name)
    exported = list(module.__all__)
    assert exported == sorted(exported)
    missing = [n for n in exported if not hasattr(module, n)]
    assert missing == []


ERROR_TYPES = [obj for _, obj in inspect.getmembers(errors, inspect.isclass) if issubclass(obj, errors.AgentRTError)]


@pytest.mark.parametrize("error_type", ERROR_TYPES, ids=lambda t: t.__name__)
def test_every_error_round_trips_through_pickle(error_type: type[errors.AgentRTError]) -> None:
    error = error_type("something broke", tool="fetch", field="x.y", transient=True)
    back = pickle.loads(pickle.dumps(error))
    assert type(back) is error_type
    assert str(back) == "something broke"
    assert back.details == {"tool": "fetch", "field": "x.y", "transient": True}


def test_error_tree_separates_caller_mistakes_from_run_failures() -> None:
    assert issubclass(errors.ContractError, errors.UsageError)
    assert issubclass(errors.MemoryAccessDenied, errors.RunError)
    assert not issubclass(errors.ToolTimeout, errors.UsageError)
    assert all(issubclass(t, errors.AgentRTError) for t in ERROR_TYPES)


def test_contracts_are_frozen_and_forbid_extra_fields() -> None:
    goal = Goal(text="prepare the weekly sales summary", tenant="acme", user="ann")
    with pytest.raises(ValidationError):
        goal.text = "other"  # type: ignore[misc]
    with pytest.raises(ValidationError, match="extra"):
        Goal(text="prepare the weekly sales summary", tenant="acme", user="ann", admin=True)  # type: ignore[call-arg]


def test_timestamps_must_be_aware_and_are_normalised_to_utc() -> None:
    with pytest.raises(ValidationError):
        Goal(text="prepare it", tenant="acme", user="ann", created_at=datetime(2026, 1, 1))
    local = datetime(2026, 1, 1, 12, tzinfo=timezone(timedelta(hours=2)))
    goal = Goal(text="prepare it", tenant="acme", user="ann", created_at=local)
    assert goal.created_at.utcoffset() == timedelta(0) and goal.created_at.hour == 10


def test_ids_reject_path_tricks_and_control_characters() -> None:
    for bad in ["../other", "a/b", "", "x\n", "a" * 200]:
        with pytest.raises(ValidationError):
            Goal(text="prepare it", tenant=bad, user="ann")


def test_plan_rejects_cycles_unknown_dependencies_and_duplicate_ids() -> None:
    a = Step(id="a", role="analyst", instruction="x", depends_on=("b",))
    b = Step(id="b", role="analyst", instruction="y", depends_on=("a",))
    with pytest.raises(ValidationError, match="cycle"):
        Plan(run_id="r1", steps=(a, b))
    with pytest.raises(ValidationError, match="unknown"):
        Plan(run_id="r1", steps=(Step(id="a", role="w", instruction="x", depends_on=("z",)),))
    with pytest.raises(ValidationError, match="unique"):
        Plan(run_id="r1", steps=(Step(id="a", role="w", instruction="x"), Step(id="a", role="w", instruction="y")))


def test_blank_goal_is_rejected() -> None:
    with pytest.raises(ValidationError):
        Goal(text="   ", tenant="acme", user="ann")


def test_message_union_covers_every_exported_contract() -> None:
    exported = [getattr(contracts, n) for n in contracts.__all__]
    kinds = {
        t for t in exported if isinstance(t, type) and issubclass(t, contracts.Contract) and t is not contracts.Contract
    }
    assert kinds == set(contracts.MESSAGE_TYPES)


def test_task_failure_is_a_value() -> None:
    result = TaskResult(run_id="r1", step_id="s1", status=TaskStatus.FAILED, role="analyst")
    assert result.status is TaskStatus.FAILED and result.error is None
