"""The SQLite database behind the memory service: schema, durability settings, transactions, time.

SQLite is the source of truth: vectors are stored beside their records as
float32 blobs and FAISS indexes are rebuilt from them, so a crash mid-write
leaves either the whole committed batch or none of it.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import overload

from agentrt.contracts.errors import ConfigError

_SCHEMA = """
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS records (
    rid INTEGER PRIMARY KEY AUTOINCREMENT,
    record_id TEXT NOT NULL UNIQUE,
    tenant TEXT NOT NULL, scope TEXT NOT NULL, owner TEXT NOT NULL,
    text TEXT NOT NULL, category TEXT NOT NULL, metadata TEXT NOT NULL,
    source TEXT NOT NULL, confidence REAL NOT NULL,
    created_at REAL NOT NULL, expires_at REAL,
    vector BLOB NOT NULL
);
CREATE INDEX IF NOT EXISTS records_partition ON records (tenant, scope, owner);
CREATE INDEX IF NOT EXISTS records_expiry ON records (expires_at) WHERE expires_at IS NOT NULL;
CREATE INDEX IF NOT EXISTS records_age ON records (scope, created_at);
CREATE TABLE IF NOT EXISTS facts (
    fid INTEGER PRIMARY KEY AUTOINCREMENT,
    tenant TEXT NOT NULL, scope TEXT NOT NULL, owner TEXT NOT NULL, key TEXT NOT NULL,
    value TEXT NOT NULL, source TEXT NOT NULL, confidence REAL NOT NULL, category TEXT NOT NULL,
    observed_at REAL NOT NULL, written_at REAL NOT NULL, expires_at REAL,
    current INTEGER NOT NULL DEFAULT 1
);
CREATE INDEX IF NOT EXISTS facts_key ON facts (tenant, scope, owner, key, current);
CREATE INDEX IF NOT EXISTS facts_age ON facts (scope, written_at);
CREATE TABLE IF NOT EXISTS resolutions (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    tenant TEXT NOT NULL, scope TEXT NOT NULL, owner TEXT NOT NULL, key TEXT NOT NULL,
    rule TEXT NOT NULL, chosen_fid INTEGER NOT NULL, reason TEXT NOT NULL, actor TEXT NOT NULL, at REAL NOT NULL
);
CREATE INDEX IF NOT EXISTS resolutions_key ON resolutions (tenant, scope, owner, key);
CREATE TABLE IF NOT EXISTS grants (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    tenant TEXT NOT NULL, grantee TEXT NOT NULL, run_id TEXT NOT NULL,
    expires_at REAL, body TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS grants_lookup ON grants (tenant, grantee, run_id);
CREATE TABLE IF NOT EXISTS consent (
    tenant TEXT PRIMARY KEY, allowed TEXT NOT NULL, set_by TEXT NOT NULL, at REAL NOT NULL
);
CREATE TABLE IF NOT EXISTS working (
    tenant TEXT NOT NULL, run_id TEXT NOT NULL, state TEXT NOT NULL,
    updated_at REAL NOT NULL, expires_at REAL,
    PRIMARY KEY (tenant, run_id)
);
CREATE TABLE IF NOT EXISTS audit (
    seq INTEGER PRIMARY KEY AUTOINCREMENT,
    at REAL NOT NULL, tenant TEXT NOT NULL, actor TEXT NOT NULL, action TEXT NOT NULL,
    partition TEXT NOT NULL, target TEXT NOT NULL, reason TEXT NOT NULL, allowed INTEGER NOT NULL
);
CREATE INDEX IF NOT EXISTS audit_tenant ON audit (tenant, seq);
CREATE TRIGGER IF NOT EXISTS audit_is_append_only_update BEFORE UPDATE ON audit
BEGIN SELECT RAISE(ABORT, 'the audit log is append-only'); END;
CREATE TRIGGER IF NOT EXISTS audit_is_append_only_delete BEFORE DELETE ON audit
BEGIN SELECT RAISE(ABORT, 'the audit log is append-only'); END;
"""


def open_database(path: Path, synchronous: str, dim: int) -> sqlite3.Connection:
    """Open (creating if needed) the memory database at ``path`` in WAL mode.

    Raises:
        ConfigError: When the directory holds vectors of another dimension.
    """
    path.parent.mkdir(parents=True, exist_ok=True)
    # Autocommit mode: every statement outside ``transaction`` commits on its own,
    # so nothing is left pending in a connection when a call returns.
    conn = sqlite3.connect(path, isolation_level=None, check_same_thread=False)
    conn.execute("PRAGMA journal_mode=WAL")
    conn.execute(f"PRAGMA synchronous={'FULL' if synchronous == 'FULL' else 'NORMAL'}")
    conn.execute("PRAGMA foreign_keys=ON")
    conn.executescript(_SCHEMA)
    stored = conn.execute("SELECT value FROM meta WHERE key = 'dim'").fetchone()
    if stored is None:
        conn.execute("INSERT INTO meta (key, value) VALUES ('dim', ?)", (str(dim),))
    elif int(stored[0]) != dim:
        conn.close()
        raise ConfigError(f"{path} holds {stored[0]}-dimensional vectors; the embedder makes {dim}", dim=dim)
    return conn


@contextmanager
def transaction(conn: sqlite3.Connection) -> Iterator[sqlite3.Connection]:
    """Run the block as one transaction: committed together on success, rolled back on error."""
    conn.execute("BEGIN IMMEDIATE")
    try:
        yield conn
    except BaseException:
        conn.execute("ROLLBACK")
        raise
    conn.execute("COMMIT")


def to_epoch(moment: datetime | None) -> float | None:
    """Return seconds since the epoch for an aware instant (None stays None)."""
    return None if moment is None else moment.timestamp()


@overload
def from_epoch(seconds: float) -> datetime: ...


@overload
def from_epoch(seconds: None) -> None: ...


@overload
def from_epoch(seconds: float | None) -> datetime | None: ...


def from_epoch(seconds: float | None) -> datetime | None:
    """Return the UTC instant of epoch seconds (None stays None)."""
    return None if seconds is None else datetime.fromtimestamp(seconds, UTC)


def earliest(*moments: float | None) -> float | None:
    """Return the earliest of the given epoch instants, ignoring None."""
    known = [m for m in moments if m is not None]
    return min(known) if known else None
