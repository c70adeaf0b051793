"""The base of every value a tool returns: frozen, strict about extra fields, JSON-compatible."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict

__all__ = ["FrozenModel"]


class FrozenModel(BaseModel):
    """A frozen pydantic model whose ``model_dump()`` is plain JSON."""

    model_config = ConfigDict(frozen=True, extra="forbid")
