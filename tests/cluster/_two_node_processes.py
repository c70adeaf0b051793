"""The two processes of the two-node test, and the line protocol the test drives them with.

``python -m tests.cluster._two_node_processes cluster`` starts a two-node Ray cluster on
this machine (a head node holding the ``agentrt_head`` resource and one worker node),
prints its address and node ids, then obeys ``remove-worker`` and ``stop``.

``python -m tests.cluster._two_node_processes client ADDRESS DATA_DIR NAMESPACE BASE_URL``
joins that cluster as an agentrt client (creating the runtime's detached actors, the
memory and the supervisor on the head node), reports where those two run, and obeys
``submit``, ``started``, ``scale``, ``collect`` and ``exit``.

Commands arrive as JSON lines on stdin; every answer is one stdout line starting with
:data:`MARK` followed by JSON, so log lines Ray prints on stdout are told apart.
"""

from __future__ import annotations

import contextlib
import json
import os
import queue
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import IO, Any

MARK = "@two-node "
REPO_ROOT = Path(__file__).resolve().parents[2]
WEEKLY_SALES = "Prepare the weekly sales summary and draft the mail to the team"
_DATA = (REPO_ROOT / "examples" / "weekly_sales" / "sales.csv", REPO_ROOT / "examples" / "weekly_sales" / "metrics.md")


def _say(**fields: object) -> None:
    print(MARK + json.dumps(fields), flush=True)


def _commands() -> Iterator[dict[str, Any]]:
    for line in sys.stdin:
        if line.strip():
            yield json.loads(line)


def serve_cluster() -> None:
    """Run a head and a worker node until told to stop (or stdin closes)."""
    from ray.cluster_utils import Cluster

    cluster = Cluster(
        initialize_head=True,
        head_node_args={"num_cpus": 2, "resources": {"agentrt_head": 1}, "include_dashboard": False},
    )
    try:
        worker = cluster.add_node(num_cpus=2)
        cluster.wait_for_nodes()
        _say(address=cluster.address, head=cluster.head_node.node_id, worker=worker.node_id)
        for command in _commands():
            if command["do"] == "remove-worker":
                cluster.remove_node(worker)
                _say(removed=worker.node_id)
            elif command["do"] == "stop":
                break
    finally:
        cluster.shutdown()
    _say(stopped=True)


class Runs:
    """The runs the client process submitted, by batch, each with its own tenant."""

    def __init__(self, runtime: Any) -> None:
        self.runtime = runtime
        self.batches: dict[str, list[Any]] = {}
        self.clients: list[Any] = []

    def submit(self, batch: str, count: int) -> dict[str, object]:
        """Submit ``count`` weekly-sales goals, tenants ``<batch>-<i>``."""
        from agentrt.cluster.client import Client

        handles = self.batches.setdefault(batch, [])
        for i in range(count):
            client = Client(tenant=f"{batch}-{i}", user="ann", runtime=self.runtime)
            self.clients.append(client)
            handles.append(client.submit(WEEKLY_SALES, data=_DATA))
        return {"runs": [h.run_id for h in handles]}

    def started(self, batch: str, role: str, timeout_s: float = 90.0) -> dict[str, object]:
        """Wait until every run of the batch has started a step of ``role``; report their statuses then."""
        deadline = time.monotonic() + timeout_s
        waiting = list(self.batches[batch])
        while waiting:
            if time.monotonic() > deadline:
                return {"error": f"no {role} step started in {[h.run_id for h in waiting]} within {timeout_s}s"}
            waiting = [h for h in waiting if not _has_started(h, role)]
            time.sleep(0.05)
        return {"statuses": [h.status().status.value for h in self.batches[batch]]}

    def scale(self, role: str, replicas: int) -> dict[str, object]:
        """Scale a role's pool through a client, as an operator would."""
        from agentrt.cluster.client import Client

        with Client(tenant="operator", user="ops", runtime=self.runtime, operator=True) as client:
            return {"detail": client.scale(role, replicas).detail}

    def collect(self, batch: str, timeout_s: float = 100.0) -> dict[str, object]:
        """Wait for every run of the batch and report its outcome, where its steps ran and re-dispatches."""
        from agentrt.contracts import AgentRTError

        deadline = time.monotonic() + timeout_s
        reports = []
        for handle in self.batches[batch]:
            report: dict[str, object] = {"run_id": handle.run_id}
            try:
                state = handle.result(timeout=max(0.0, deadline - time.monotonic()))
                report |= {
                    "status": state.status.value,
                    "verified": state.verified,
                    "steps": [{"role": r.role, "agent": r.agent} for r in state.results.values()],
                }
            except AgentRTError as exc:
                report |= {"status": "error", "error": f"{type(exc).__name__}: {exc}"}
            report["redispatched"] = [e.data.get("why") for e in handle.trace() if e.type == "step_redispatched"]
            reports.append(report)
        return {"runs": reports}

    def close(self) -> None:
        """Close every client (the runtime's detached actors stay)."""
        for client in self.clients:
            client.close()


def _has_started(handle: Any, role: str) -> bool:
    return any(e.type == "step_started" and e.data.get("role") == role for e in handle.trace())


def serve_client(address: str, data_dir: str, namespace: str, base_url: str) -> None:
    """Join the cluster, report where the supervisor and memory run, then obey commands."""
    import ray
    from pydantic import SecretStr

    from agentrt.cluster.runtime import RuntimeConfig, connect
    from agentrt.cluster.settings import ModelSettings
    from agentrt.supervisor.config import SupervisorConfig

    model = ModelSettings(kind="openai", base_url=base_url, api_key=SecretStr("test-key"), model="agentrt-test")
    config = RuntimeConfig(
        address=address,
        data_dir=Path(data_dir),
        namespace=namespace,
        model=model,
        # The endpoint serves the offline model: the planner words steps for it.
        supervisor=SupervisorConfig(instructions="offline"),
        # The worker node is removed mid-run: the memory and the supervisor stay on the head.
        service_resources={"agentrt_head": 0.01},
    )
    ray.init(address=address, namespace=namespace, log_to_driver=False)
    runtime = connect(config)
    runs = Runs(runtime)
    where = ray.get([runtime.supervisor_handle.ping.remote(), runtime.memory_handle.ping.remote()])
    _say(supervisor=where[0], memory=where[1])
    try:
        for command in _commands():
            do = command.pop("do")
            if do == "exit":
                break
            _say(**getattr(runs, do)(**command))
    finally:
        runs.close()
        ray.shutdown()


class LineProcess:
    """One of these processes, seen from the test: JSON commands in, marked JSON lines out.

    Args:
        args: Arguments after ``python -m tests.cluster._two_node_processes``.
        env: The process environment.
        log: File that receives the process's stderr (and its unmarked stdout).
    """

    def __init__(self, args: Sequence[str], env: dict[str, str], log: Path) -> None:
        self.log = log
        self._log = log.open("w", encoding="utf-8")
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "tests.cluster._two_node_processes", *args],
            cwd=REPO_ROOT,
            env=env,
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=self._log,
            text=True,
            start_new_session=True,
        )
        self._lines: queue.Queue[dict[str, Any] | None] = queue.Queue()
        self._reader = threading.Thread(target=self._read, args=(self.proc.stdout,), daemon=True)
        self._reader.start()

    def _read(self, stream: IO[str]) -> None:
        for line in stream:
            if line.startswith(MARK):
                self._lines.put(json.loads(line[len(MARK) :]))
            else:
                self._log.write(line)
        self._lines.put(None)

    def ask(self, timeout_s: float, **command: object) -> dict[str, Any]:
        """Send a command (none when empty) and return the next answer, waiting at most ``timeout_s``."""
        if command:
            self._send(command)
        try:
            answer = self._lines.get(timeout=timeout_s)
        except queue.Empty:
            raise AssertionError(f"no answer to {command} within {timeout_s}s; log:\n{self.tail()}") from None
        if answer is None:
            ended = f"process ended (rc={self.proc.wait()}) before answering {command}"
            raise AssertionError(f"{ended}; log:\n{self.tail()}")
        return answer

    def _send(self, command: dict[str, object]) -> None:
        assert self.proc.stdin is not None
        self.proc.stdin.write(json.dumps(command) + "\n")
        self.proc.stdin.flush()

    def tail(self, lines: int = 40) -> str:
        """The end of the process's log."""
        self._log.flush()
        return "\n".join(self.log.read_text(encoding="utf-8", errors="replace").splitlines()[-lines:])

    def close(self, timeout_s: float, **command: object) -> None:
        """Send a last command, wait for the process to end, and kill its process group if it does not."""
        try:
            if self.proc.poll() is None:
                self._send(command)
            self.proc.wait(timeout=timeout_s)
        except (subprocess.TimeoutExpired, OSError):
            with contextlib.suppress(ProcessLookupError):
                os.killpg(self.proc.pid, signal.SIGKILL)
            self.proc.wait(timeout=timeout_s)
        finally:
            self._reader.join(timeout_s)
            self._log.close()


if __name__ == "__main__":
    if sys.argv[1] == "cluster":
        serve_cluster()
    else:
        serve_client(*sys.argv[2:6])
