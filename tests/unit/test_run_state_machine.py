"""One run state machine: the table is enforced where runs move, and the documented diagram is the table's."""

from __future__ import annotations

import itertools
from pathlib import Path

import pytest

from agentrt.contracts import (
    RUN_TRANSITIONS,
    TERMINAL_STATUSES,
    Goal,
    IllegalTransition,
    RunState,
    RunStatus,
    check_transition,
    state_diagram,
)
from agentrt.supervisor.checkpoints import SQLiteRunStore
from agentrt.supervisor.recorder import Recorder

DOC = Path(__file__).resolve().parent.parent.parent / "docs" / "run-states.md"
PAIRS = list(itertools.product(RunStatus, RunStatus))


@pytest.mark.parametrize(("source", "target"), PAIRS, ids=[f"{a.value}->{b.value}" for a, b in PAIRS])
def test_every_transition_outside_the_table_raises_in_the_recorder(
    source: RunStatus, target: RunStatus, tmp_path: Path
) -> None:
    recorder = Recorder(SQLiteRunStore(tmp_path / "runs.sqlite"))
    state = RunState(run_id="run-1", goal=Goal(text="prepare it", tenant="acme", user="ann"), status=source)
    if source == target or target in RUN_TRANSITIONS[source]:
        assert recorder.move(state, target, reason="test").status is target
        return
    with pytest.raises(IllegalTransition) as info:
        recorder.move(state, target, reason="test")
    assert info.value.details == {"source": source.value, "target": target.value}
    assert recorder.store.load("run-1") is None  # nothing was checkpointed


def test_terminal_states_lead_nowhere_and_every_live_state_can_fail_or_be_cancelled() -> None:
    assert set(RUN_TRANSITIONS) == set(RunStatus)
    for status in RunStatus:
        if status in TERMINAL_STATUSES:
            assert RUN_TRANSITIONS[status] == frozenset()
        else:
            assert {RunStatus.FAILED, RunStatus.CANCELLED} <= RUN_TRANSITIONS[status]
    with pytest.raises(IllegalTransition):
        check_transition(RunStatus.DONE, RunStatus.EXECUTE)


def test_the_documented_diagram_is_the_one_generated_from_the_table() -> None:
    diagram = state_diagram()
    assert f"```mermaid\n{diagram}```" in DOC.read_text()
    edges = {tuple(line.strip().split(" --> ")) for line in diagram.splitlines()[1:]}
    table = {(a.value, b.value) for a, targets in RUN_TRANSITIONS.items() for b in targets}
    assert {e for e in edges if "[*]" not in e} == table
