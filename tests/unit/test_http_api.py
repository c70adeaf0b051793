"""The HTTP API through its ASGI app against a real supervisor actor: keys, tenant isolation, SSE, webhooks."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import httpx2 as httpx
import pytest

from agentrt.actors.proxy import supervisor_proxy
from agentrt.cluster.http import ApiKey, HookSpec, HttpConfig, build_app, hash_api_key
from agentrt.cluster.testing import canned_supervisor_local
from agentrt.contracts import ConfigError, RunEvent, SupervisorRef

WEEKLY = "Prepare the weekly sales summary and draft the mail to the team"
ACME = {"Authorization": "Bearer acme-secret-key"}
BETA = {"Authorization": "Bearer beta-secret-key"}
CONFIG = HttpConfig(
    keys=(ApiKey(tenant="acme", user="ann", sha256=hash_api_key("acme-secret-key")),
          ApiKey(tenant="beta", user="bob", sha256=hash_api_key("beta-secret-key"))),
    hooks={"ticket": HookSpec(goal="Classify the incoming support ticket and draft a reply", text_field="subject")},
)


@pytest.fixture(scope="module")
def supervisor(tmp_path_factory: pytest.TempPathFactory) -> Iterator[SupervisorRef]:
    local = canned_supervisor_local(tmp_path_factory.mktemp("http") / "runs.sqlite")
    yield supervisor_proxy(local.client)
    local.close()


@pytest.fixture
async def http(supervisor: SupervisorRef) -> AsyncIterator[httpx.AsyncClient]:
    transport = httpx.ASGITransport(app=build_app(supervisor, CONFIG))
    async with httpx.AsyncClient(transport=transport, base_url="http://agentrt.test") as client:
        yield client


async def _wait_for(http: httpx.AsyncClient, run_id: str, status: str) -> dict[str, object]:
    while True:  # bounded by the test's own run; each poll is a real request
        state = (await http.get(f"/v1/runs/{run_id}", headers=ACME)).json()
        if state["status"] == status:
            return state
        assert state["status"] not in {"done", "failed", "cancelled"} - {status}, state["error"]
        await asyncio.sleep(0.05)


def _sse(text: str) -> list[tuple[str, str, str]]:
    frames = []
    for block in text.strip().split("\n\n"):
        fields = dict(line.split(": ", 1) for line in block.splitlines())
        frames.append((fields.get("id", ""), fields["event"], fields["data"]))
    return frames


async def test_requests_without_a_valid_key_are_refused(http: httpx.AsyncClient) -> None:
    for headers in ({}, {"Authorization": "Bearer wrong"}, {"Authorization": "Basic YWNtZTpzZWNyZXQ="},
                    {"Authorization": "Bearer " + hash_api_key("acme-secret-key")}):
        reply = await http.get("/v1/runs", headers=headers)
        assert reply.status_code == 401 and reply.headers["www-authenticate"] == "Bearer"


def test_only_digests_of_keys_are_kept(tmp_path: Path) -> None:
    assert "acme-secret-key" not in CONFIG.model_dump_json()
    assert CONFIG.authenticate("acme-secret-key") == CONFIG.keys[0]
    assert CONFIG.authenticate("acme-secret-ke") is None
    path = tmp_path / "http.json"
    path.write_text(CONFIG.model_dump_json(), encoding="utf-8")
    assert HttpConfig.from_file(path) == CONFIG
    path.write_text('{"keys": [{"tenant": "acme", "sha256": "plaintext-key"}]}', encoding="utf-8")
    with pytest.raises(ConfigError):
        HttpConfig.from_file(path)


async def test_a_tenant_sees_nothing_of_another_tenants_runs(http: httpx.AsyncClient) -> None:
    reply = await http.post("/v1/runs", json={"goal": WEEKLY}, headers=ACME)
    assert reply.status_code == 202
    run_id = reply.json()["run_id"]
    assert (await http.get(f"/v1/runs/{run_id}", headers=ACME)).status_code == 200
    for method, path in (("GET", f"/v1/runs/{run_id}"), ("GET", f"/v1/runs/{run_id}/events"),
                         ("POST", f"/v1/runs/{run_id}/cancel")):
        reply = await http.request(method, path, headers=BETA)
        assert reply.status_code == 404 and reply.json()["error"] == "NotFound"
    beta_runs = (await http.get("/v1/runs", headers=BETA)).json()["runs"]
    assert run_id not in {r["run_id"] for r in beta_runs}
    assert run_id in {r["run_id"] for r in (await http.get("/v1/runs", headers=ACME)).json()["runs"]}


async def test_events_stream_as_server_sent_events_until_the_run_ends(http: httpx.AsyncClient) -> None:
    attachment = {"name": "sales.csv", "media_type": "text/csv", "content": "week,region,revenue\n2024-W11,N,1\n"}
    body = {"goal": WEEKLY, "attachments": [attachment]}
    run_id = (await http.post("/v1/runs", json=body, headers=ACME)).json()["run_id"]
    reply = await http.get(f"/v1/runs/{run_id}/events", headers=ACME)
    assert reply.status_code == 200 and reply.headers["content-type"].startswith("text/event-stream")
    frames = _sse(reply.text)
    assert frames[-1][1] == "end"
    events = [RunEvent.model_validate_json(data) for _, _, data in frames[:-1]]
    assert [(f[0], f[1]) for f in frames[:-1]] == [(str(e.seq), e.type) for e in events]
    assert events[-1].type == "run_state" and events[-1].data["to"] == "done"
    resumed = _sse((await http.get(f"/v1/runs/{run_id}/events", headers={**ACME, "Last-Event-ID": "3"})).text)
    assert resumed[0][0] == "4" and len(resumed) == len(frames) - 4
    state = (await http.get(f"/v1/runs/{run_id}", headers=ACME)).json()
    assert state["goal"]["attachments"][0]["content"] == attachment["content"]


async def test_approval_over_http_is_the_tenants_alone_and_lets_the_run_finish(http: httpx.AsyncClient) -> None:
    run_id = (await http.post("/v1/runs", json={"goal": f"{WEEKLY} #send"}, headers=ACME)).json()["run_id"]
    state = await _wait_for(http, run_id, "waiting_approval")
    request_id = state["pending_approvals"][0]["id"]  # type: ignore[index]
    assert (await http.post(f"/v1/approvals/{request_id}", json={"approved": True}, headers=BETA)).status_code == 404
    reply = await http.post(f"/v1/approvals/{request_id}", json={"approved": True, "reason": "ok"}, headers=ACME)
    assert reply.status_code == 200 and reply.json()["run_id"] == run_id
    await _wait_for(http, run_id, "done")


async def test_a_question_is_answered_over_http(http: httpx.AsyncClient) -> None:
    run_id = (await http.post("/v1/runs", json={"goal": "do it now"}, headers=ACME)).json()["run_id"]
    state = await _wait_for(http, run_id, "waiting_input")
    ask = state["pending_question"]["id"]  # type: ignore[index]
    body = {"request_id": ask, "text": "Draft a short note to the team about the release"}
    assert (await http.post(f"/v1/runs/{run_id}/answer", json=body, headers=BETA)).status_code == 404
    assert (await http.post(f"/v1/runs/{run_id}/answer", json=body, headers=ACME)).status_code == 200
    await _wait_for(http, run_id, "done")


async def test_webhook_starts_a_run_with_the_event_attached(http: httpx.AsyncClient) -> None:
    payload = {"subject": "Refund for order ORD-1234", "body": "I was charged twice.", "priority": 2}
    reply = await http.post("/v1/hooks/ticket", json=payload, headers=ACME)
    assert reply.status_code == 202
    state = (await http.get(f"/v1/runs/{reply.json()['run_id']}", headers=ACME)).json()
    assert state["goal"]["text"] == "Classify the incoming support ticket and draft a reply: Refund for order ORD-1234"
    event = state["goal"]["attachments"][0]
    assert (event["name"], event["media_type"]) == ("event.json", "application/json")
    assert json.loads(event["content"]) == payload
    assert (await http.post("/v1/hooks/unknown", json=payload, headers=ACME)).status_code == 404
    assert (await http.post("/v1/hooks/ticket", content=b"{not json", headers=ACME)).status_code == 400
    assert (await http.post("/v1/hooks/ticket", json=payload)).status_code == 401


async def test_bad_submissions_are_400_with_the_reason(http: httpx.AsyncClient) -> None:
    reply = await http.post("/v1/runs", json={"goal": "hi"}, headers=ACME)
    assert reply.status_code == 400 and reply.json()["error"] == "ContractError" and "text" in reply.json()["message"]
    reply = await http.post("/v1/runs", json={"goal": WEEKLY, "tenant": "beta"}, headers=ACME)
    assert reply.status_code == 422  # the tenant comes from the key, never from the body
