"""Where a served runtime runs: the record ``agentrt serve`` keeps in the data directory.

``agentrt serve`` (and ``agentrt start``, which runs it in the background) writes
``<data_dir>/runtime.json`` once its actors answer, and removes it when it stops.
Every other command and ``Client()`` read it to join that runtime instead of
starting a cluster of their own.
"""

from __future__ import annotations

import contextlib
import json
import os
from datetime import datetime
from pathlib import Path

from pydantic import BaseModel, ConfigDict, ValidationError

__all__ = ["AUTH_HINT", "LiveRecord", "clear_record", "process_alive", "read_record", "record_path", "write_record"]

AUTH_HINT = (
    "if the cluster uses Ray's token authentication (RAY_AUTH_MODE=token), give this process its token "
    "with RAY_AUTH_TOKEN or RAY_AUTH_TOKEN_PATH (default ~/.ray/auth_token)"
)
"""What to try when joining a cluster fails; see ``deploy/README.md``."""


class LiveRecord(BaseModel):
    """A served runtime.

    Attributes:
        address: The Ray cluster's GCS address (``host:port``).
        namespace: The runtime's Ray namespace.
        pid: Process id of the ``agentrt serve`` that keeps it up.
        fingerprint: The configuration fingerprint it serves.
        started_at: When it came up.
        dashboard: The Ray dashboard's URL, if it runs.
        started_cluster: Whether ``agentrt serve`` started the Ray cluster itself (it stops with it).
    """

    model_config = ConfigDict(frozen=True, extra="forbid")

    address: str
    namespace: str
    pid: int
    fingerprint: str
    started_at: datetime
    dashboard: str = ""
    started_cluster: bool = False


def record_path(data_dir: Path) -> Path:
    """The record file of a data directory."""
    return data_dir / "runtime.json"


def process_alive(pid: int) -> bool:
    """Whether a process of this machine with that id is running."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def read_record(data_dir: Path) -> LiveRecord | None:
    """The served runtime of this data directory, or None (no record, or its process is gone)."""
    path = record_path(data_dir)
    try:
        record = LiveRecord.model_validate_json(path.read_text())
    except (OSError, ValidationError):
        return None
    return record if process_alive(record.pid) else None


def write_record(data_dir: Path, record: LiveRecord) -> Path:
    """Write the record atomically (a reader never sees half of it)."""
    path = record_path(data_dir)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(".json.tmp")
    tmp.write_text(json.dumps(record.model_dump(mode="json"), indent=2))
    tmp.replace(path)
    return path


def clear_record(data_dir: Path, pid: int | None = None) -> None:
    """Remove the record (only the one of process ``pid`` when given)."""
    path = record_path(data_dir)
    with contextlib.suppress(OSError, ValidationError):
        if pid is None or LiveRecord.model_validate_json(path.read_text()).pid == pid:
            path.unlink()
