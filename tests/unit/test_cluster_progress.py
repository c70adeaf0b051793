"""Progress of a run: plain lines off a terminal, a block redrawn in place on one."""

from __future__ import annotations

import io

from agentrt.cluster.progress import LineProgress, TerminalProgress, progress_for
from agentrt.contracts import ErrorInfo, RunEvent

RUN = "run-7"


def _events() -> list[RunEvent]:
    plan = {"version": 1, "steps": [{"id": "s1", "role": "analyst", "depends_on": []},
                                    {"id": "s2", "role": "writer", "depends_on": ["s1"]}]}
    return [
        RunEvent(run_id=RUN, type="run_state", seq=0, data={"from": None, "to": "intake"}),
        RunEvent(run_id=RUN, type="plan", seq=1, data=plan),
        RunEvent(run_id=RUN, type="model_call", seq=2, step_id="s1", data={"model": "offline"}),
        RunEvent(run_id=RUN, type="step_started", seq=3, step_id="s1", data={"role": "analyst"}),
        RunEvent(run_id=RUN, type="step_finished", seq=4, step_id="s1", tokens=15,
                 data={"role": "analyst", "status": "succeeded"}),
        RunEvent(run_id=RUN, type="step_finished", seq=5, step_id="s2", data={"role": "writer", "status": "failed"},
                 error=ErrorInfo(type="ToolError", message="draft tool crashed")),
        RunEvent(run_id=RUN, type="approval_requested", seq=6, step_id="s2",
                 data={"id": "apr-1", "tool": "send_email"}),
        RunEvent(run_id=RUN, type="memory", seq=7, data={"stored": ["rec-1", "rec-2"]}),
    ]


class Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


def test_plain_lines_describe_plan_steps_and_approvals_and_skip_model_calls() -> None:
    out = io.StringIO()
    view = LineProgress(out, RUN)
    for event in _events():
        view.show(event)
    assert out.getvalue().splitlines() == [
        "[run] new -> intake",
        "[plan] v1: s1 analyst; s2 writer after s1",
        "[step s1] analyst started",
        "[step s1] analyst succeeded, 15 tokens",
        "[step s2] writer failed: draft tool crashed",
        "[approval] send_email waits for approval apr-1: agentrt approve apr-1 (or --reject)",
        "[memory] stored=2 items",
    ]


def test_terminal_block_is_redrawn_in_place_with_one_line_per_step() -> None:
    out = Terminal()
    view = progress_for(out, RUN)
    assert isinstance(view, TerminalProgress)
    for event in _events():
        view.show(event)
    text = out.getvalue()
    last_block = text.rsplit("\x1b[J", 1)[-1].splitlines()
    assert last_block[0] == f"run {RUN}  intake  1/2 steps done  15 tokens"
    assert last_block[1].split() == ["+", "s1", "analyst", "succeeded"]
    assert last_block[2].split() == ["x", "s2", "writer", "failed"]
    assert "agentrt approve apr-1" in last_block[3]
    assert text.count("\x1b[J") == len(_events()) - 1


def test_a_pipe_gets_plain_lines() -> None:
    assert isinstance(progress_for(io.StringIO(), RUN), LineProgress)
