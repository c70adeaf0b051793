"""Commands join the runtime ``agentrt start`` keeps up (one cluster, counted); non-detached runs leave no actor."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
import threading
import time
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
import ray

from agentrt.cluster.live import read_record
from agentrt.cluster.runtime import SUPERVISOR_ACTOR

REPO = Path(__file__).resolve().parent.parent.parent
FIXTURES = REPO / "tests" / "fixtures"
ORDER_GOAL = "Look up the shipping status of order ORD-1234"


def _clusters() -> int:
    """Ray clusters on this machine: one GCS server each."""
    found = subprocess.run(["pgrep", "-f", "gcs_server"], capture_output=True, text=True, check=False)
    return len([line for line in found.stdout.split() if line.strip()])


class Command:
    """Runs ``agentrt`` commands in fresh processes, counting Ray clusters while each runs."""

    def __init__(self, data_dir: Path, namespace: str) -> None:
        # As a user runs it: Ray's own default (token authentication on for a cluster it starts, the
        # token in ~/.ray/auth_token), with a home of its own.
        self.env = {k: v for k, v in os.environ.items() if k != "RAY_ADDRESS" and not k.startswith("RAY_AUTH")}
        self.env |= {"AGENTRT_DATA_DIR": str(data_dir), "AGENTRT_NAMESPACE": namespace,
                     "PYTHONPATH": str(REPO), "HOME": str(data_dir / "home")}

    def __call__(self, *args: str, timeout: float = 300) -> tuple[subprocess.CompletedProcess[str], int]:
        most = [_clusters()]
        done = threading.Event()

        def count() -> None:
            while not done.is_set():
                most.append(_clusters())
                time.sleep(0.1)

        counter = threading.Thread(target=count, daemon=True)
        counter.start()
        try:
            result = subprocess.run([sys.executable, "-m", "agentrt.cluster.cli", *args], env=self.env,
                                    capture_output=True, text=True, timeout=timeout, cwd=REPO, check=False)
        finally:
            done.set()
            counter.join()
        return result, max(most)


@pytest.fixture
def served(tmp_path: Path) -> Iterator[tuple[Command, Path]]:
    command = Command(tmp_path, f"served-{uuid.uuid4().hex[:8]}")
    yield command, tmp_path
    if read_record(tmp_path) is not None:
        command("stop")


@pytest.mark.usefixtures("ray_cluster")
def test_commands_join_the_served_runtime_without_a_second_cluster(served: tuple[Command, Path]) -> None:
    command, data_dir = served
    ray_address = ray.get_runtime_context().gcs_address
    before = _clusters()
    started, _ = command("start")
    assert started.returncode == 0, started.stderr + started.stdout
    record = read_record(data_dir)
    assert record is not None and record.started_cluster and "agentrt is up" in started.stdout
    up = _clusters()
    assert up == before + 1  # the served runtime's own local cluster

    listed, most = command("runs", "--tenant", "acme")
    assert listed.returncode == 0, listed.stderr
    assert most == up, "agentrt runs started a cluster of its own"
    assert "started a local Ray cluster" not in listed.stderr and "no runs yet" in listed.stdout

    ran, most = command("run", ORDER_GOAL, "--tools", "tests.fixtures.order_tools",
                        "--roles", str(FIXTURES / "orders_roles.yaml"), "--tenant", "acme", "--json")
    assert ran.returncode == 0, ran.stderr
    assert most == up and "TRK-998877" in json.loads(ran.stdout)["output"]

    # Another cluster (the session's) pointed at the same data directory is refused, not a second writer.
    elsewhere, _ = command("runs", "--address", ray_address)
    assert elsewhere.returncode == 2 and "in use by another agentrt runtime" in elsewhere.stderr, elsewhere.stderr

    unknown, most = command("status", "run-doesnotexist", "--tenant", "acme")
    assert unknown.returncode == 2 and "no run run-doesnotexist" in unknown.stderr and most == up

    listed, _ = command("runs", "--tenant", "acme", "--json")
    assert [r["status"] for r in json.loads(listed.stdout)] == ["done"]

    stopped, _ = command("stop")
    assert stopped.returncode == 0 and "agentrt stopped" in stopped.stdout
    assert read_record(data_dir) is None
    end = time.monotonic() + 60
    while _clusters() > before and time.monotonic() < end:
        time.sleep(0.2)
    assert _clusters() == before


@pytest.mark.usefixtures("ray_cluster")
@pytest.mark.parametrize("ending", ["exit", "shutdown"])
def test_a_script_with_detached_false_leaves_no_actor_behind(tmp_path: Path, ending: str) -> None:
    namespace = f"nd-{ending}-{uuid.uuid4().hex[:6]}"
    script = textwrap.dedent(f"""
        import sys
        from pathlib import Path
        from agentrt import RuntimeConfig, connect

        config = RuntimeConfig(address={ray.get_runtime_context().gcs_address!r}, namespace={namespace!r},
                               data_dir=Path({str(tmp_path)!r}), detached=False,
                               tool_modules=("tests.fixtures.order_tools",),
                               roles_file=Path({str(FIXTURES / "orders_roles.yaml")!r}))
        runtime = connect(config)
        with runtime.client(tenant="acme", user="ann") as client:
            state = client.submit({ORDER_GOAL!r}).result(timeout=180)
        print(state.status.value, "TRK-998877" in state.output, flush=True)
        if {ending!r} == "shutdown":
            runtime.shutdown()
        sys.exit(0)
    """)
    env = {k: v for k, v in os.environ.items() if k != "RAY_ADDRESS"} | {"PYTHONPATH": str(REPO)}
    done = subprocess.run([sys.executable, "-c", script], env=env, capture_output=True, text=True, timeout=300,
                          check=False)
    assert done.returncode == 0 and done.stdout.split() == ["done", "True"], done.stderr[-3000:]

    def left() -> list[str]:
        return [a["name"] for a in ray.util.list_named_actors(all_namespaces=True) if a["namespace"] == namespace]

    end = time.monotonic() + 60
    while left() and time.monotonic() < end:
        time.sleep(0.2)
    assert left() == []
    with pytest.raises(ValueError):
        ray.get_actor(SUPERVISOR_ACTOR, namespace=namespace)
