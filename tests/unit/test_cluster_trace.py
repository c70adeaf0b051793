"""A trace exported as JSON lines reads back as the same events."""

from __future__ import annotations

from pathlib import Path

import pytest

from agentrt.cluster.trace import export_trace, read_trace
from agentrt.contracts import ContractError, ErrorInfo, RunEvent


def _events() -> list[RunEvent]:
    return [
        RunEvent(run_id="run-1", type="run_state", seq=0, data={"from": None, "to": "intake"}),
        RunEvent(run_id="run-1", type="step_finished", seq=1, step_id="s1", tokens=15, latency_s=0.2,
                 data={"role": "analyst", "status": "failed"}, error=ErrorInfo(type="ToolError", message="boom")),
    ]


def test_exported_trace_reads_back_equal_one_event_per_line(tmp_path: Path) -> None:
    target = tmp_path / "run-1.jsonl"
    events = _events()
    assert export_trace(events, target) == 2
    assert len(target.read_text(encoding="utf-8").splitlines()) == 2
    assert read_trace(target) == events
    assert [p.name for p in tmp_path.iterdir()] == ["run-1.jsonl"]


def test_a_malformed_line_is_reported_with_its_number(tmp_path: Path) -> None:
    target = tmp_path / "bad.jsonl"
    target.write_text(_events()[0].model_dump_json() + '\n{"kind": "run_event"}\n', encoding="utf-8")
    with pytest.raises(ContractError, match=r"bad.jsonl:2: not a run event"):
        read_trace(target)
