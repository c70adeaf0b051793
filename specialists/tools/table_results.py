"""What the table compute tools return: typed, frozen, JSON-compatible results with facts and citations."""

from __future__ import annotations

from pydantic import JsonValue

from agentrt.specialists.tools._frozen import FrozenModel
from agentrt.specialists.tools.evidence import Citation, Fact
from agentrt.specialists.tools.sandbox import NetworkGuard

__all__ = [
    "Aggregation",
    "ColumnSummary",
    "GroupValue",
    "PeriodChange",
    "PeriodComparison",
    "PythonRun",
    "TableDescription",
    "TableRows",
    "TopK",
]

Cell = str | int | float | bool | None
"""One table cell as parsed: numbers become numbers, empty cells None."""


class ColumnSummary(FrozenModel):
    """One column of a table: inferred type, counts, range and a few example values."""

    name: str
    type: str
    non_null: int
    distinct: int
    min: Cell = None
    max: Cell = None
    examples: list[Cell] = []


class TableDescription(FrozenModel):
    """The shape of a table: its columns and row count."""

    source: str
    row_count: int
    columns: list[ColumnSummary]
    citations: list[Citation]


class TableRows(FrozenModel):
    """A parsed table: its columns and rows (numbers as numbers), capped at ``max_rows``."""

    source: str
    columns: list[str]
    rows: list[dict[str, Cell]]
    row_count: int
    truncated: bool
    citations: list[Citation]


class GroupValue(FrozenModel):
    """An aggregate for one group (``group`` maps key columns to their values; empty for the total)."""

    group: dict[str, Cell]
    value: float | None
    rows: int


class Aggregation(FrozenModel):
    """An aggregate of a numeric column per group and over all matching rows."""

    source: str
    operation: str
    value_column: str
    group_by: list[str]
    filters: dict[str, str]
    groups: list[GroupValue]
    total: GroupValue
    facts: list[Fact]
    citations: list[Citation]


class PeriodChange(FrozenModel):
    """A metric in two periods for one group: both values, absolute change and percent change."""

    group: dict[str, Cell]
    previous: float | None
    current: float | None
    change: float | None
    pct_change: float | None
    """Change relative to the previous value, in percent (12.5 means +12.5 %); None when undefined."""


class PeriodComparison(FrozenModel):
    """A metric compared between two periods, per group and in total."""

    source: str
    metric: str
    operation: str
    period_column: str
    previous_period: Cell
    current_period: Cell
    group_by: list[str]
    groups: list[PeriodChange]
    total: PeriodChange
    facts: list[Fact]
    citations: list[Citation]


class TopK(FrozenModel):
    """The k highest (or lowest) groups or rows by a value."""

    source: str
    value_column: str
    operation: str
    group_by: list[str]
    ascending: bool
    items: list[GroupValue]
    candidates: int
    facts: list[Fact]
    citations: list[Citation]


class PythonRun(FrozenModel):
    """What sandboxed Python code printed and left in ``result``."""

    stdout: str
    result: JsonValue = None
    network_guard: NetworkGuard
