"""Checkpoints and traces survive a reopened store; a run of another tenant stays invisible."""

from __future__ import annotations

from pathlib import Path

from agentrt.contracts import Goal, RunEvent, RunState, RunStatus
from agentrt.supervisor.checkpoints import SQLiteRunStore


def _state(run_id: str, tenant: str, status: RunStatus) -> RunState:
    return RunState(run_id=run_id, goal=Goal(text="weekly summary please", tenant=tenant, user="u"), status=status)


def test_checkpoints_and_events_survive_reopening(tmp_path: Path) -> None:
    store = SQLiteRunStore(tmp_path / "runs.sqlite")
    running = _state("r1", "acme", RunStatus.EXECUTE)
    store.save(running)
    store.save(_state("r2", "acme", RunStatus.DONE))
    first = store.append_event(RunEvent(run_id="r1", type="note", data={"n": 1}))
    second = store.append_event(RunEvent(run_id="r1", type="note", data={"n": 2}))
    store.close()

    reopened = SQLiteRunStore(tmp_path / "runs.sqlite")
    assert [s.run_id for s in reopened.unfinished()] == ["r1"]
    assert reopened.load("r1") == running
    assert (first.seq, second.seq) == (0, 1)
    assert [e.data["n"] for e in reopened.events("r1", after_seq=0)] == [2]


def test_runs_are_listed_per_tenant(tmp_path: Path) -> None:
    store = SQLiteRunStore(tmp_path / "runs.sqlite")
    store.save(_state("a1", "acme", RunStatus.DONE))
    store.save(_state("g1", "globex", RunStatus.DONE))
    assert [s.run_id for s in store.of_tenant("acme")] == ["a1"]
    assert store.load("missing") is None
