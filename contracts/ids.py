"""Typed identifiers.

Identifiers are short opaque strings. They are checked at the boundary so a
crafted id (path separators, control characters, megabyte strings) never
reaches a store or a log line.
"""

from __future__ import annotations

import secrets
from typing import Annotated

from pydantic import StringConstraints

__all__ = [
    "AgentId",
    "CallId",
    "Name",
    "RecordId",
    "RequestId",
    "RunId",
    "StepId",
    "TenantId",
    "UserId",
    "new_id",
]

_ID = StringConstraints(min_length=1, max_length=128, pattern=r"^[A-Za-z0-9][A-Za-z0-9_.:@\-]*$")

RunId = Annotated[str, _ID]
StepId = Annotated[str, _ID]
TenantId = Annotated[str, _ID]
UserId = Annotated[str, _ID]
AgentId = Annotated[str, _ID]
RecordId = Annotated[str, _ID]
RequestId = Annotated[str, _ID]
CallId = Annotated[str, _ID]
Name = Annotated[str, StringConstraints(min_length=1, max_length=64, pattern=r"^[A-Za-z][A-Za-z0-9_\-]*$")]
"""A role, tool or artifact name."""


def new_id(prefix: str) -> str:
    """Return a fresh random identifier such as ``run-3f9a0c...``."""
    return f"{prefix}-{secrets.token_hex(8)}"
