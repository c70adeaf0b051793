"""Sandboxed compute: run Python source in a confined child process, data in as JSON, result out as JSON.

The child is a fresh interpreter (``python -I -S``: no site-packages, no
``PYTHON*`` variables) run under bubblewrap (``bwrap``) in fresh user, mount,
pid, network, ipc, uts and cgroup namespaces, as uid and gid 65534, with its
own session and killed with its parent. It sees only the shared libraries and
the interpreter's installation prefix (read-only), its bootstrap, a fresh
``/proc`` (its own processes only), a minimal read-only ``/dev`` and a private
size-limited tmpfs at ``/tmp`` with its work dir: no runtime data dir, no
``/etc``, no home, no Ray session dir, no network but an empty loopback.
When the runtime runs as root, bwrap is started as uid 65534 on the host as
well (see ``_isolation``). The JSON request goes in on stdin and the reply
comes out on stdout, as files of the parent's.

Inside, limits set before exec still hold (CPU seconds, address space, file
size, no core files), a wall-clock timer kills the whole process group, and an
audit hook refuses process spawning, native code loading and limit changes
(defence in depth; with ``block_sockets`` it refuses sockets too).

The sandbox refuses to run at all, with ``SandboxError`` (``details['missing']``
is ``bwrap`` or ``namespaces``), when bubblewrap is not installed or cannot
create its namespaces; a trivial child is probed once per process and bwrap.

A run that hits a limit raises ``SandboxError`` whose ``limit`` detail names
it (``cpu_s``, ``memory_mb``, ``wall_s``, ``max_output_bytes``); code that
raises inside the sandbox gives ``SandboxError`` with ``error_type``.
"""

from __future__ import annotations

import contextlib
import json
import os
import select
import shutil
import signal
import subprocess
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import Literal

from pydantic import Field, JsonValue

from agentrt.contracts import SandboxError
from agentrt.specialists.tools import _isolation
from agentrt.specialists.tools._frozen import FrozenModel

__all__ = ["NetworkGuard", "Sandbox", "SandboxLimits", "SandboxRun"]

NetworkGuard = Literal["bwrap", "socket-block"]
"""How the child is kept off the network: bwrap's fresh network namespace, or also an audit hook refusing sockets."""

_OUTPUT_SLACK = 64 * 1024
_INSTALL = "install bubblewrap (Debian/Ubuntu: apt-get install bubblewrap; Fedora: dnf install bubblewrap)"
_NAMESPACES = (
    "allow user namespaces for bwrap (sysctl user.max_user_namespaces > 0, kernel.unprivileged_userns_clone=1; "
    "in a container, a seccomp/AppArmor profile that permits them) and use bubblewrap 0.8 or later"
)


class SandboxLimits(FrozenModel):
    """Limits of one sandboxed run.

    Attributes:
        cpu_s: CPU seconds before the child is killed (RLIMIT_CPU).
        memory_mb: Address space of the child in MiB (RLIMIT_AS).
        wall_s: Wall-clock seconds before the child is killed.
        max_output_bytes: Largest reply (result plus printed output) accepted from the child.
        tmp_mb: Size in MiB of the child's private ``/tmp``, the only place it can write.
    """

    cpu_s: int = Field(default=5, ge=1, le=600)
    memory_mb: int = Field(default=512, ge=64, le=65536)
    wall_s: float = Field(default=15.0, gt=0, le=3600)
    max_output_bytes: int = Field(default=1_000_000, ge=1024, le=256 * 1024 * 1024)
    tmp_mb: int = Field(default=64, ge=1, le=4096)


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


def _host_netns() -> str | None:
    try:
        return os.readlink("/proc/self/ns/net")
    except OSError:
        return None


def _confine(limits: SandboxLimits, enter: Callable[[], None]) -> Callable[[], None]:
    import resource  # noqa: PLC0415  (POSIX only; runs in the child before exec)

    cpu, memory = limits.cpu_s, limits.memory_mb * 1024 * 1024
    file_size = limits.max_output_bytes + _OUTPUT_SLACK

    def confine() -> None:
        # Hard CPU limit one second above soft: SIGXCPU first, SIGKILL if it is ignored.
        resource.setrlimit(resource.RLIMIT_CPU, (cpu, cpu + 1))
        resource.setrlimit(resource.RLIMIT_AS, (memory, memory))
        resource.setrlimit(resource.RLIMIT_FSIZE, (file_size, file_size))
        resource.setrlimit(resource.RLIMIT_CORE, (0, 0))
        enter()

    return confine


class Sandbox:
    """Runs Python source in a confined subprocess, never in the calling process.

    Args:
        limits: CPU, memory, wall-clock, output and scratch-space limits for every run.
        bwrap: The bubblewrap executable: a name looked up on ``PATH`` or a path.
        block_sockets: Also refuse every socket operation with an audit hook, on top of the empty
            network namespace (off by default: ``asyncio`` needs a local socket pair).
    """

    def __init__(
        self, limits: SandboxLimits | None = None, *, bwrap: str = "bwrap", block_sockets: bool = False
    ) -> None:
        self.limits = limits or SandboxLimits()
        self.bwrap = bwrap
        self.block_sockets = block_sockets

    def check(self) -> str:
        """Confirm that bubblewrap confines a child here (probed once per process and executable).

        Returns:
            The path of the bwrap executable.

        Raises:
            SandboxError: bwrap is missing (``details['missing'] == 'bwrap'``) or cannot create the
                namespaces or drop privileges (``details['missing'] == 'namespaces'``).
        """
        found = shutil.which(self.bwrap)
        if found is None:
            raise SandboxError(
                f"sandboxed compute needs bubblewrap, and {self.bwrap!r} is not an executable here: {_INSTALL}",
                missing="bwrap",
                bwrap=self.bwrap,
                remedy=_INSTALL,
            )
        failure = _isolation.probe(found)
        if failure is not None:
            raise SandboxError(
                f"bubblewrap ({found}) cannot confine the sandbox here: {failure}; {_NAMESPACES}",
                missing="namespaces",
                bwrap=found,
                reason=failure,
                remedy=_NAMESPACES,
            )
        return found

    def run(self, source: str, payload: JsonValue = None) -> SandboxRun:
        """Execute ``source`` with ``payload`` bound to the name ``payload``; return what it left in ``result``.

        Args:
            source: Python source; it reads ``payload`` and assigns its answer to ``result``.
            payload: JSON data handed to the child on stdin.

        Returns:
            The result, the printed output and the network guard in force.

        Raises:
            SandboxError: The sandbox cannot confine a child here (``details['missing']``, see ``check``),
                or the child hit a limit (``details['limit']``), raised (``details['error_type']``)
                or replied with something unreadable.
        """
        bwrap = self.check()
        request = {
            "source": source,
            "payload": payload,
            "host_netns": _host_netns(),
            "block_sockets": self.block_sockets,
            "max_output_bytes": self.limits.max_output_bytes,
        }
        with tempfile.TemporaryDirectory(prefix="agentrt-sandbox-") as scratch:
            returncode, reply, stderr = self._spawn(bwrap, Path(scratch), json.dumps(request).encode())
        return _interpret(returncode, reply, stderr, self.limits)

    def _spawn(self, bwrap: str, scratch: Path, request: bytes) -> tuple[int, bytes, str]:
        command = (_isolation.interpreter(), "-I", "-S", _isolation.BOOTSTRAP)
        launch = _isolation.prepare(bwrap, scratch, self.limits.tmp_mb * 1024 * 1024, command)
        # The request is a file, not a pipe: a child that never reads cannot block the parent.
        (scratch / "request").write_bytes(request)
        with (
            open(scratch / "request", "rb") as inp,
            open(scratch / "stdout", "w+b") as out,
            open(scratch / "stderr", "w+b") as err,
        ):
            proc = subprocess.Popen(
                launch.argv,
                stdin=inp,
                stdout=out,
                stderr=err,
                cwd="/",
                env={},
                preexec_fn=_confine(self.limits, launch.enter()),
                start_new_session=True,
                close_fds=True,
            )
            if not _exits_within(proc, self.limits.wall_s):
                _kill_group(proc)
                raise SandboxError(
                    f"sandboxed code ran past the wall-clock limit of {self.limits.wall_s} s",
                    limit="wall_s",
                    value=self.limits.wall_s,
                )
            out.seek(0)
            reply = out.read(self.limits.max_output_bytes + _OUTPUT_SLACK + 1)
            err.seek(0)
            stderr = err.read(16_384).decode(errors="replace")
        return proc.returncode, reply, stderr


def _exits_within(proc: subprocess.Popen[bytes], seconds: float) -> bool:
    # A pidfd turns readable the moment the child exits; Popen.wait(timeout) polls with growing sleeps.
    pidfd = os.pidfd_open(proc.pid)
    try:
        exited, _, _ = select.select([pidfd], [], [], seconds)
    finally:
        os.close(pidfd)
    if exited:
        proc.wait()
    return bool(exited)


def _kill_group(proc: subprocess.Popen[bytes]) -> None:
    with contextlib.suppress(ProcessLookupError):
        os.killpg(proc.pid, signal.SIGKILL)
    proc.wait()


def _interpret(returncode: int, raw: bytes, stderr: str, limits: SandboxLimits) -> SandboxRun:
    # bwrap exits 128 + N when the child died of signal N.
    if returncode in (128 + signal.SIGXCPU, 128 + signal.SIGKILL):
        raise SandboxError(
            f"sandboxed code exceeded the CPU limit of {limits.cpu_s} s",
            limit="cpu_s",
            value=limits.cpu_s,
            returncode=returncode,
        )
    if returncode == 128 + signal.SIGXFSZ or len(raw) > limits.max_output_bytes + _OUTPUT_SLACK:
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
    if error_type == "Unconfined":
        raise SandboxError("the sandboxed child ran as uid 0: bubblewrap did not confine it", missing="namespaces")
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
