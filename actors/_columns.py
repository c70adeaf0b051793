"""Column names the instruction mentions, and whether each column holds numbers."""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass

from agentrt.actors.offline._evidence import Evidence, Source
from agentrt.actors.offline._text_match import stem, words

__all__ = ["ColumnMention", "mentioned_columns"]


@dataclass(frozen=True, slots=True)
class ColumnMention:
    """A column of an input table named in the instruction."""

    header: str
    position: int
    numeric: bool | None

    @property
    def stems(self) -> frozenset[str]:
        """Stemmed words of the header."""
        return frozenset(stem(w) for w in words(self.header))


def mentioned_columns(ev: Evidence) -> list[ColumnMention]:
    """Headers of the input tables that the instruction names (any inflection), in the order named."""
    said = [stem(w) for w in words(ev.instruction)]
    found: dict[str, ColumnMention] = {}
    for source in ev.sources:
        for header in source.headers:
            if not header or header in found:
                continue
            position = _position(header, said)
            if position is not None:
                found[header] = ColumnMention(header, position, _numeric(source, header))
    return sorted(found.values(), key=lambda m: m.position)


def _position(header: str, said: list[str]) -> int | None:
    parts = [stem(w) for w in words(header)]
    for index in range(len(said) - len(parts) + 1):
        if parts and said[index : index + len(parts)] == parts:
            return index
    return None


def _numeric(source: Source, header: str) -> bool | None:
    values: list[object] = []
    rows = source.data if isinstance(source.data, list) else None
    if rows and isinstance(rows[0], dict):
        values = [r.get(header) for r in rows[:20] if isinstance(r, dict)]
    elif source.text:
        reader = csv.DictReader(io.StringIO(source.text[:20_000]))
        values = [row.get(header) for _, row in zip(range(20), reader, strict=False)]
    present = [v for v in values if v not in (None, "")]
    if not present:
        return None
    return all(_is_number(v) for v in present)


def _is_number(value: object) -> bool:
    if isinstance(value, bool):
        return False
    if isinstance(value, (int, float)):
        return True
    try:
        float(str(value).replace(",", "").strip().lstrip("$€£"))
        return True
    except ValueError:
        return False
