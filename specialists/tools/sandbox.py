"""Sandboxed compute: run Python source in a confined child process, data in as JSON, result out as JSON.

The child is a fresh interpreter (``python -I -S``: no site-packages, no
``PYTHON*`` variables) started with a minimal environment in a temporary
working directory. Before it executes, a pre-exec function sets resource
limits (CPU seconds, address space, file size, no core files) and moves it
into a new, empty network namespace (``unshare(CLONE_NEWNET)``; we run as
root, so this is normally permitted). The child then confirms the namespace
changed; if it did not, it falls back to an audit hook that refuses every
socket operation. Either way it refuses process spawning, native code
loading and limit changes. The guard in force is reported with every run.

A run that hits a limit raises ``SandboxError`` whose ``limit`` detail names
it (``cpu_s``, ``memory_mb``, ``wall_s``, ``max_output_bytes``); code that
raises inside the sandbox gives ``SandboxError`` with ``error_type``.
"""

from __future__ import annotations

import contextlib
import ctypes
import functools
import json
import os
import signal
import subprocess
import sys
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import Literal

from pydantic import Field, JsonValue

from agentrt.contracts import SandboxError
from agentrt.specialists.tools._frozen import FrozenModel

__all__ = ["NetworkGuard", "Sandbox", "SandboxLimits", "SandboxRun"]

NetworkGuard = Literal["netns", "socket-block"]
"""How the child is kept off the network: a fresh network namespace, or an audit hook refusing sockets."""

_CHILD = Path(__file__).with_name("_sandbox_child.py")
_CLONE_NEWNET = 0x40000000
_OUTPUT_SLACK = 64 * 1024


class SandboxLimits(FrozenModel):
    """Limits of one sandboxed run.

    Attributes:
        cpu_s: CPU seconds before the child is killed (RLIMIT_CPU).
        memory_mb: Address space of the child in MiB (RLIMIT_AS).
        wall_s: Wall-clock seconds before the child is killed.
        max_output_bytes: Largest reply (result plus printed output) accepted from the child.
    """

    cpu_s: int = Field(default=5, ge=1, le=600)
    memory_mb: int = Field(default=512, ge=64, le=65536)
    wall_s: float = Field(default=15.0, gt=0, le=3600)
    max_output_bytes: int = Field(default=1_000_000, ge=1024, le=256 * 1024 * 1024)


class SandboxRun(FrozenModel):
    """What a sandboxed run produced.

    Attributes:
        result: The value the code bound to ``result`` (JSON; non-JSON values become their repr).
        stdout: What the code printed.
        network_guard: The network guard that was in force in the child.
    """

    result: JsonValue = None
    stdout: str = ""
    network_guard: NetworkGuard


@functools.cache
def _libc_unshare() -> Callable[[int], int] | None:
    # Resolved in the parent: loading a library after fork() is not safe in a threaded process.
    try:
        return ctypes.CDLL(None, use_errno=True).unshare
    except (OSError, AttributeError):
        return None


def _host_netns() -> str | None:
    try:
        return os.readlink("/proc/self/ns/net")
    except OSError:
        return None


def _confine(limits: SandboxLimits, network_namespace: bool) -> Callable[[], None]:
    import resource  # noqa: PLC0415  (POSIX only; runs in the child before exec)

    cpu, memory = limits.cpu_s, limits.memory_mb * 1024 * 1024
    file_size = limits.max_output_bytes + _OUTPUT_SLACK
    unshare = _libc_unshare() if network_namespace else None

    def confine() -> None:
        # Hard CPU limit one second above soft: SIGXCPU first, SIGKILL if it is ignored.
        resource.setrlimit(resource.RLIMIT_CPU, (cpu, cpu + 1))
        resource.setrlimit(resource.RLIMIT_AS, (memory, memory))
        resource.setrlimit(resource.RLIMIT_FSIZE, (file_size, file_size))
        resource.setrlimit(resource.RLIMIT_CORE, (0, 0))
        if unshare is not None:
            # The result is not checked here: the child compares namespaces and picks its guard.
            unshare(_CLONE_NEWNET)

    return confine


class Sandbox:
    """Runs Python source in a confined subprocess, never in the calling process.

    Args:
        limits: CPU, memory, wall-clock and output limits for every run.
        network_namespace: Move the child into a fresh network namespace when the kernel allows it;
            False always uses the socket-refusing audit hook instead.
    """

    def __init__(self, limits: SandboxLimits | None = None, *, network_namespace: bool = True) -> None:
        self.limits = limits or SandboxLimits()
        self.network_namespace = network_namespace

    def run(self, source: str, payload: JsonValue = None) -> SandboxRun:
        """Execute ``source`` with ``payload`` bound to the name ``payload``; return what it left in ``result``.

        Args:
            source: Python source; it reads ``payload`` and assigns its answer to ``result``.
            payload: JSON data handed to the child on stdin.

        Returns:
            The result, the printed output and the network guard in force.

        Raises:
            SandboxError: The child hit a limit (``details['limit']``), raised (``details['error_type']``)
                or replied with something unreadable.
        """
        request = {
            "source": source,
            "payload": payload,
            "host_netns": _host_netns(),
            "max_output_bytes": self.limits.max_output_bytes,
        }
        with tempfile.TemporaryDirectory(prefix="agentrt-sandbox-") as scratch:
            returncode, reply, stderr = self._spawn(Path(scratch), json.dumps(request).encode())
        return _interpret(returncode, reply, stderr, self.limits)

    def _spawn(self, scratch: Path, request: bytes) -> tuple[int, bytes, str]:
        work = scratch / "work"
        work.mkdir()
        env = {"PATH": "/usr/bin:/bin", "LANG": "C.UTF-8", "HOME": str(work), "TMPDIR": str(work)}
        with open(scratch / "stdout", "w+b") as out, open(scratch / "stderr", "w+b") as err:
            proc = subprocess.Popen(
                [sys.executable, "-I", "-S", str(_CHILD)],
                stdin=subprocess.PIPE,
                stdout=out,
                stderr=err,
                cwd=work,
                env=env,
                preexec_fn=_confine(self.limits, self.network_namespace),
                start_new_session=True,
                close_fds=True,
            )
            try:
                proc.communicate(request, timeout=self.limits.wall_s)
            except subprocess.TimeoutExpired:
                _kill_group(proc)
                raise SandboxError(
                    f"sandboxed code ran past the wall-clock limit of {self.limits.wall_s} s",
                    limit="wall_s",
                    value=self.limits.wall_s,
                ) from None
            out.seek(0)
            reply = out.read(self.limits.max_output_bytes + _OUTPUT_SLACK + 1)
            err.seek(0)
            stderr = err.read(16_384).decode(errors="replace")
        return proc.returncode, reply, stderr


def _kill_group(proc: subprocess.Popen[bytes]) -> None:
    with contextlib.suppress(ProcessLookupError):
        os.killpg(proc.pid, signal.SIGKILL)
    proc.wait()


def _interpret(returncode: int, raw: bytes, stderr: str, limits: SandboxLimits) -> SandboxRun:
    if returncode in (-signal.SIGXCPU, -signal.SIGKILL):
        raise SandboxError(
            f"sandboxed code exceeded the CPU limit of {limits.cpu_s} s",
            limit="cpu_s",
            value=limits.cpu_s,
            returncode=returncode,
        )
    if returncode == -signal.SIGXFSZ or len(raw) > limits.max_output_bytes + _OUTPUT_SLACK:
        raise SandboxError(
            f"sandboxed code exceeded the output limit of {limits.max_output_bytes} bytes",
            limit="max_output_bytes",
            value=limits.max_output_bytes,
        )
    try:
        reply = json.loads(raw)
    except ValueError:
        if "MemoryError" in stderr or "Cannot allocate memory" in stderr:
            raise SandboxError(
                f"sandboxed code exceeded the memory limit of {limits.memory_mb} MiB",
                limit="memory_mb",
                value=limits.memory_mb,
            ) from None
        raise SandboxError(
            f"sandboxed child died without a reply (exit {returncode}): {stderr[-500:]}",
            limit=None,
            returncode=returncode,
        ) from None
    if reply.get("ok"):
        return SandboxRun(result=reply.get("result"), stdout=reply.get("stdout", ""), network_guard=reply["guard"])
    return _raise_reply(reply, limits)


def _raise_reply(reply: dict[str, str], limits: SandboxLimits) -> SandboxRun:
    error_type = reply.get("error_type", "Error")
    if error_type == "MemoryError":
        raise SandboxError(
            f"sandboxed code exceeded the memory limit of {limits.memory_mb} MiB",
            limit="memory_mb",
            value=limits.memory_mb,
        )
    if error_type == "OutputTooLarge":
        raise SandboxError(
            f"sandboxed code exceeded the output limit of {limits.max_output_bytes} bytes",
            limit="max_output_bytes",
            value=limits.max_output_bytes,
        )
    tail = reply.get("traceback", "").strip().splitlines()[-3:]
    raise SandboxError(
        f"sandboxed code raised {error_type}: {reply.get('message', '')}",
        limit=None,
        error_type=error_type,
        reason=reply.get("message", ""),
        traceback="\n".join(tail),
        guard=reply.get("guard"),
    )
