"""Who is asking: the identity every memory and tool request carries."""

from __future__ import annotations

from typing import Literal

from agentrt.contracts._base import Contract
from agentrt.contracts.ids import AgentId, RunId, TenantId, UserId

__all__ = ["Identity"]


class Identity(Contract):
    """The caller of a request.

    ``role`` says what kind of principal it is: the supervisor may grant access,
    an agent may only use what it owns or is granted, a user acts for a tenant.
    """

    kind: Literal["identity"] = "identity"
    tenant: TenantId
    agent: AgentId
    role: Literal["supervisor", "agent", "user", "system"] = "agent"
    user: UserId | None = None
    run_id: RunId | None = None
