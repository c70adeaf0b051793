"""Who may read or write which memory partition: the rules, as pure functions.

Rules, in order:

1. Nothing crosses tenants: the caller's tenant must equal the partition's, for every role.
2. A tenant's supervisor (and the runtime itself, role ``system``) may read and
   write every partition of that tenant and issue grants.
3. A TENANT (shared) partition is readable by every identity of the tenant.
4. An agent owns its AGENT partition (``owner == agent``) and the RUN partition of
   its own run (``owner == run_id``); a user owns its USER partition (``owner == user``).
5. Otherwise only a live grant opens a partition: issued by a supervisor of the
   same tenant, to this agent, for this run, for writing if the caller writes.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from typing import Literal

from agentrt.contracts.identity import Identity
from agentrt.contracts.memory import Grant, Partition, Scope

__all__ = ["Mode", "allows", "may_administer", "may_grant", "owns"]

Mode = Literal["read", "write"]
"""What a request does to a partition."""

_ADMINS = frozenset({"supervisor", "system"})


def allows(
    caller: Identity, partition: Partition, mode: Mode, grants: Iterable[Grant] = (), now: datetime | None = None
) -> bool:
    """Return whether ``caller`` may ``mode`` the ``partition``, given the grants it holds.

    Args:
        caller: Who is asking.
        partition: What it asks for.
        mode: ``"read"`` or ``"write"``.
        grants: Grants that might open the partition (others are ignored).
        now: The instant against which grant expiry is checked (None: expiry not checked).
    """
    if caller.tenant != partition.tenant:
        return False
    if caller.role in _ADMINS:
        return True
    if partition.scope is Scope.TENANT and mode == "read":
        return True
    if owns(caller, partition):
        return True
    return any(_opens(grant, caller, partition, mode, now) for grant in grants)


def owns(caller: Identity, partition: Partition) -> bool:
    """Return whether ``partition`` is the caller's own (its agent, run or user partition)."""
    if caller.tenant != partition.tenant:
        return False
    if partition.scope is Scope.AGENT:
        return caller.role == "agent" and partition.owner == caller.agent
    if partition.scope is Scope.RUN:
        return caller.role == "agent" and caller.run_id is not None and partition.owner == caller.run_id
    if partition.scope is Scope.USER:
        return caller.role == "user" and caller.user is not None and partition.owner == caller.user
    return False


def may_grant(issuer: Identity, partition: Partition) -> bool:
    """Return whether ``issuer`` may open ``partition`` to an agent (a supervisor of its tenant)."""
    return issuer.role in _ADMINS and issuer.tenant == partition.tenant


def may_administer(caller: Identity, tenant: str) -> bool:
    """Return whether ``caller`` may set consent, read the audit log or sweep ``tenant``."""
    return caller.role in _ADMINS and caller.tenant == tenant


def _opens(grant: Grant, caller: Identity, partition: Partition, mode: Mode, now: datetime | None) -> bool:
    if caller.role != "agent" or caller.run_id is None:
        return False
    if not may_grant(grant.caller, grant.partition) or grant.partition != partition:
        return False
    if grant.grantee != caller.agent or grant.run_id != caller.run_id:
        return False
    if mode == "write" and not grant.write:
        return False
    return grant.expires_at is None or now is None or grant.expires_at > now
