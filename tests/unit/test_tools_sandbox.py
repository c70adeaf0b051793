"""The sandbox runs code in a confined child: limits kill it, the network is out of reach."""

from __future__ import annotations

import socket
from collections.abc import Iterator

import pytest

from agentrt.contracts import SandboxError
from agentrt.specialists.tools import Sandbox, SandboxLimits, run_python

TIGHT = SandboxLimits(cpu_s=1, memory_mb=256, wall_s=20)


@pytest.fixture
def listening_port() -> Iterator[int]:
    """A real TCP server on 127.0.0.1 that the parent process can reach."""
    server = socket.socket()
    server.bind(("127.0.0.1", 0))
    server.listen()
    try:
        yield server.getsockname()[1]
    finally:
        server.close()


def test_sandbox_returns_result_and_printed_output_of_child() -> None:
    run = Sandbox(TIGHT).run("import os\nprint('pid', os.getpid())\nresult = sum(payload)", [1, 2, 3.5])
    assert run.result == 6.5
    assert run.stdout.startswith("pid ")
    assert int(run.stdout.split()[1]) != __import__("os").getpid()


def test_sandbox_kills_infinite_loop_at_cpu_limit() -> None:
    with pytest.raises(SandboxError) as caught:
        Sandbox(TIGHT).run("while True:\n    pass")
    assert caught.value.detail("limit") == "cpu_s"


def test_sandbox_stops_memory_hog_at_memory_limit() -> None:
    with pytest.raises(SandboxError) as caught:
        Sandbox(TIGHT).run("hog = []\nwhile True:\n    hog.append(bytearray(8 * 1024 * 1024))")
    assert caught.value.detail("limit") == "memory_mb"


def test_sandbox_cannot_connect_to_a_server_on_loopback(listening_port: int) -> None:
    probe = socket.create_connection(("127.0.0.1", listening_port), timeout=5)
    probe.close()  # the parent reaches it, so a refusal below is the sandbox's doing
    code = f"import socket\nsocket.create_connection(('127.0.0.1', {listening_port}), timeout=2)\nresult = 'connected'"
    with pytest.raises(SandboxError) as caught:
        Sandbox(TIGHT).run(code)
    assert caught.value.detail("error_type") in ("OSError", "PermissionError", "TimeoutError")
    assert caught.value.detail("guard") in ("netns", "socket-block")


def test_socket_guard_refuses_socket_creation_without_network_namespace() -> None:
    sandbox = Sandbox(TIGHT, network_namespace=False)
    with pytest.raises(SandboxError) as caught:
        sandbox.run("import socket\nsocket.socket()")
    assert caught.value.detail("guard") == "socket-block"
    assert caught.value.detail("error_type") == "PermissionError"


def test_run_python_sees_the_table_and_cannot_spawn_processes() -> None:
    table = "region,revenue\nNorth,10\nSouth,32.5\n"
    run = run_python("print(len(table))\nresult = sum(row['revenue'] for row in table)", table)
    assert (run.stdout, run.result) == ("2\n", 42.5)
    with pytest.raises(SandboxError) as caught:
        run_python("import subprocess\nsubprocess.run(['true'])")
    assert "subprocess.Popen" in str(caught.value)


def test_sandbox_kills_sleeping_child_at_wall_clock_limit() -> None:
    with pytest.raises(SandboxError) as caught:
        Sandbox(SandboxLimits(cpu_s=5, memory_mb=256, wall_s=0.5)).run("import time\ntime.sleep(30)")
    assert caught.value.detail("limit") == "wall_s"
