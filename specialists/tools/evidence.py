"""Facts and passages: the grounded material that tools hand to one another.

A ``Fact`` is one figure with its label, unit and source; compute and SQL tools
produce them, the drafting tool writes them, and the checks trace every number
of a draft back to them. A ``Passage`` is a quoted piece of a document with its
citation. Citations are the runtime's own ``agentrt.contracts.Citation``, so tool
outputs carry straight into artifacts.
"""

from __future__ import annotations

from collections.abc import Sequence

from pydantic import Field, TypeAdapter

from agentrt.contracts import Citation
from agentrt.specialists.tools._frozen import FrozenModel

__all__ = ["Citation", "Fact", "Passage", "as_citations", "as_facts", "as_passages"]


class Fact(FrozenModel):
    """One figure: what it measures, its value, its unit and where it comes from.

    Attributes:
        label: What the figure is, e.g. ``"Revenue 2024-W11, North"``.
        value: The number itself, unrounded.
        unit: ``"%"`` (percent), ``"pp"`` (percentage points), a currency
            (``"USD"``, ``"EUR"``, ``"$"``...), any other unit, or ``""``.
        source: The document or data file the figure was computed from.
    """

    label: str = Field(min_length=1)
    value: float
    unit: str = ""
    source: str = ""


class Passage(FrozenModel):
    """A piece of a document, its retrieval score and the citation that locates it.

    Attributes:
        text: The passage, verbatim.
        score: Relevance to the query that found it (higher is better; 0 when not ranked).
        citation: Document name, heading and line locator, and a verbatim quote.
    """

    text: str
    score: float = 0.0
    citation: Citation


_FACTS: TypeAdapter[list[Fact]] = TypeAdapter(list[Fact])
_PASSAGES: TypeAdapter[list[Passage]] = TypeAdapter(list[Passage])
_CITATIONS: TypeAdapter[list[Citation]] = TypeAdapter(list[Citation])


def as_facts(facts: Sequence[Fact | dict[str, object]] | None) -> list[Fact]:
    """Validate facts given as models or as plain JSON objects (as a model's tool call gives them)."""
    return _FACTS.validate_python([f.model_dump() if isinstance(f, Fact) else f for f in facts or ()])


def as_passages(passages: Sequence[Passage | dict[str, object]] | None) -> list[Passage]:
    """Validate passages given as models or as plain JSON objects."""
    return _PASSAGES.validate_python([p.model_dump() if isinstance(p, Passage) else p for p in passages or ()])


def as_citations(citations: Sequence[Citation | dict[str, object]] | None) -> list[Citation]:
    """Validate citations given as models or as plain JSON objects."""
    return _CITATIONS.validate_python([c.model_dump() if isinstance(c, Citation) else c for c in citations or ()])
