"""The sandbox runs code in a confined child: limits kill it, the network and the host's files are out of reach."""

from __future__ import annotations

import os
import shutil
import socket
import stat
import tempfile
import threading
import time
from collections.abc import Iterator
from pathlib import Path

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
    assert caught.value.detail("error_type") in ("ConnectionRefusedError", "OSError", "TimeoutError")
    assert caught.value.detail("guard") == "bwrap"


def test_socket_guard_refuses_socket_creation_when_asked() -> None:
    sandbox = Sandbox(TIGHT, block_sockets=True)
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


# Code that tries to open each path in ``payload`` and reports, per path, what it got.
OPEN_EACH = """
result = {}
for path in payload:
    try:
        with open(path, "rb") as f:
            f.read(1)
        result[path] = "read"
    except OSError as exc:
        result[path] = type(exc).__name__
"""
UNREADABLE = ("FileNotFoundError", "PermissionError")


def _children_of_this_process(marker: bytes) -> list[int]:
    """Host pids of this process's descendants whose command line contains ``marker``."""
    parents: dict[int, int] = {}
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                status = Path(f"/proc/{entry}/status").read_text()
            except OSError:
                continue
            parents[int(entry)] = int(status.split("PPid:")[1].split()[0])

    def descends(pid: int) -> bool:
        while pid > 1:
            pid = parents.get(pid, 0)
            if pid == os.getpid():
                return True
        return False

    found = []
    for pid in parents:
        try:
            if marker in Path(f"/proc/{pid}/cmdline").read_bytes() and descends(pid):
                found.append(pid)
        except OSError:
            continue
    return found


def test_sandboxed_code_cannot_read_a_file_in_a_runtime_data_dir(tmp_path: Path) -> None:
    data_dir = tmp_path / "agentrt-data"
    (data_dir / "keys").mkdir(parents=True, mode=0o700)
    (data_dir / "keys" / "runtime.key").write_bytes(b"secret")
    # World-readable too: the sandbox must not see the file at all, whatever its mode.
    (data_dir / "runs.sqlite").write_bytes(b"every tenant's runs")
    os.chmod(data_dir / "runs.sqlite", 0o644)
    paths = [str(data_dir / "keys" / "runtime.key"), str(data_dir / "runs.sqlite"), str(Path.home() / ".agentrt")]
    run = Sandbox(TIGHT).run(OPEN_EACH, paths)
    assert run.result == {path: "FileNotFoundError" for path in paths}


def test_sandboxed_code_cannot_read_etc_shadow() -> None:
    run = Sandbox(TIGHT).run(OPEN_EACH, ["/etc/shadow", "/etc/passwd"])
    assert isinstance(run.result, dict)
    assert set(run.result.values()) <= set(UNREADABLE)


def test_sandboxed_code_cannot_read_a_ray_session_dir() -> None:
    session = Path(tempfile.mkdtemp(prefix="ray-"))
    try:
        (session / "session_latest").mkdir()
        (session / "session_latest" / "ray_auth_token").write_text("token")
        os.chmod(session, 0o755)
        paths = [str(session / "session_latest" / "ray_auth_token"), "/tmp/ray/session_latest/logs"]
        code = OPEN_EACH + "result['/tmp holds'] = sorted(__import__('os').listdir('/tmp'))"
        run = Sandbox(TIGHT).run(code, paths)
    finally:
        shutil.rmtree(session)
    assert run.result == {paths[0]: "FileNotFoundError", paths[1]: "FileNotFoundError", "/tmp holds": ["work"]}


def test_sandboxed_code_cannot_reach_a_unix_socket_of_the_host(tmp_path: Path) -> None:
    named = socket.socket(socket.AF_UNIX)
    abstract = socket.socket(socket.AF_UNIX)
    named.bind(str(tmp_path / "ray.sock"))
    abstract.bind(f"\0agentrt-sandbox-test-{os.getpid()}")
    for server in (named, abstract):
        server.listen()
    code = """
import socket
result = {}
for address in payload:
    try:
        socket.socket(socket.AF_UNIX).connect(address)
        result[address] = "connected"
    except OSError as exc:
        result[address] = type(exc).__name__
"""
    try:
        addresses = [str(tmp_path / "ray.sock"), f"\0agentrt-sandbox-test-{os.getpid()}"]
        run = Sandbox(TIGHT).run(code, addresses)
    finally:
        named.close()
        abstract.close()
    # The abstract namespace belongs to the network namespace: the child has its own, empty.
    assert run.result == {addresses[0]: "FileNotFoundError", addresses[1]: "ConnectionRefusedError"}


def test_sandboxed_code_runs_as_an_unprivileged_user() -> None:
    run = Sandbox(TIGHT).run("import os\nresult = [os.getuid(), os.geteuid(), os.getgid(), os.getgroups()]")
    assert run.result == [65534, 65534, 65534, []]


def test_sandboxed_child_is_not_root_on_the_host_either() -> None:
    worker = threading.Thread(target=Sandbox(TIGHT).run, args=("import time\ntime.sleep(2)",))
    worker.start()
    try:
        deadline = time.monotonic() + 10
        children: list[int] = []
        while not children and time.monotonic() < deadline:
            children = _children_of_this_process(b"/sandbox/child.py")
            time.sleep(0.05)
        uids = {int(Path(f"/proc/{pid}/status").read_text().split("Uid:")[1].split()[0]) for pid in children}
    finally:
        worker.join()
    assert children
    assert 0 not in uids
    if os.geteuid() == 0:
        assert uids == {65534}


def test_sandboxed_code_sees_only_its_own_processes() -> None:
    code = "import os\nresult = sorted(int(p) for p in os.listdir('/proc') if p.isdigit())"
    run = Sandbox(TIGHT).run(code)
    assert isinstance(run.result, list)
    assert 1 <= len(run.result) <= 2  # bwrap's reaper and the child, numbered in their own pid namespace
    assert max(run.result) <= 2


def test_sandboxed_code_writes_only_in_its_private_tmp(tmp_path: Path) -> None:
    os.chmod(tmp_path, 0o777)
    code = """
import os, sys
result = {}
outside = [sys.prefix + "/x", "/x", "/usr/lib/x", "/sandbox/x", "/dev/x", "/etc/x", "/proc/sys/vm/swappiness"]
for path in payload + outside:
    try:
        os.close(os.open(path, os.O_WRONLY | os.O_CREAT))
        result[path] = "written"
    except OSError as exc:
        result[path] = type(exc).__name__
result["cwd"] = os.getcwd()
with open("note", "w") as f:
    f.write("kept in the work dir")
result["work"] = open("/tmp/work/note").read()
"""
    run = Sandbox(TIGHT).run(code, [str(tmp_path / "escaped")])
    assert isinstance(run.result, dict)
    assert run.result.pop("cwd") == "/tmp/work"
    assert run.result.pop("work") == "kept in the work dir"
    assert "written" not in run.result.values()
    assert not (tmp_path / "escaped").exists()


def test_private_tmp_is_limited_to_its_size() -> None:
    # Many files, each under the file-size limit, so that the tmpfs size is what stops them.
    code = "for i in range(12):\n    open(f'/tmp/work/part{i}', 'wb').write(bytes(256 * 1024))"
    with pytest.raises(SandboxError) as caught:
        Sandbox(SandboxLimits(cpu_s=2, memory_mb=256, wall_s=20, tmp_mb=2)).run(code)
    assert "No space left on device" in str(caught.value)


def test_sandbox_refuses_to_run_without_bwrap(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    with pytest.raises(SandboxError) as caught:
        Sandbox(TIGHT, bwrap=str(tmp_path / "no-such-bwrap")).run("result = 1")
    assert caught.value.detail("missing") == "bwrap"
    assert "install bubblewrap" in str(caught.value)
    monkeypatch.setenv("PATH", str(tmp_path))
    with pytest.raises(SandboxError) as caught:
        Sandbox(TIGHT).run("result = 1")
    assert caught.value.detail("missing") == "bwrap"


def test_sandbox_refuses_to_run_when_bwrap_cannot_create_namespaces() -> None:
    # A stand-in for bwrap on a host that forbids user namespaces, as bwrap reports it there.
    home = Path(tempfile.mkdtemp(prefix="agentrt-fake-bwrap-"))
    fake = home / "bwrap"
    fake.write_text("#!/bin/sh\necho 'bwrap: No permissions to create new namespace' >&2\nexit 1\n")
    os.chmod(home, 0o755)
    os.chmod(fake, stat.S_IRWXU | stat.S_IRGRP | stat.S_IXGRP | stat.S_IROTH | stat.S_IXOTH)
    try:
        with pytest.raises(SandboxError) as caught:
            Sandbox(TIGHT, bwrap=str(fake)).run("result = 1")
    finally:
        fake.unlink()
        home.rmdir()
    assert caught.value.detail("missing") == "namespaces"
    assert "No permissions to create new namespace" in str(caught.value)
    assert "user namespaces" in str(caught.value)


def test_wall_clock_kill_leaves_no_sandboxed_process() -> None:
    with pytest.raises(SandboxError):
        Sandbox(SandboxLimits(cpu_s=5, memory_mb=256, wall_s=0.5)).run("import time\ntime.sleep(30)")
    deadline = time.monotonic() + 5
    while _children_of_this_process(b"/sandbox/child.py") and time.monotonic() < deadline:
        time.sleep(0.05)
    assert _children_of_this_process(b"/sandbox/child.py") == []
