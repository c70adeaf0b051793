"""Shared building blocks of every contract: the frozen base model and field types."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated

from pydantic import AfterValidator, AwareDatetime, BaseModel, ConfigDict, JsonValue

__all__ = ["Contract", "JsonObject", "JsonValue", "Timestamp", "utcnow"]


def _to_utc(value: datetime) -> datetime:
    # One zone on the wire keeps msgpack round trips bit-exact.
    return value.astimezone(UTC)


Timestamp = Annotated[AwareDatetime, AfterValidator(_to_utc)]
"""A timezone-aware instant, normalised to UTC."""

JsonObject = dict[str, JsonValue]
"""A JSON object: the only free-form payload a contract may carry."""


def utcnow() -> datetime:
    """Return the current instant in UTC."""
    return datetime.now(UTC)


class Contract(BaseModel):
    """Base of every message that crosses an actor boundary: frozen, strict about extra fields."""

    model_config = ConfigDict(frozen=True, extra="forbid", validate_default=False)
