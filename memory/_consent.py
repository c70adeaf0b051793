"""Consent policies in SQLite: which categories each tenant allows to be stored long term."""

from __future__ import annotations

import json
import sqlite3

from agentrt.contracts.memory import ConsentPolicy

ANY_CATEGORY = "*"


class ConsentBook:
    """Reads and writes the ``consent`` table, caching each tenant's allowed categories.

    Args:
        conn: The memory database.
        default: Allowed categories of a tenant without a policy (None: all).
    """

    def __init__(self, conn: sqlite3.Connection, default: tuple[str, ...] | None) -> None:
        self._conn = conn
        self._default = default
        self._cache: dict[str, tuple[str, ...] | None] = {}

    def set(self, policy: ConsentPolicy, set_by: str, now: float) -> None:
        """Store a tenant's policy, replacing the previous one."""
        self._conn.execute(
            "INSERT INTO consent (tenant, allowed, set_by, at) VALUES (?, ?, ?, ?)"
            " ON CONFLICT (tenant) DO UPDATE SET"
            " allowed = excluded.allowed, set_by = excluded.set_by, at = excluded.at",
            (policy.tenant, json.dumps(list(policy.allowed_categories)), set_by, now),
        )
        self._cache[policy.tenant] = tuple(policy.allowed_categories)

    def refusal(self, tenant: str, category: str) -> str | None:
        """Return why ``category`` may not be stored long term for ``tenant``, or None when it may."""
        allowed = self._allowed(tenant)
        if allowed is None or category in allowed or ANY_CATEGORY in allowed:
            return None
        listed = ", ".join(allowed) if allowed else "none"
        return f"consent: tenant {tenant!r} does not allow storing category {category!r} (allowed: {listed})"

    def _allowed(self, tenant: str) -> tuple[str, ...] | None:
        if tenant not in self._cache:
            row = self._conn.execute("SELECT allowed FROM consent WHERE tenant = ?", (tenant,)).fetchone()
            self._cache[tenant] = tuple(json.loads(row[0])) if row else self._default
        return self._cache[tenant]
