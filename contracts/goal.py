"""What a user asks for: a goal, its budget and the data attached to it."""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import Field, StringConstraints

from agentrt.contracts._base import Contract, Timestamp, utcnow
from agentrt.contracts.ids import Name, TenantId, UserId

__all__ = ["Attachment", "Budget", "Goal"]


class Budget(Contract):
    """Limits a run (or a single step) must stay within."""

    kind: Literal["budget"] = "budget"
    max_steps: int = Field(default=24, ge=1, le=1000)
    max_tokens: int = Field(default=200_000, ge=1)
    max_cost_usd: float = Field(default=5.0, ge=0)
    max_wall_s: float = Field(default=600.0, gt=0)


class Attachment(Contract):
    """A document or data file handed in with a goal, carried inline."""

    kind: Literal["attachment"] = "attachment"
    name: Annotated[str, StringConstraints(min_length=1, max_length=255, pattern=r"^[^/\\\x00]+$")]
    media_type: str = "text/plain"
    content: str = Field(max_length=8_000_000)


class Goal(Contract):
    """A user's goal: free text plus who asks and within what limits."""

    kind: Literal["goal"] = "goal"
    text: Annotated[str, StringConstraints(strip_whitespace=True, min_length=3, max_length=8000)]
    tenant: TenantId
    user: UserId
    constraints: tuple[str, ...] = ()
    acceptance_criteria: tuple[str, ...] = ()
    budget: Budget = Budget()
    attachments: tuple[Attachment, ...] = ()
    workflow: Name | None = None
    created_at: Timestamp = Field(default_factory=utcnow)
