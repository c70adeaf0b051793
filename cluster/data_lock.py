"""One supervisor per data directory: an exclusive lock on ``<data_dir>/supervisor.lock``.

The supervisor that serves a data directory holds the lock for the life of its
process (the operating system drops it when the process dies, so a restarted
supervisor takes it over). A second runtime pointed at the same directory, from
another cluster or from this process, is refused before it starts, instead of
two supervisors writing one run database.
"""

from __future__ import annotations

import fcntl
import os
import socket
import time
from pathlib import Path

from agentrt.contracts import ConfigError

__all__ = ["hold_data_dir", "holder_of", "release_data_dir"]

_HELD: dict[Path, int] = {}


def _path(data_dir: Path) -> Path:
    return data_dir.expanduser().resolve() / "supervisor.lock"


def holder_of(data_dir: Path) -> str | None:
    """Who holds the data directory (``pid@host``), or None when nobody does."""
    path = _path(data_dir)
    if path.parent in _HELD or not path.exists():
        return None
    fd = os.open(path, os.O_RDWR)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        return path.read_text().strip() or "another process"
    else:
        fcntl.flock(fd, fcntl.LOCK_UN)
        return None
    finally:
        os.close(fd)


def hold_data_dir(data_dir: Path, wait_s: float = 60.0) -> None:
    """Take the data directory for this process, waiting up to ``wait_s`` for a dying holder to go.

    Raises:
        ConfigError: Another live process holds it.
    """
    path = _path(data_dir)
    if path.parent in _HELD:
        return
    path.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o600)
    end = time.monotonic() + wait_s
    while True:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            break
        except BlockingIOError:
            if time.monotonic() >= end:
                holder = path.read_text().strip() or "another process"
                os.close(fd)
                raise ConfigError(f"{data_dir} is in use by another agentrt runtime ({holder})",
                                  data_dir=str(data_dir)) from None
            time.sleep(0.2)
    os.ftruncate(fd, 0)
    os.write(fd, f"pid {os.getpid()} on {socket.gethostname()}".encode())
    _HELD[path.parent] = fd


def release_data_dir(data_dir: Path) -> None:
    """Give the data directory back (a process that ends gives it back anyway)."""
    fd = _HELD.pop(_path(data_dir).parent, None)
    if fd is not None:
        fcntl.flock(fd, fcntl.LOCK_UN)
        os.close(fd)
