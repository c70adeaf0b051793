"""The run store: group commit, durability on flush, read-your-writes, reopening, tenants."""

from __future__ import annotations

import asyncio
import sqlite3
from pathlib import Path

import pytest

from agentrt.contracts import Goal, RunEvent, RunState, RunStatus, decode_as
from agentrt.supervisor.checkpoints import SQLiteRunStore


def _state(run_id: str, tenant: str, status: RunStatus) -> RunState:
    return RunState(run_id=run_id, goal=Goal(text="weekly summary please", tenant=tenant, user="u"), status=status)


def _on_disk(path: Path, run_id: str) -> RunState | None:
    """Read a checkpoint through a connection of its own, as another process would."""
    with sqlite3.connect(path) as db:
        row = db.execute("SELECT state FROM runs WHERE run_id = ?", (run_id,)).fetchone()
    return None if row is None else decode_as(row[0], RunState)


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
    third = reopened.append_event(RunEvent(run_id="r1", type="note", data={"n": 3}))
    assert third.seq == 2  # numbering goes on from what the file holds
    reopened.close()


def test_runs_are_listed_per_tenant(tmp_path: Path) -> None:
    store = SQLiteRunStore(tmp_path / "runs.sqlite")
    store.save(_state("a1", "acme", RunStatus.DONE))
    store.save(_state("g1", "globex", RunStatus.DONE))
    assert [s.run_id for s in store.of_tenant("acme")] == ["a1"]
    assert store.load("missing") is None
    store.close()


def test_group_commit_persists_every_run_and_event_in_order(tmp_path: Path) -> None:
    store = SQLiteRunStore(tmp_path / "runs.sqlite")
    runs = [f"r{i}" for i in range(40)]
    for n in range(5):  # interleaved: each run's events and checkpoints arrive among the others'
        for run_id in runs:
            status = RunStatus.DONE if n == 4 and run_id.endswith("0") else RunStatus.EXECUTE
            store.save(_state(run_id, "acme", status).model_copy(update={"replans": n}))
            store.append_event(RunEvent(run_id=run_id, type="note", data={"n": n}))
    assert store.load("r3") is not None and store.load("r3").replans == 4  # type: ignore[union-attr]
    assert [e.data["n"] for e in store.events("r3")] == [0, 1, 2, 3, 4]  # before any commit is awaited
    store.close()

    reopened = SQLiteRunStore(tmp_path / "runs.sqlite")
    assert sorted(s.run_id for s in reopened.all()) == sorted(runs)
    assert all(s.replans == 4 for s in reopened.all())
    assert {s.run_id for s in reopened.unfinished()} == {r for r in runs if not r.endswith("0")}
    for run_id in runs:
        events = reopened.events(run_id)
        assert [e.seq for e in events] == [0, 1, 2, 3, 4]
        assert [e.data["n"] for e in events] == [0, 1, 2, 3, 4]
    reopened.close()


async def test_a_durable_save_is_on_disk_when_its_await_returns(tmp_path: Path) -> None:
    path = tmp_path / "runs.sqlite"
    store = SQLiteRunStore(path, commit_interval_s=60.0)  # nothing but the awaited flush commits it
    state = _state("r1", "acme", RunStatus.PLAN)
    await store.save_durable(state)
    assert _on_disk(path, "r1") == state
    moved = state.model_copy(update={"status": RunStatus.EXECUTE})
    store.save(moved)
    assert store.load("r1") is moved  # an active run is answered from memory, not decoded from the file
    event = store.append_event(RunEvent(run_id="r1", type="note", data={"n": 1}))
    await store.flush()
    assert _on_disk(path, "r1") == moved
    with sqlite3.connect(path) as db:
        assert db.execute("SELECT seq FROM events WHERE run_id = 'r1'").fetchall() == [(event.seq,)]
    store.close()


async def test_many_runs_writing_at_once_share_few_transactions(tmp_path: Path) -> None:
    store = SQLiteRunStore(tmp_path / "runs.sqlite")

    async def run(i: int) -> None:
        store.save(_state(f"r{i}", "acme", RunStatus.PLAN))
        for n in range(3):
            store.append_event(RunEvent(run_id=f"r{i}", type="note", data={"n": n}))
        await store.save_durable(_state(f"r{i}", "acme", RunStatus.EXECUTE))

    await asyncio.gather(*(run(i) for i in range(50)))
    stats = store.stats()
    writes = stats.saves + stats.appends
    assert writes == 250 and stats.events_written == 150
    assert stats.commits < writes / 2
    assert stats.states_written <= stats.saves  # a run saved twice before a commit is written once
    assert all(_on_disk(store.path, f"r{i}").status == RunStatus.EXECUTE for i in range(50))  # type: ignore[union-attr]
    store.close()


def test_a_closed_store_refuses_writes_and_a_second_close_is_harmless(tmp_path: Path) -> None:
    store = SQLiteRunStore(tmp_path / "runs.sqlite")
    store.save(_state("r1", "acme", RunStatus.PLAN))
    store.close()
    store.close()
    with pytest.raises(RuntimeError, match="closed"):
        store.save(_state("r2", "acme", RunStatus.PLAN))
    assert _on_disk(tmp_path / "runs.sqlite", "r1") is not None
