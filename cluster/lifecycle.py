"""``agentrt start`` and ``agentrt stop``: a served runtime in the background.

``start`` runs ``agentrt serve`` (with the same options) as a background process,
logging to ``<data_dir>/serve.log``, and returns once the runtime's record says it is
up. ``stop`` joins it, stops every actor of the runtime, and ends that process (which
stops a Ray cluster it started).
"""

from __future__ import annotations

import argparse
import os
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import TextIO

from agentrt.cluster.live import clear_record, process_alive, read_record
from agentrt.cluster.settings import settings_from_env

__all__ = ["serve_argv", "start_background", "stop_served"]

_START_TIMEOUT_S = 300.0


def serve_argv(args: argparse.Namespace) -> list[str]:
    """The ``agentrt serve`` arguments that reproduce a ``start`` command's options."""
    argv = ["serve"]
    for flag, value in (("--address", args.address), ("--roles", args.roles), ("--model", args.model),
                        ("--host", args.host), ("--port", args.port), ("--api-keys", args.api_keys)):
        if value is not None:
            argv += [flag, str(value)]
    for module in args.tools:
        argv += ["--tools", module]
    for path in args.workflow:
        argv += ["--workflow", str(path)]
    if args.http:
        argv.append("--http")
    return argv


def _tail(path: Path, lines: int = 20) -> str:
    try:
        return "\n".join(path.read_text(errors="replace").splitlines()[-lines:])
    except OSError:
        return ""


def start_background(args: argparse.Namespace, out: TextIO, err: TextIO) -> int:
    """Start ``agentrt serve`` in the background; return 0 once it is up, 1 when it failed to come up."""
    data_dir = settings_from_env(os.environ).data_dir
    running = read_record(data_dir)
    if running is not None:
        print(f"agentrt is already up at {running.address} (pid {running.pid}); `agentrt stop` ends it", file=out)
        return 0
    data_dir.mkdir(parents=True, exist_ok=True)
    log = data_dir / "serve.log"
    with log.open("ab") as sink:
        child = subprocess.Popen(
            [sys.executable, "-m", "agentrt.cluster.cli", *serve_argv(args)],
            stdin=subprocess.DEVNULL, stdout=sink, stderr=sink, start_new_session=True,
        )
    end = time.monotonic() + _START_TIMEOUT_S
    while time.monotonic() < end:
        record = read_record(data_dir)
        if record is not None and record.pid == child.pid:
            print(f"agentrt is up at {record.address} (pid {record.pid}, log {log}); "
                  f"every command now joins it; `agentrt stop` ends it", file=out)
            return 0
        if child.poll() is not None:
            break
        time.sleep(0.2)
    if child.poll() is None:
        child.terminate()
    print(f"agentrt: the runtime did not come up; the end of {log}:\n{_tail(log)}", file=err)
    return 1


def stop_served(args: argparse.Namespace, out: TextIO, err: TextIO) -> int:
    """Stop the served runtime of the data directory: its actors, then its process."""
    from agentrt.cluster.runtime import RuntimeConfig, connect_ray  # noqa: PLC0415  (imports Ray)

    env = settings_from_env(os.environ)
    record = read_record(env.data_dir)
    if record is None:
        print(f"agentrt: no runtime is served from {env.data_dir}", file=out)
        return 0
    runtime = connect_ray(RuntimeConfig(**(env.runtime_fields() | {"address": record.address, "on_change": "join"})))
    runtime.stop_actors()
    runtime.shutdown()
    os.kill(record.pid, signal.SIGTERM)
    end = time.monotonic() + 120
    while time.monotonic() < end and process_alive(record.pid):
        time.sleep(0.2)
    clear_record(env.data_dir, record.pid)
    print(f"agentrt stopped (pid {record.pid}, {record.address})", file=out)
    return 0
