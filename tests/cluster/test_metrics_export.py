"""RayMetrics inside the supervisor actor: the node's Prometheus endpoint reports the runtime's measurements."""

from __future__ import annotations

import re
import time
import urllib.request
from collections.abc import Iterator

import pytest
import ray

from agentrt.actors.proxy import supervisor_proxy
from agentrt.cluster.client import Client
from agentrt.cluster.metrics import RayMetrics
from agentrt.cluster.testing import canned_supervisor_actor
from agentrt.contracts import RunFailed, RunStatus, SupervisorRef

pytestmark = pytest.mark.usefixtures("ray_cluster")

TENANT = "metrics-acme"
# Ray reports application metrics every few seconds; this bounds the wait, it asserts nothing about speed.
EXPORT_DEADLINE_S = 90.0
SAMPLE = re.compile(r"^(?P<name>[a-zA-Z_:][a-zA-Z0-9_:]*)\{(?P<tags>[^}]*)\} (?P<value>\S+)$")


@pytest.fixture(scope="module")
def supervisor(tmp_path_factory: pytest.TempPathFactory) -> Iterator[SupervisorRef]:
    service = canned_supervisor_actor(tmp_path_factory.mktemp("metrics") / "runs.sqlite", metrics=RayMetrics())
    yield supervisor_proxy(service)
    ray.kill(service.transport.handle)  # type: ignore[attr-defined]


def _scrape() -> list[tuple[str, dict[str, str], float]]:
    port = ray._private.worker.global_worker.node.metrics_export_port
    with urllib.request.urlopen(f"http://127.0.0.1:{port}/metrics", timeout=10) as reply:
        body = reply.read().decode("utf-8")
    samples = []
    for line in body.splitlines():
        match = SAMPLE.match(line)
        if match and match["name"].startswith("ray_agentrt_"):
            tags = dict(re.findall(r'(\w+)="([^"]*)"', match["tags"]))
            samples.append((match["name"], tags, float(match["value"])))
    return samples


def _value(samples: list[tuple[str, dict[str, str], float]], name: str, **tags: str) -> float | None:
    values = [v for n, t, v in samples if n == name and all(t.get(k) == w for k, w in tags.items())]
    return sum(values) if values else None


def test_runtime_metrics_reach_the_prometheus_endpoint_with_their_values(supervisor: SupervisorRef) -> None:
    with Client(tenant=TENANT, user="ann", supervisor=supervisor) as client:
        state = client.submit("Prepare the weekly sales summary and draft the mail to the team").result(timeout=60)
        assert state.status == RunStatus.DONE
        failed = client.submit("Prepare the weekly sales summary and draft the mail to the team #fail")
        with pytest.raises(RunFailed, match="canned failure"):
            failed.result(timeout=60)
        client.scale("writer", 2)
    expected = {
        ("ray_agentrt_runs", (("tenant", TENANT), ("state", "done"))): 1.0,
        ("ray_agentrt_runs", (("tenant", TENANT), ("state", "failed"))): 1.0,
        ("ray_agentrt_runs", (("tenant", TENANT), ("state", "execute"))): 0.0,
        ("ray_agentrt_run_transitions_total", (("tenant", TENANT), ("state", "intake"))): 2.0,
        ("ray_agentrt_steps_total", (("role", "qa"), ("status", "succeeded"))): 1.0,
        ("ray_agentrt_tokens_total", (("role", "qa"),)): 15.0,
        ("ray_agentrt_pool_replicas", (("role", "writer"),)): 2.0,
        ("ray_agentrt_step_latency_seconds_count", (("role", "qa"),)): 1.0,
    }
    deadline = time.monotonic() + EXPORT_DEADLINE_S
    while True:
        samples = _scrape()
        seen = {key: _value(samples, key[0], **dict(key[1])) for key in expected}
        if seen == expected or time.monotonic() > deadline:
            break
        time.sleep(0.5)
    assert seen == expected
