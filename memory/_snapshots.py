"""Index snapshots: a partition's FAISS index on disk, so a restart need not rebuild it from SQLite.

A snapshot is ``<data_dir>/snapshots/<sha256 of tenant/scope/owner>.faiss`` and a
JSON sidecar beside it naming the format version, the database it was taken
from, the partition, the index kind, dim, the highest row id covered, the count
and the sha256 of the index file. Both are written atomically (temp file, fsync,
rename), mode 0600, the sidecar last. A snapshot that does not match in every
field is ignored and the partition rebuilt from SQLite: SQLite stays the source
of truth and the rows loaded from it still filter every candidate.
"""

from __future__ import annotations

import hashlib
import json
import os
from dataclasses import asdict, dataclass
from pathlib import Path

import numpy as np
import structlog
from numpy.typing import NDArray

from agentrt.memory.config import IndexConfig
from agentrt.memory.index import PartitionIndex

_log = structlog.get_logger("agentrt.memory")
FORMAT = 1


@dataclass(frozen=True, slots=True)
class SnapshotInfo:
    """What the sidecar says about its index file."""

    version: int
    database: str
    partition: str
    kind: str
    dim: int
    max_rid: int
    count: int
    sha256: str


def _write_atomically(path: Path, data: bytes | memoryview) -> None:
    temp = path.with_name(path.name + ".tmp")
    fd = os.open(temp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    try:
        with os.fdopen(fd, "wb") as out:
            out.write(data)
            out.flush()
            os.fsync(out.fileno())
        os.replace(temp, path)
    except BaseException:
        temp.unlink(missing_ok=True)
        raise


class SnapshotStore:
    """Reads and writes the index snapshots of one memory database.

    Args:
        root: The snapshot directory (created 0700 on first write).
        database: The identity of the database the snapshots belong to.
        dim: Vector dimension.
        config: Index configuration a restored index runs with.
    """

    def __init__(self, root: Path, database: str, dim: int, config: IndexConfig) -> None:
        self._root = root
        self._database = database
        self._dim = dim
        self._config = config

    def _paths(self, key: str) -> tuple[Path, Path]:
        name = hashlib.sha256(key.encode()).hexdigest()
        return self._root / f"{name}.faiss", self._root / f"{name}.json"

    def write(self, key: str, data: NDArray[np.uint8], *, approximate: bool, max_rid: int, count: int) -> None:
        """Write a serialized index of partition ``key`` (safe off the event loop: it touches no shared state)."""
        self._root.mkdir(mode=0o700, parents=True, exist_ok=True)
        index_path, sidecar = self._paths(key)
        info = SnapshotInfo(
            version=FORMAT,
            database=self._database,
            partition=key,
            kind="hnsw" if approximate else "flat",
            dim=self._dim,
            max_rid=max_rid,
            count=count,
            sha256=hashlib.sha256(data.data).hexdigest(),
        )
        _write_atomically(index_path, data.data)
        _write_atomically(sidecar, json.dumps(asdict(info)).encode())
        dir_fd = os.open(self._root, os.O_RDONLY)
        try:
            os.fsync(dir_fd)
        finally:
            os.close(dir_fd)

    def read(self, key: str) -> tuple[PartitionIndex, SnapshotInfo] | None:
        """Return the snapshot of partition ``key`` and its sidecar, or None (logged) when missing or unusable."""
        index_path, sidecar = self._paths(key)
        if not sidecar.exists():
            return None
        try:
            info = SnapshotInfo(**json.loads(sidecar.read_bytes()))
            expected = (FORMAT, self._database, key, self._dim)
            if (info.version, info.database, info.partition, info.dim) != expected:
                raise ValueError("snapshot of another format, database, partition or dimension")
            data = np.fromfile(index_path, dtype=np.uint8)
            if hashlib.sha256(data.data).hexdigest() != info.sha256:
                raise ValueError("index file does not match its sidecar")
            index = PartitionIndex.from_bytes(data, self._dim, self._config)
            ids = index.stored_ids()
            kind = "hnsw" if index.approximate else "flat"
            if kind != info.kind or len(ids) != info.count or (len(ids) and int(ids.max()) > info.max_rid):
                raise ValueError("index does not match its sidecar")
        except Exception as error:  # noqa: BLE001 - any unusable snapshot means a rebuild, never a failed search
            _log.warning("memory snapshot ignored", partition=key, error=str(error))
            return None
        return index, info
