"""An error as data, as it crosses actor boundaries inside results and events."""

from __future__ import annotations

from typing import Literal

from agentrt.contracts._base import Contract

__all__ = ["ErrorInfo"]


class ErrorInfo(Contract):
    """An error as data: its type name, message and, where known, the offending field."""

    kind: Literal["error_info"] = "error_info"
    type: str
    message: str
    field: str | None = None
    transient: bool = False
