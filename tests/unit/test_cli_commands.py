"""The agentrt command against a real supervisor in this process (canned specialists): output, exit codes, traces."""

from __future__ import annotations

import io
import json
from collections.abc import Iterator
from pathlib import Path

import pytest

from agentrt.actors.proxy import supervisor_proxy
from agentrt.cluster.cli import EXIT_FAILED, EXIT_OK, EXIT_USAGE, main
from agentrt.cluster.client import Client
from agentrt.cluster.demo import WEEKLY_SALES_FILES, weekly_sales_dir
from agentrt.cluster.testing import canned_supervisor_local
from agentrt.cluster.trace import read_trace
from agentrt.contracts import RunState, RunStatus

WEEKLY = "Prepare the weekly sales summary and draft the mail to the team"


@pytest.fixture(scope="module")
def client(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Client]:
    local = canned_supervisor_local(tmp_path_factory.mktemp("cli") / "runs.sqlite")
    with Client(tenant="acme", user="ann", supervisor=supervisor_proxy(local.client)) as c:
        yield c
    local.close()


def agentrt(client: Client, *argv: str) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    code = main(list(argv), client=client, out=out, err=err)
    return code, out.getvalue(), err.getvalue()


def test_run_prints_progress_lines_the_result_and_where_the_trace_is(client: Client, tmp_path: Path) -> None:
    csv = tmp_path / "sales.csv"
    csv.write_text("week,region,revenue\n2024-W11,North,10\n", encoding="utf-8")
    code, out, err = agentrt(client, "run", WEEKLY, "--data", str(csv))
    assert code == EXIT_OK, err
    lines = out.splitlines()
    assert any(line.startswith("[plan] v1: ") for line in lines)
    assert any(line.startswith("[step s1] ") and line.endswith("started") for line in lines)
    assert "[run] output -> done (result delivered)" in lines
    assert "Verified by QA: yes" in out
    run_id = err.split()[1]
    assert f"Trace: agentrt trace {run_id}" in out
    assert "\x1b[" not in out  # not a terminal: no cursor movement


def test_failed_run_exits_1_and_says_why(client: Client) -> None:
    code, _, err = agentrt(client, "run", f"{WEEKLY} #fail")
    assert code == EXIT_FAILED
    assert "failed" in err and "canned failure" in err


def test_run_with_json_prints_the_final_state_only(client: Client) -> None:
    code, out, _ = agentrt(client, "run", WEEKLY, "--json")
    state = RunState.model_validate_json(out)
    assert code == EXIT_OK and state.status == RunStatus.DONE


def test_usage_errors_exit_2(client: Client, tmp_path: Path) -> None:
    assert agentrt(client, "run", WEEKLY, "--data", str(tmp_path / "nope.csv"))[0] == EXIT_USAGE
    code, _, err = agentrt(client, "status", "run-does-not-exist")
    assert code == EXIT_USAGE and "no run run-does-not-exist" in err
    assert agentrt(client, "scale", "qa", "many")[0] == EXIT_USAGE
    assert agentrt(client, "run")[0] == EXIT_USAGE
    assert agentrt(client)[0] == EXIT_USAGE


def test_trace_export_writes_one_event_per_line_in_order(client: Client, tmp_path: Path) -> None:
    run_id = agentrt(client, "run", WEEKLY, "--detach")[1].strip()
    client.run(run_id).result(timeout=60)
    target = tmp_path / "trace.jsonl"
    code, _, err = agentrt(client, "trace", run_id, "--export", str(target))
    assert code == EXIT_OK and f"to {target}" in err
    exported = read_trace(target)
    assert exported == client.run(run_id).trace()
    assert all(json.loads(line)["run_id"] == run_id for line in target.read_text(encoding="utf-8").splitlines())
    code, out, _ = agentrt(client, "trace", run_id)
    assert [json.loads(line)["seq"] for line in out.splitlines()] == [e.seq for e in exported]


def test_approve_status_and_runs_commands_drive_a_held_run(client: Client) -> None:
    code, out, _ = agentrt(client, "run", f"{WEEKLY} #send", "--detach")
    run_id = out.strip()
    request_id = next(str(e.data["id"]) for e in client.run(run_id).events() if e.type == "approval_requested")
    code, out, _ = agentrt(client, "status", run_id)
    assert code == EXIT_OK and f"agentrt approve {request_id}" in out and "waiting_approval" in out
    code, out, _ = agentrt(client, "approve", request_id, "--reason", "fine")
    assert code == EXIT_OK and out.startswith(f"Approved {request_id}; run {run_id}")
    assert client.run(run_id).result(timeout=60).status == RunStatus.DONE
    code, out, _ = agentrt(client, "runs")
    assert any(line.startswith(run_id) and "done" in line for line in out.splitlines())
    code, out, _ = agentrt(client, "runs", "--json")
    assert run_id in {r["run_id"] for r in json.loads(out)}


def test_answer_and_scale_commands(client: Client) -> None:
    run_id = agentrt(client, "run", "do it now", "--detach")[1].strip()
    ask = next(e.data for e in client.run(run_id).events() if e.type == "clarification_requested")
    code, out, _ = agentrt(client, "answer", run_id, str(ask["id"]), "Draft a short note to the team")
    assert code == EXIT_OK and out.startswith(f"Answered {ask['id']}")
    assert client.run(run_id).result(timeout=60).status == RunStatus.DONE
    code, out, _ = agentrt(client, "scale", "writer", "2")
    assert code == EXIT_OK and out.startswith("writer: 2 replicas")


def test_demo_submits_the_weekly_sales_files_and_cross_checks_the_figures(client: Client) -> None:
    code, out, err = agentrt(client, "demo")
    assert code == EXIT_OK, err
    run_id = err.split()[1]
    state = client.run(run_id).status()
    folder = weekly_sales_dir()
    assert [a.name for a in state.goal.attachments] == list(WEEKLY_SALES_FILES)
    assert state.goal.attachments[0].content == (folder / "sales.csv").read_text(encoding="utf-8")
    # Canned specialists state no figures, so the independent check finds none of them.
    assert "Cross-check against sales.csv: 0/5 revenue figures of 2024-W12 stated" in out
