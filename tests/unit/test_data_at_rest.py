"""Data at rest: sealed checkpoints, shredded keys, retention, redacted traces and the output gate."""

from __future__ import annotations

import sqlite3
from collections.abc import AsyncIterator
from datetime import timedelta
from pathlib import Path

import pytest

from agentrt.actors._trace import StepTrace
from agentrt.actors.offline import OfflineModel
from agentrt.actors.sealing import RunVault, open_checkpoint
from agentrt.contracts import (
    Artifact,
    Attachment,
    ConfigError,
    ErrorInfo,
    Goal,
    RunEvent,
    RunQuery,
    RunState,
    RunStatus,
    utcnow,
)
from agentrt.specialists.factory import build_specialist, tool_catalog
from agentrt.specialists.roles import RoleCatalog
from agentrt.supervisor.checkpoints import SQLiteRunStore
from agentrt.supervisor.config import SupervisorConfig
from agentrt.supervisor.local import LocalReplicaSource
from agentrt.supervisor.output import FilterVerdict, OutputGuard, load_output_filter
from agentrt.supervisor.recorder import Recorder
from agentrt.supervisor.service import SupervisorService
from tests.e2e.conftest import weekly_sales_goal

EMAIL, CARD, KEY = "dana.whitfield@example.org", "4111 1111 1111 1111", "sk-live0123456789abcdefABCDEF"
RAW = (EMAIL, CARD, KEY)


def _secret_goal(tenant: str = "acme") -> Goal:
    text = f"Refund the customer {EMAIL}, card {CARD}; our key is {KEY}"
    return Goal(text=text, tenant=tenant, user="u", attachments=(Attachment(name="note.txt", content=text),))


def _files_holding(root: Path, values: tuple[str, ...]) -> dict[str, list[str]]:
    found: dict[str, list[str]] = {}
    for path in root.rglob("*"):
        if path.is_file():
            data = path.read_bytes()
            hits = [v for v in values if v.encode() in data]
            if hits:
                found[str(path.relative_to(root))] = hits
    return found


async def test_an_unfinished_run_is_sealed_on_disk_and_whole_when_read_back(tmp_path: Path) -> None:
    store = SQLiteRunStore(tmp_path / "runs.sqlite")
    state = RunState(run_id="r1", goal=_secret_goal(), status=RunStatus.EXECUTE)
    await store.save_durable(state)
    assert _files_holding(tmp_path, RAW) == {}
    store.close()

    reopened = SQLiteRunStore(tmp_path / "runs.sqlite")
    assert reopened.load("r1") == state  # the raw values the run needs came back from its sealed blob
    assert [s.goal.text for s in reopened.unfinished()] == [state.goal.text]
    reopened.close()


async def test_a_finished_run_keeps_only_the_redacted_form_and_its_key_is_shredded(tmp_path: Path) -> None:
    store = SQLiteRunStore(tmp_path / "runs.sqlite")
    state = RunState(run_id="r1", goal=_secret_goal(), status=RunStatus.EXECUTE)
    await store.save_durable(state)
    with sqlite3.connect(tmp_path / "runs.sqlite") as live, sqlite3.connect(tmp_path / "copy.sqlite") as copy:
        live.backup(copy)  # a backup taken while the run was going
    keys = list((tmp_path / "keys" / "runs").iterdir())
    assert len(keys) == 1 and keys[0].stat().st_mode & 0o777 == 0o600
    await store.save_durable(state.model_copy(update={"status": RunStatus.DONE}))
    assert list((tmp_path / "keys" / "runs").iterdir()) == []
    store.close()

    reopened = SQLiteRunStore(tmp_path / "runs.sqlite")
    done = reopened.load("r1")
    assert done is not None and done.status == RunStatus.DONE
    assert EMAIL not in done.goal.text and "[REDACTED:EMAIL]" in done.goal.text
    assert "[REDACTED:SECRET]" in done.goal.attachments[0].content
    reopened.close()
    # The copy still has the sealed blob of the unfinished run, but its key is gone.
    with sqlite3.connect(tmp_path / "copy.sqlite") as db:
        data, sealed = db.execute("SELECT state, sealed FROM runs").fetchone()
    assert sealed is not None
    old = open_checkpoint("r1", data, sealed, RunVault(tmp_path / "keys" / "runs"))
    assert isinstance(old, RunState) and EMAIL not in old.goal.text


def test_a_sealed_blob_opens_only_for_its_own_run(tmp_path: Path) -> None:
    vault = RunVault(tmp_path / "keys")
    blob = vault.seal("r1", b"raw")
    assert vault.open("r1", blob) == b"raw"
    vault.seal("r2", b"other")
    assert vault.open("r2", blob) is None  # another run's key, and the run id is bound in
    assert vault.open("r1", blob[:-1] + bytes([blob[-1] ^ 1])) is None  # tampered
    assert (tmp_path / "keys").stat().st_mode & 0o777 == 0o700


def test_a_store_written_before_sealing_is_migrated(tmp_path: Path) -> None:
    path = tmp_path / "runs.sqlite"
    with sqlite3.connect(path) as db:
        db.execute(
            "CREATE TABLE runs (run_id TEXT PRIMARY KEY, tenant TEXT NOT NULL, status TEXT NOT NULL,"
            " updated_at TEXT NOT NULL, state BLOB NOT NULL)"
        )
    store = SQLiteRunStore(path)
    store.save(RunState(run_id="r1", goal=Goal(text="weekly sales", tenant="acme", user="u")))
    store.close()
    assert SQLiteRunStore(path).load("r1") is not None


async def test_retention_deletes_old_finished_runs_and_their_traces_only(tmp_path: Path) -> None:
    store = SQLiteRunStore(tmp_path / "runs.sqlite")
    old = utcnow() - timedelta(days=40)
    goal = Goal(text="weekly sales", tenant="acme", user="u")
    store.save(RunState(run_id="old-done", goal=goal, status=RunStatus.DONE, updated_at=old))
    store.save(RunState(run_id="old-waiting", goal=goal, status=RunStatus.WAITING_APPROVAL, updated_at=old))
    store.save(RunState(run_id="new-done", goal=goal, status=RunStatus.DONE))
    store.append_event(RunEvent(run_id="old-done", type="note"))
    store.append_event(RunEvent(run_id="new-done", type="note"))
    await store.flush()
    assert store.expire(utcnow() - timedelta(days=30)) == 1
    assert store.load("old-done") is None and store.events("old-done") == []
    assert store.load("old-waiting") is not None  # a run still waiting for a person is kept
    assert store.load("new-done") is not None and len(store.events("new-done")) == 1
    store.close()
    assert SQLiteRunStore(tmp_path / "runs.sqlite").load("old-done") is None


async def test_event_error_texts_are_redacted_before_they_are_stored(tmp_path: Path) -> None:
    store = SQLiteRunStore(tmp_path / "runs.sqlite")
    recorder = Recorder(store)
    error = ErrorInfo(type="ToolError", message=f"no account for {EMAIL} with card {CARD}")
    recorder.emit("r1", "step_finished", data={"note": KEY}, error=error)

    class ToRecorder:  # a specialist's trace, as it reaches the supervisor
        async def emit(self, event: RunEvent) -> None:
            recorder.record(event)

    await StepTrace(ToRecorder(), "r1", "s1", "analyst-0").emit("tool_call", {"tool": "t"}, error=error)
    await store.flush()
    stored = store.events("r1")
    assert all(e.error is not None and EMAIL not in e.error.message for e in stored)
    assert "[REDACTED:CARD]" in stored[0].error.message  # type: ignore[union-attr]
    store.close()
    assert _files_holding(tmp_path, RAW) == {}


def test_the_output_gate_redacts_then_filters() -> None:
    goal = Goal(text="summarise the complaint", tenant="acme", user="u")
    text = f"Customer {EMAIL} paid with {CARD}."
    deliverable = Artifact(name="summary", text=text, data={"contact": EMAIL})
    guarded = OutputGuard().apply(goal, text, (deliverable,))
    assert EMAIL not in guarded.text and CARD not in guarded.text and guarded.redactions == 5
    assert guarded.artifacts[0].data == {"contact": "[REDACTED:EMAIL]"}
    assert OutputGuard(redact_output=False).apply(goal, text, ()).text == text

    def shout(text: str, goal: Goal) -> FilterVerdict:
        return FilterVerdict("replace", text=text.upper(), reason="house style")

    assert OutputGuard(content_filter=shout).apply(goal, "ok", ()).text == "OK"

    def broken(text: str, goal: Goal) -> FilterVerdict:
        raise RuntimeError("filter down")

    verdict = OutputGuard(content_filter=broken).apply(goal, "ok", ()).verdict
    assert verdict.action == "block" and "filter down" in verdict.reason  # a failing filter fails closed


def test_output_filters_are_loaded_by_name() -> None:
    assert load_output_filter("tests.unit.test_data_at_rest:refuse_numbers") is refuse_numbers
    for bad in ("no_colon", "tests.unit.test_data_at_rest:missing", "no.such.module:f"):
        with pytest.raises(ConfigError):
            load_output_filter(bad)


def refuse_numbers(text: str, goal: Goal) -> FilterVerdict:
    """A content filter for the tests: no output with a revenue figure leaves the runtime."""
    return (
        FilterVerdict("block", reason="revenue figures are confidential")
        if "revenue" in text.lower()
        else FilterVerdict()
    )


@pytest.fixture
async def filtered(tmp_path: Path) -> AsyncIterator[SupervisorService]:
    roles = RoleCatalog()
    catalog = tool_catalog(tmp_path / "outbox")
    source = LocalReplicaSource(lambda role, i: build_specialist(roles.get(role), OfflineModel(), catalog=catalog))
    config = SupervisorConfig(output_filter="tests.unit.test_data_at_rest:refuse_numbers")
    service = SupervisorService(tmp_path / "runs.sqlite", source, roles=roles, config=config)
    yield service
    await service.wait_idle()
    await service.stop()


async def test_a_blocked_output_fails_the_run_with_the_filter_reason(filtered: SupervisorService) -> None:
    goal = weekly_sales_goal()
    summary = await filtered.submit(goal)
    await filtered.wait_idle()
    state = await filtered.status(RunQuery(tenant=goal.tenant, run_id=summary.run_id))
    assert state.status == RunStatus.FAILED, state.output
    assert state.error == "output withheld by the content filter: revenue figures are confidential"
    assert state.output == "" and state.artifacts == ()
