"""SQL conditions that apply the retention policy in force to stored rows.

A row is expired when its own expiry has passed, or when it is older than its
partition's (else its scope's) limit in the policy in force now. Checking the
age against the current policy, not only an expiry stamped at write time, means
a shortened limit takes effect on the next read and sweep.
"""

from __future__ import annotations

import sqlite3
from dataclasses import dataclass

from agentrt.contracts.memory import Partition
from agentrt.memory.config import RetentionPolicy

SqlParam = str | float | int


@dataclass(frozen=True, slots=True)
class RowShape:
    """Where a table keeps the fields retention needs.

    Attributes:
        scope: SQL expression of the row's scope (a column, or a literal for single-scope tables).
        owner: Column of the partition owner.
        born: Column of the instant the row was written.
    """

    scope: str
    owner: str
    born: str


def live_clause(
    policy: RetentionPolicy, partition: Partition, now: float, shape: RowShape
) -> tuple[str, list[SqlParam]]:
    """Return a condition (starting with AND) keeping only unexpired rows of one partition."""
    ttl = policy.ttl_for(partition)
    sql = " AND (expires_at IS NULL OR expires_at > ?)"
    params: list[SqlParam] = [now]
    if ttl is not None:
        sql += f" AND {shape.born} > ?"
        params.append(now - ttl)
    return sql, params


def born_after(policy: RetentionPolicy, partition: Partition, now: float) -> float | None:
    """Return the instant rows of ``partition`` must be written after to be live now (None: no age limit)."""
    ttl = policy.ttl_for(partition)
    return None if ttl is None else now - ttl


def expired_clause(policy: RetentionPolicy, now: float, shape: RowShape) -> tuple[str, list[SqlParam]]:
    """Return a condition selecting every expired row of a table, across partitions."""
    parts = ["(expires_at IS NOT NULL AND expires_at <= ?)"]
    params: list[SqlParam] = [now]
    keys: list[str] = []
    for key, ttl in policy.partition_ttl_s.items():
        tenant, scope, owner = (key.split("/", 2) + ["", ""])[:3]
        keys.append(key)
        parts.append(f"(tenant = ? AND {shape.scope} = ? AND {shape.owner} = ? AND {shape.born} <= ?)")
        params += [tenant, scope, owner, now - ttl]
    for scope, ttl in policy.scope_ttl_s.items():
        clause = f"({shape.scope} = ? AND {shape.born} <= ?"
        params += [scope.value, now - ttl]
        if keys:
            # Partitions with their own limit follow it, not their scope's.
            marks = ", ".join("?" for _ in keys)
            clause += f" AND (tenant || '/' || {shape.scope} || '/' || {shape.owner}) NOT IN ({marks})"
            params += keys
        parts.append(clause + ")")
    return "(" + " OR ".join(parts) + ")", params


@dataclass(frozen=True, slots=True)
class Sweep:
    """One pass of the sweep: the policy in force, the instant, a row limit and an optional tenant."""

    policy: RetentionPolicy
    now: float
    limit: int
    tenant: str | None = None


def sweep_table(
    conn: sqlite3.Connection, table: str, shape: RowShape, sweep: Sweep, returning: str
) -> list[tuple[SqlParam, ...]]:
    """Delete up to ``sweep.limit`` expired rows of ``table``; return the ``returning`` columns of each."""
    where, params = expired_clause(sweep.policy, sweep.now, shape)
    if sweep.tenant is not None:
        where += " AND tenant = ?"
        params.append(sweep.tenant)
    sql = f"DELETE FROM {table} WHERE rowid IN (SELECT rowid FROM {table} WHERE {where} LIMIT ?) RETURNING {returning}"
    return [tuple(row) for row in conn.execute(sql, [*params, sweep.limit]).fetchall()]
