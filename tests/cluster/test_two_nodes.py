"""The runtime on a two-node cluster: scaling during runs, steps on both nodes, a node removed mid-run.

The cluster (a head node and a worker node, ``ray.cluster_utils.Cluster``) and the
client run in processes of their own (see ``tests.cluster._two_node_processes``);
this process only drives them and serves the specialists' model: a local
OpenAI-protocol server answering with the offline model, the analyst's answers
delayed so that its steps are still running when the pool scales and when the
worker node goes away.
"""

from __future__ import annotations

import os
import shutil
import tempfile
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from agentrt.actors.openai_backend import OpenAIProtocolServer
from tests.cluster._two_node_processes import REPO_ROOT, LineProcess
from tests.e2e.conftest import ModelEndpoint

STEP_WAIT_S = 90.0
RUNS_WAIT_S = 150.0


@pytest.fixture
def env() -> Iterator[dict[str, str]]:
    """The environment of both processes, with a Ray temp dir of their own."""
    # Ray records the newest cluster under its temp dir, and a ray.init() without an address
    # anywhere on this machine would join it: this cluster stays out of /tmp/ray. (A short
    # path: Ray puts sockets under it.)
    ray_tmp = tempfile.mkdtemp(prefix="agentrt-2n-", dir="/tmp")
    env = {k: v for k, v in os.environ.items() if not k.startswith(("RAY_", "AGENTRT_", "OPENAI_"))}
    yield env | {
        "RAY_TMPDIR": ray_tmp,
        "RAY_USAGE_STATS_ENABLED": "0",
        "RAY_AUTH_MODE": "disabled",
        "PYTHONPATH": str(REPO_ROOT),
    }
    shutil.rmtree(ray_tmp, ignore_errors=True)


@pytest.fixture
def endpoint() -> Iterator[tuple[str, ModelEndpoint]]:
    """The specialists' model server (in this process) and what it answers."""
    answers = ModelEndpoint()
    with OpenAIProtocolServer(responder=answers, model="agentrt-test") as server:
        yield server.base_url, answers


@pytest.fixture
def two_nodes(env: dict[str, str], tmp_path: Path) -> Iterator[tuple[LineProcess, dict[str, Any]]]:
    """A running two-node cluster process and its address and node ids; stopped afterwards whatever happens."""
    cluster = LineProcess(["cluster"], env, tmp_path / "cluster.log")
    try:
        yield cluster, cluster.ask(120.0)
    finally:
        cluster.close(90.0, do="stop")


@pytest.fixture
def client(
    two_nodes: tuple[LineProcess, dict[str, Any]],
    endpoint: tuple[str, ModelEndpoint],
    env: dict[str, str],
    tmp_path: Path,
) -> Iterator[tuple[LineProcess, dict[str, Any]]]:
    """The client process joined to the cluster, and where the supervisor and memory actors run."""
    _, nodes = two_nodes
    args = ["client", nodes["address"], str(tmp_path / "data"), f"two-nodes-{uuid.uuid4().hex[:8]}", endpoint[0]]
    proc = LineProcess(args, env | {"RAY_ADDRESS": nodes["address"]}, tmp_path / "client.log")
    try:
        yield proc, proc.ask(120.0)
    finally:
        proc.close(60.0, do="exit")


def _node(agent: str) -> str:
    return agent.rsplit("@", 1)[1]


def _finished(answer: dict[str, Any], log: str) -> list[dict[str, Any]]:
    runs = answer["runs"]
    assert [(r["status"], r.get("verified")) for r in runs] == [("done", True)] * len(runs), f"{runs}\n{log}"
    return runs


def test_two_node_cluster_scales_spreads_steps_and_survives_losing_a_node(
    two_nodes: tuple[LineProcess, dict[str, Any]],
    client: tuple[LineProcess, dict[str, Any]],
    endpoint: tuple[str, ModelEndpoint],
) -> None:
    cluster, nodes = two_nodes
    proc, services = client
    _, answers = endpoint
    head, worker = nodes["head"][:8], nodes["worker"][:8]
    # The worker node is the one removed below: the supervisor and the memory must not be on it.
    assert services["supervisor"] == services["memory"] == nodes["head"], f"{services} {nodes}"

    # Two runs start with one analyst; the pool grows to four while their analyst steps run.
    answers.delays["analyst"] = 2.0
    proc.ask(30.0, do="submit", batch="first", count=2)
    during = proc.ask(STEP_WAIT_S, do="started", batch="first", role="analyst")
    assert during.get("statuses") == ["execute", "execute"], during
    assert proc.ask(STEP_WAIT_S, do="scale", role="analyst", replicas=4)["detail"].startswith("analyst: 4 replicas")
    proc.ask(30.0, do="submit", batch="after-scale", count=4)
    first = _finished(proc.ask(RUNS_WAIT_S, do="collect", batch="first"), proc.tail())
    scaled = _finished(proc.ask(RUNS_WAIT_S, do="collect", batch="after-scale"), proc.tail())
    analysts = {s["agent"] for r in first + scaled for s in r["steps"] if s["role"] == "analyst"}
    # Replica names end with the configuration's fingerprint: agentrt-analyst-<i>-<fingerprint>.
    assert {a.split("@")[0].rsplit("-", 1)[0] for a in analysts} == {f"agentrt-analyst-{i}" for i in range(4)}, analysts
    assert {_node(s["agent"]) for r in first + scaled for s in r["steps"]} == {head, worker}, (analysts, head, worker)
    assert worker in {_node(a) for a in analysts}, analysts

    # Four runs' analyst steps are in flight on all four replicas when the worker node goes.
    answers.delays["analyst"] = 3.0
    proc.ask(30.0, do="submit", batch="node-lost", count=4)
    assert "statuses" in proc.ask(STEP_WAIT_S, do="started", batch="node-lost", role="analyst")
    assert cluster.ask(90.0, do="remove-worker") == {"removed": nodes["worker"]}
    answers.delays.clear()
    proc.ask(30.0, do="submit", batch="one-node", count=2)
    lost = _finished(proc.ask(RUNS_WAIT_S, do="collect", batch="node-lost"), proc.tail())
    after = _finished(proc.ask(RUNS_WAIT_S, do="collect", batch="one-node"), proc.tail())
    assert any(r["redispatched"] for r in lost), lost
    # Researcher steps may have ended on the worker before it went; everything later ran on the head.
    late = [s for r in lost for s in r["steps"] if s["role"] in ("analyst", "writer", "qa")]
    late += [s for r in after for s in r["steps"]]
    assert {_node(s["agent"]) for s in late} == {head}, late
