"""Bubblewrap confinement of a sandboxed child: its command line, the file system it sees and who it runs as.

The child runs in fresh namespaces (``bwrap --unshare-all``: user, mount, pid,
network, ipc, uts, cgroup; no further user namespaces) as uid and gid 65534.
Its file system holds only the shared libraries (``/usr/lib``, ``/lib*``) and
the interpreter's installation prefix read-only, its bootstrap at
``/sandbox/child.py``, a fresh ``/proc`` and a read-only minimal ``/dev``, and a
size-limited tmpfs at ``/tmp`` holding its work dir ``/tmp/work``: the only
place it can write, gone when it exits.

When the runtime runs as root, bwrap itself is started as uid 65534 on the
host too, so nothing the child does reaches the host with root's rights (root
in a user namespace would still own ``/proc/sys``). uid 65534 may not be able
to reach the interpreter (pyenv installs under ``/root``, mode 0700): the
forked child first moves into a private mount namespace and binds every source
onto a stage in its scratch directory, which bwrap then mounts at the original
path. Those stage mounts vanish with that namespace.
"""

from __future__ import annotations

import ctypes
import functools
import os
import subprocess
import sys
import tempfile
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

__all__ = ["BOOTSTRAP", "SANDBOX_UID", "WORK_DIR", "Launch", "interpreter", "prepare", "probe"]

SANDBOX_UID = 65534
BOOTSTRAP = "/sandbox/child.py"
WORK_DIR = "/tmp/work"

_CHILD = Path(__file__).with_name("_sandbox_child.py")
_LIBRARY_DIRS = ("/lib", "/lib32", "/lib64", "/libx32", "/usr/lib", "/usr/lib32", "/usr/lib64", "/usr/libx32")
_LOADER_CACHE = "/etc/ld.so.cache"
_CLONE_NEWNS = 0x00020000
_MS_BIND, _MS_REC, _MS_PRIVATE = 0x1000, 0x4000, 0x40000
_PROBE = "import os, sys\nsys.exit(3 if os.getuid() == 0 else 0)"

Stage = tuple[tuple[bytes, bytes], ...]


@dataclass(frozen=True)
class Launch:
    """How to start one confined child.

    Attributes:
        argv: bwrap's command line, ending with the command run inside.
        stage: Bind mounts (host source, stage target) the forked child makes before exec; empty unless root.
    """

    argv: tuple[str, ...]
    stage: Stage

    def enter(self) -> Callable[[], None]:
        """The part of the pre-exec function that stages the mounts and drops root; a no-op unless root."""
        if not self.stage:
            return lambda: None
        unshare, mount = _libc()
        stage = self.stage

        def drop_root() -> None:
            if unshare(_CLONE_NEWNS) != 0:
                raise OSError(ctypes.get_errno(), "unshare(CLONE_NEWNS)")
            # Private first, so the stage mounts never propagate back to the host.
            if mount(None, b"/", None, _MS_REC | _MS_PRIVATE, None) != 0:
                raise OSError(ctypes.get_errno(), "mount --make-rprivate /")
            for source, target in stage:
                if mount(source, target, None, _MS_BIND | _MS_REC, None) != 0:
                    raise OSError(ctypes.get_errno(), f"mount --bind {source!r}")
            os.setgroups([])
            os.setgid(SANDBOX_UID)
            os.setuid(SANDBOX_UID)

        return drop_root


@functools.cache
def _libc() -> tuple[Callable[[int], int], Callable[[bytes | None, bytes, bytes | None, int, None], int]]:
    # Resolved in the parent: loading a library after fork() is not safe in a threaded process.
    libc = ctypes.CDLL(None, use_errno=True)
    libc.mount.argtypes = (ctypes.c_char_p, ctypes.c_char_p, ctypes.c_char_p, ctypes.c_ulong, ctypes.c_void_p)
    return libc.unshare, libc.mount


@functools.cache
def interpreter() -> str:
    """The real executable of the base interpreter (a virtualenv's python is a link or copy of it)."""
    return os.path.realpath(getattr(sys, "_base_executable", None) or sys.executable)


@functools.cache
def _layout() -> tuple[tuple[tuple[str, str], ...], tuple[tuple[str, str], ...]]:
    # Read-only binds (host path, sandbox path), parents first, and symlinks (target, path) of the child's root.
    prefixes = {os.path.realpath(p) for p in (sys.base_prefix, sys.base_exec_prefix)}

    def covered(path: str) -> bool:
        return any(path == p or path.startswith(p.rstrip("/") + "/") for p in prefixes)

    binds = {p: p for p in prefixes}
    links = []
    for path in _LIBRARY_DIRS:
        if os.path.islink(path):
            links.append((os.readlink(path), path))
        elif os.path.isdir(path) and not covered(path):
            binds[path] = path
    if not covered(interpreter()):
        binds[interpreter()] = interpreter()
    if os.path.isfile(_LOADER_CACHE):
        binds[_LOADER_CACHE] = _LOADER_CACHE
    binds[str(_CHILD)] = BOOTSTRAP
    ordered = tuple(sorted(binds.items(), key=lambda bind: bind[1]))
    return ordered, tuple(links)


def prepare(bwrap: str, scratch: Path, tmp_bytes: int, command: Sequence[str]) -> Launch:
    """Build the bwrap command line that runs ``command`` confined; stage its sources in ``scratch`` when root.

    Args:
        bwrap: Path of the bubblewrap executable.
        scratch: A fresh directory of the parent's, removed after the run.
        tmp_bytes: Size of the child's tmpfs at ``/tmp``.
        command: The command to run inside, e.g. the interpreter and its bootstrap.

    Returns:
        The command line and the mounts to stage before exec.
    """
    binds, links = _layout()
    stage: list[tuple[bytes, bytes]] = []
    argv = [bwrap, "--unshare-all", "--unshare-user", "--disable-userns", "--die-with-parent", "--new-session"]
    argv += ["--uid", str(SANDBOX_UID), "--gid", str(SANDBOX_UID), "--clearenv"]
    argv += ["--setenv", "LANG", "C.UTF-8", "--setenv", "HOME", WORK_DIR, "--setenv", "TMPDIR", WORK_DIR]
    staged = os.geteuid() == 0
    if staged:
        # bwrap runs as uid 65534 and must reach the stage, whatever the umask (services use 077).
        (scratch / "stage").mkdir()
        for directory in (scratch, scratch / "stage"):
            os.chmod(directory, 0o711)
    for index, (source, target) in enumerate(binds):
        if staged:
            spot = scratch / "stage" / str(index)
            if os.path.isdir(source):
                spot.mkdir()
            else:
                spot.touch()
            stage.append((source.encode(), str(spot).encode()))
            source = str(spot)
        argv += ["--ro-bind", source, target]
    for target, path in links:
        argv += ["--symlink", target, path]
    argv += ["--proc", "/proc", "--dev", "/dev", "--remount-ro", "/dev"]
    argv += ["--size", str(tmp_bytes), "--tmpfs", "/tmp", "--dir", WORK_DIR, "--chdir", WORK_DIR, "--remount-ro", "/"]
    return Launch(argv=(*argv, "--", *command), stage=tuple(stage))


@functools.cache
def probe(bwrap: str) -> str | None:
    """Start one trivial confined child, once per process and bwrap; None when it ran as an unprivileged user.

    Args:
        bwrap: Path of the bubblewrap executable.

    Returns:
        None, or what went wrong (bwrap's own words where it said any).
    """
    with tempfile.TemporaryDirectory(prefix="agentrt-sandbox-probe-") as scratch:
        launch = prepare(bwrap, Path(scratch), 1 << 20, (interpreter(), "-I", "-S", "-c", _PROBE))
        try:
            done = subprocess.run(
                launch.argv,
                stdin=subprocess.DEVNULL,
                capture_output=True,
                cwd="/",
                env={},
                preexec_fn=launch.enter(),
                timeout=30,
                check=False,
            )
        except subprocess.TimeoutExpired:
            return "a trivial sandboxed child did not finish within 30 s"
        except subprocess.SubprocessError as exc:
            return f"could not stage the sandbox's mounts or drop root before starting bwrap ({exc})"
        except OSError as exc:
            return f"could not start {bwrap}: {exc}"
    if done.returncode == 3:
        return "the sandboxed child ran as uid 0"
    if done.returncode != 0:
        return done.stderr.decode(errors="replace").strip()[-500:] or f"bwrap exited {done.returncode}"
    return None
