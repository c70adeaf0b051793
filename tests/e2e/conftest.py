"""End-to-end fixtures: the whole runtime, offline and over the OpenAI protocol.

The examples run on the runtime built in this process (``connect(config, local=True)``: the same
parts, no Ray); the fault tests, which kill actors, run it on the shared Ray cluster.
"""

from __future__ import annotations

import asyncio
import json
import threading
from collections import Counter
from collections.abc import Callable, Iterator, Mapping
from pathlib import Path
from typing import Any

import pytest
from pydantic import SecretStr

from agentrt.actors.offline import OfflineModel
from agentrt.actors.openai_backend import OpenAIProtocolServer, ServerReply, responder_for
from agentrt.cluster.local_runtime import LocalRuntime
from agentrt.cluster.runtime import Runtime, RuntimeConfig, connect
from agentrt.cluster.settings import ModelSettings
from agentrt.contracts import (
    ActorLost,
    Attachment,
    EventsQuery,
    Goal,
    RunEvent,
    RunQuery,
    RunState,
    SupervisorRef,
)
from agentrt.supervisor.config import SupervisorConfig

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"
AnyRuntime = Runtime | LocalRuntime

RECORDINGS = Path(__file__).resolve().parent / "recordings"
_MEDIA = {".csv": "text/csv", ".md": "text/markdown", ".log": "text/x-log", ".json": "application/json"}

WEEKLY_SALES = "Prepare the weekly sales summary and draft the mail to the team"
INCIDENT = (
    "Investigate the checkout incident in app.log using runbook.md: when did it start, which service failed and "
    "what was the root cause? Write an incident summary with impact, timeline, root cause, evidence and "
    "follow-up actions."
)


def attach(*paths: Path) -> tuple[Attachment, ...]:
    """The files as inline attachments."""
    return tuple(
        Attachment(name=p.name, media_type=_MEDIA.get(p.suffix, "text/plain"), content=p.read_text()) for p in paths
    )


def weekly_sales_goal(tenant: str = "acme") -> Goal:
    """The weekly sales example."""
    folder = EXAMPLES / "weekly_sales"
    return Goal(
        text=WEEKLY_SALES, tenant=tenant, user="ann", attachments=attach(folder / "sales.csv", folder / "metrics.md")
    )


def incident_goal(tenant: str = "acme") -> Goal:
    """The incident example."""
    folder = EXAMPLES / "incident"
    return Goal(text=INCIDENT, tenant=tenant, user="ann", attachments=attach(folder / "app.log", folder / "runbook.md"))


def ticket_goal(ticket_id: str, tenant: str = "acme") -> Goal:
    """One ticket of the triage example, for the ticket-triage workflow."""
    folder = EXAMPLES / "triage"
    ticket = next(t for t in json.loads((folder / "tickets.json").read_text()) if t["id"] == ticket_id)
    payload = Attachment(name="ticket.json", media_type="application/json", content=json.dumps(ticket))
    return Goal(
        text=f"{ticket['subject']}. {ticket['body']}",
        tenant=tenant,
        user="ann",
        workflow="ticket-triage",
        attachments=(payload, *attach(folder / "routing.md")),
    )


async def call_until_up(runtime: AnyRuntime, method: Callable[..., Any], request: Any, deadline_s: float = 60.0) -> Any:
    """Call a supervisor port method (``SupervisorRef.submit``, ...), waiting out a restart of its actor."""
    loop = asyncio.get_running_loop()
    end = loop.time() + deadline_s
    while True:
        try:
            return await getattr(runtime.supervisor, method.__name__)(request)
        except ActorLost:
            if loop.time() > end:
                raise
            await asyncio.sleep(0.3)


async def finish(runtime: AnyRuntime, goal: Goal, timeout_s: float = 120.0) -> RunState:
    """Submit a goal and wait until its run ends or waits for a person."""
    summary = await call_until_up(runtime, SupervisorRef.submit, goal)
    return await wait_for(runtime, goal.tenant, summary.run_id, timeout_s)


async def wait_for(runtime: AnyRuntime, tenant: str, run_id: str, timeout_s: float = 120.0) -> RunState:
    """Poll a run until it ends or waits for a person."""
    loop = asyncio.get_running_loop()
    end = loop.time() + timeout_s
    while True:
        state = await call_until_up(runtime, SupervisorRef.status, RunQuery(tenant=tenant, run_id=run_id))
        if state.terminal or state.status.value.startswith("waiting"):
            return state
        if loop.time() > end:
            raise TimeoutError(f"run {run_id} still {state.status} after {timeout_s}s")
        await asyncio.sleep(0.1)


async def trace(runtime: AnyRuntime, state: RunState) -> list[RunEvent]:
    """A run's whole trace."""
    query = EventsQuery(tenant=state.goal.tenant, run_id=state.run_id)
    page = await call_until_up(runtime, SupervisorRef.events, query)
    return list(page.events)


def _config(tmp: Path, namespace: str, model: ModelSettings) -> RuntimeConfig:
    return RuntimeConfig(
        data_dir=tmp,
        namespace=namespace,
        model=model,
        # The endpoints of these tests serve the offline model: plans are worded for it.
        supervisor=SupervisorConfig(instructions="offline" if model.kind == "openai" else "auto"),
        # Detached: replicas outlive a killed supervisor (the fault tests kill it); stop_actors ends them.
        detached=True,
        roles_file=EXAMPLES / "triage" / "roles.yaml",
        workflows=(EXAMPLES / "triage" / "workflow.yaml",),
        include_dashboard=False,
    )


@pytest.fixture(scope="session")
def offline_runtime(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LocalRuntime]:
    """The runtime with the offline model, in this process."""
    runtime = connect(_config(tmp_path_factory.mktemp("offline"), "e2e-offline", ModelSettings()), local=True)
    assert isinstance(runtime, LocalRuntime)
    yield runtime
    runtime.shutdown()


class ModelEndpoint:
    """What the local OpenAI-protocol server answers.

    The offline model, with per-role delays, scripted first answers and recorded conversations layered on top.
    """

    def __init__(self) -> None:
        self.offline = responder_for(OfflineModel())
        self.delays: dict[str, float] = {}
        self.first_answers: dict[str, list[str]] = {}
        self.replay: OpenAIProtocolServer | None = None
        self.calls: Counter[str] = Counter()
        self._lock = threading.Lock()

    @staticmethod
    def role_of(body: Mapping[str, Any]) -> str:
        system = next((m.get("content") or "" for m in body.get("messages", ()) if m.get("role") == "system"), "")
        for role in ("researcher", "analyst", "writer", "qa", "billing"):
            if f"You are {role}" in system or f"You are the {role}" in system or f"You are {role.upper()}" in system:
                return role
        return "other"

    def __call__(self, body: Mapping[str, Any]) -> ServerReply:
        role = self.role_of(body)
        with self._lock:
            self.calls[role] += 1
            scripted = self.first_answers.get(role)
            answer = scripted.pop(0) if scripted else None
        if self.replay is not None:
            reply = self.replay.next_reply(body)
            return reply if reply is not None else ServerReply.failure(500, "no recorded reply for this request")
        reply = ServerReply.answer(answer) if answer is not None else self.offline(body)
        delay = self.delays.get(role, 0.0)
        return reply.delayed(delay) if delay else reply


@pytest.fixture(scope="session")
def model_endpoint() -> Iterator[tuple[OpenAIProtocolServer, ModelEndpoint]]:
    """A local OpenAI-protocol server answering through a :class:`ModelEndpoint`."""
    endpoint = ModelEndpoint()
    with OpenAIProtocolServer(responder=endpoint, model="agentrt-test") as server:
        yield server, endpoint


@pytest.fixture(scope="session")
def openai_runtime(
    ray_cluster: None,
    model_endpoint: tuple[OpenAIProtocolServer, ModelEndpoint],
    tmp_path_factory: pytest.TempPathFactory,
) -> Iterator[Runtime]:
    """The runtime on Ray whose specialists use the OpenAI backend against the local server (fault tests)."""
    runtime = connect(_config(tmp_path_factory.mktemp("openai"), "e2e-openai", _endpoint_model(model_endpoint[0])))
    assert isinstance(runtime, Runtime)
    yield runtime
    runtime.stop_actors()


@pytest.fixture(scope="session")
def openai_local_runtime(
    model_endpoint: tuple[OpenAIProtocolServer, ModelEndpoint],
    tmp_path_factory: pytest.TempPathFactory,
) -> Iterator[LocalRuntime]:
    """The same runtime in this process: the OpenAI backend over HTTP, no Ray."""
    model = _endpoint_model(model_endpoint[0])
    runtime = connect(_config(tmp_path_factory.mktemp("openai-local"), "e2e-openai-local", model), local=True)
    assert isinstance(runtime, LocalRuntime)
    yield runtime
    runtime.shutdown()


def _endpoint_model(server: OpenAIProtocolServer) -> ModelSettings:
    return ModelSettings(kind="openai", base_url=server.base_url, api_key=SecretStr("test-key"), model="agentrt-test")
