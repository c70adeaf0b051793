"""The HTTP API deployed on Ray Serve, reached over real HTTP on 127.0.0.1."""

from __future__ import annotations

import socket
from collections.abc import Iterator
from pathlib import Path

import httpx2 as httpx
import pytest
import ray
from ray import serve

from agentrt.cluster.http import ApiKey, HttpConfig, hash_api_key
from agentrt.cluster.serving import start_http
from agentrt.cluster.testing import canned_supervisor_actor

pytestmark = pytest.mark.usefixtures("ray_cluster")

KEY = {"Authorization": "Bearer serve-test-key"}
SUPERVISOR = "agentrt-supervisor-serve-test"
NAMESPACE = "agentrt-tests"


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture(scope="module")
def base_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    store: Path = tmp_path_factory.mktemp("serve") / "runs.sqlite"
    service = canned_supervisor_actor(store, name=SUPERVISOR, namespace=NAMESPACE)
    config = HttpConfig(keys=(ApiKey(tenant="acme", user="ann", sha256=hash_api_key("serve-test-key")),))
    try:
        yield start_http(config, NAMESPACE, host="127.0.0.1", port=_free_port(), supervisor=SUPERVISOR)
    finally:
        serve.shutdown()
        ray.kill(service.transport.handle)  # type: ignore[attr-defined]


def test_a_run_submitted_over_http_streams_its_events_and_finishes(base_url: str) -> None:
    with httpx.Client(base_url=base_url, timeout=60) as http:
        assert http.get("/v1/runs").status_code == 401
        goal = {"goal": "Prepare the weekly sales summary and draft the mail to the team"}
        reply = http.post("/v1/runs", json=goal, headers=KEY)
        assert reply.status_code == 202, reply.text
        run_id = reply.json()["run_id"]
        kinds = []
        with http.stream("GET", f"/v1/runs/{run_id}/events", headers=KEY) as stream:
            assert stream.headers["content-type"].startswith("text/event-stream")
            kinds = [line.removeprefix("event: ") for line in stream.iter_lines() if line.startswith("event: ")]
        assert kinds[0] == "run_state" and kinds[-1] == "end" and "plan" in kinds
        state = http.get(f"/v1/runs/{run_id}", headers=KEY).json()
        assert state["status"] == "done" and state["verified"] is True
        assert http.get("/v1/runs/run-unknown", headers=KEY).status_code == 404
