"""Table operations that run inside the sandbox. Standard library only: the child has no site-packages.

``compute.py`` sends this module's source to the sandbox followed by one call
(``result = aggregate(**payload)``). Every function takes the table as text
(CSV, or JSON: a list of objects or ``{"rows": [...]}``) and returns plain JSON.
Bad input raises ``TableError``, which the caller turns into an argument error.
"""

import csv
import datetime
import io
import json
import re
from collections.abc import Callable, Iterable, Sequence
from typing import Any

_INT = re.compile(r"^[+-]?\d+$")
_FLOAT = re.compile(r"^[+-]?(\d+\.\d*|\.\d+|\d+)([eE][+-]?\d+)?$")
_GROUPED = re.compile(r"^[+-]?\d{1,3}(,\d{3})+(\.\d+)?$")
_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}")
_OPERATIONS = ("sum", "mean", "min", "max", "count")

# A parsed cell is any JSON value (numbers parsed from CSV text); rows map column names to cells.
Row = dict[str, Any]
Result = dict[str, Any]


class TableError(ValueError):
    """The table or the request does not fit (unknown column, no numbers, one period only)."""


def _cell(text: str) -> int | float | str | None:
    text = text.strip()
    if text == "":
        return None
    plain = text.replace(",", "") if _GROUPED.match(text) else text
    if _INT.match(plain):
        return int(plain)
    if _FLOAT.match(plain):
        return float(plain)
    return text


def parse_table(table_text: str | None) -> list[Row]:
    """Parse CSV or JSON text into a list of rows (dicts); numeric cells become numbers."""
    text = (table_text or "").strip()
    if not text:
        raise TableError("the table is empty")
    if text[0] in "[{":
        try:
            data = json.loads(text)
        except ValueError as exc:
            raise TableError(f"the table is not valid JSON: {exc}") from None
        rows = data.get("rows") if isinstance(data, dict) else data
        if not isinstance(rows, list) or not all(isinstance(r, dict) for r in rows):
            raise TableError('JSON tables must be a list of objects or {"rows": [...]}')
        return [{str(k): (_cell(v) if isinstance(v, str) else v) for k, v in r.items()} for r in rows]
    reader = csv.DictReader(io.StringIO(text))
    if not reader.fieldnames:
        raise TableError("the CSV has no header row")
    return [{k.strip(): _cell(v or "") for k, v in row.items() if k is not None} for row in reader]


def _columns(rows: Sequence[Row]) -> list[str]:
    seen: dict[str, None] = {}
    for row in rows:
        for key in row:
            seen.setdefault(key, None)
    return list(seen)


def column_kind(values: Sequence[Any]) -> str:
    """The type of a column from its parsed cells: integer, number, boolean, date, string or empty."""
    present = [v for v in values if v is not None]
    if not present:
        return "empty"
    if all(isinstance(v, bool) for v in present):
        return "boolean"
    if all(isinstance(v, int) and not isinstance(v, bool) for v in present):
        return "integer"
    if all(isinstance(v, (int, float)) and not isinstance(v, bool) for v in present):
        return "number"
    if all(isinstance(v, str) and _DATE.match(v) for v in present):
        return "date"
    return "string"


def describe_table(table_text: str) -> Result:
    """Columns with type, non-null count, distinct count, min and max; and the row count."""
    rows = parse_table(table_text)
    columns: list[Result] = []
    for name in _columns(rows):
        values = [row.get(name) for row in rows]
        present = [v for v in values if v is not None]
        kind = column_kind(values)
        ordered = sorted(present, key=lambda v: (isinstance(v, str), v)) if kind != "string" else []
        columns.append(
            {
                "name": name,
                "type": kind,
                "non_null": len(present),
                "distinct": len({json.dumps(v) for v in present}),
                "min": ordered[0] if ordered else None,
                "max": ordered[-1] if ordered else None,
                "examples": [v for v in dict.fromkeys(present)][:3],
            }
        )
    return {"row_count": len(rows), "columns": columns}


def _require(rows: Sequence[Row], names: Iterable[str]) -> None:
    known = set(_columns(rows))
    for name in names:
        if name not in known:
            raise TableError(f"unknown column {name!r}; columns are {sorted(known)}")


def _matches(row: Row, filters: dict[str, Any] | None) -> bool:
    return all(str(row.get(k)) == str(v) for k, v in (filters or {}).items())


def _numbers(rows: Sequence[Row], column: str) -> list[int | float]:
    values = [row.get(column) for row in rows]
    numbers = [v for v in values if isinstance(v, (int, float)) and not isinstance(v, bool)]
    if len(numbers) < len([v for v in values if v is not None]):
        raise TableError(f"column {column!r} holds non-numeric values")
    return numbers


def measure(rows: Sequence[Row], value_column: str, operation: str) -> int | float | None:
    """Reduce ``value_column`` over ``rows``; ``"a/b"`` is the ratio of the sums of a and b."""
    if operation not in _OPERATIONS:
        raise TableError(f"operation must be one of {_OPERATIONS}, not {operation!r}")
    if "/" in value_column:
        numerator, denominator = (part.strip() for part in value_column.split("/", 1))
        below = sum(_numbers(rows, denominator))
        return None if below == 0 else round(sum(_numbers(rows, numerator)) / below, 6)
    if operation == "count":
        return len([row for row in rows if row.get(value_column) is not None])
    numbers = _numbers(rows, value_column)
    if not numbers:
        return None
    reducers: dict[str, Callable[[list[int | float]], int | float]] = {
        "sum": sum, "min": min, "max": max, "mean": lambda xs: sum(xs) / len(xs),
    }
    reduced: int | float = reducers[operation](numbers)
    return round(reduced, 6)


def _value_columns(value_column: str) -> list[str]:
    return [part.strip() for part in value_column.split("/")]


def _groups(rows: Sequence[Row], group_by: Sequence[str]) -> dict[tuple[Any, ...], list[Row]]:
    groups: dict[tuple[Any, ...], list[Row]] = {}
    for row in rows:
        groups.setdefault(tuple(row.get(k) for k in group_by), []).append(row)
    return groups


def aggregate(
    table_text: str,
    value_column: str,
    group_by: Sequence[str] = (),
    operation: str = "sum",
    filters: dict[str, Any] | None = None,
) -> Result:
    """Aggregate ``value_column`` per group of ``group_by`` columns over the rows matching ``filters``."""
    rows = parse_table(table_text)
    _require(rows, [*group_by, *(filters or {}), *_value_columns(value_column)])
    chosen = [row for row in rows if _matches(row, filters)]
    groups = [
        {
            "group": dict(zip(group_by, key, strict=True)),
            "value": measure(members, value_column, operation),
            "rows": len(members),
        }
        for key, members in sorted(_groups(chosen, group_by).items(), key=lambda kv: [str(k) for k in kv[0]])
    ]
    total: Result = {"group": {}, "value": measure(chosen, value_column, operation), "rows": len(chosen)}
    return {"groups": groups, "total": total, "rows_total": len(rows)}


def period_of(value: Any, bucket: str) -> Any:
    """The period a cell belongs to: itself, or the ISO week (``2024-W07``) or month of a date."""
    if bucket == "none" or value is None:
        return value
    day = datetime.date.fromisoformat(str(value)[:10])
    if bucket == "iso_week":
        year, week, _ = day.isocalendar()
        return f"{year}-W{week:02d}"
    if bucket == "month":
        return f"{day.year}-{day.month:02d}"
    raise TableError(f"bucket must be none, iso_week or month, not {bucket!r}")


def _change(previous: float | None, current: float | None) -> Result:
    change = None if previous is None or current is None else round(current - previous, 6)
    pct = None if change is None or previous is None or previous == 0 else round(change / abs(previous) * 100, 6)
    return {"previous": previous, "current": current, "change": change, "pct_change": pct}


def _pick_periods(periods: Iterable[Any], previous: Any, current: Any) -> tuple[Any, Any]:
    ordered = sorted((p for p in periods if p is not None), key=lambda p: (isinstance(p, str), p))
    by_text = {str(p): p for p in ordered}

    def known(period: Any) -> Any:
        if str(period) not in by_text:
            raise TableError(f"period {period!r} is not in the data; periods are {ordered}")
        return by_text[str(period)]

    if current is None and len(ordered) < 2:
        raise TableError(f"need two periods to compare, found {ordered}")
    current = known(ordered[-1] if current is None else current)
    if previous is None:
        position = ordered.index(current)
        if position == 0:
            raise TableError(f"no period before {current!r} among {ordered}")
        previous = ordered[position - 1]
    return known(previous), current


def compare_periods(
    table_text: str,
    metric: str,
    period_column: str,
    group_by: Sequence[str] = (),
    previous: Any = None,
    current: Any = None,
    operation: str = "sum",
    bucket: str = "none",
    filters: dict[str, Any] | None = None,
) -> Result:
    """Change of ``metric`` between two periods per group and in total; latest two periods by default."""
    rows = parse_table(table_text)
    _require(rows, [period_column, *group_by, *(filters or {}), *_value_columns(metric)])
    chosen = [row for row in rows if _matches(row, filters)]
    periods = [period_of(row.get(period_column), bucket) for row in chosen]
    previous, current = _pick_periods(set(periods), previous, current)
    by_period = {
        p: _groups([r for r, q in zip(chosen, periods, strict=True) if q == p], group_by) for p in (previous, current)
    }
    keys = sorted(set(by_period[previous]) | set(by_period[current]), key=lambda key: [str(k) for k in key])
    groups: list[Result] = []
    for key in keys:
        values = [
            measure(by_period[p][key], metric, operation) if key in by_period[p] else None for p in (previous, current)
        ]
        groups.append(dict(_change(*values), group=dict(zip(group_by, key, strict=True))))
    period_rows = {p: [r for members in by_period[p].values() for r in members] for p in (previous, current)}
    total = dict(_change(*(measure(period_rows[p], metric, operation) for p in (previous, current))), group={})
    return {
        "previous_period": previous,
        "current_period": current,
        "groups": groups,
        "total": total,
        "rows_used": sum(len(v) for v in period_rows.values()),
    }


def top_k(
    table_text: str,
    value_column: str,
    k: int = 5,
    group_by: Sequence[str] = (),
    operation: str = "sum",
    ascending: bool = False,
    filters: dict[str, Any] | None = None,
) -> Result:
    """The k largest (or smallest) groups by an aggregate, or rows by a column when no grouping is given."""
    if k < 1:
        raise TableError("k must be at least 1")
    if group_by:
        ranked = aggregate(table_text, value_column, group_by, operation, filters)["groups"]
    else:
        rows = parse_table(table_text)
        _require(rows, [value_column, *(filters or {})])
        ranked = [
            {"group": {c: v for c, v in row.items() if c != value_column}, "value": row.get(value_column), "rows": 1}
            for row in rows
            if _matches(row, filters) and isinstance(row.get(value_column), (int, float))
        ]
    ranked = [item for item in ranked if item["value"] is not None]
    ranked.sort(key=lambda item: item["value"], reverse=not ascending)
    return {"items": ranked[:k], "candidates": len(ranked)}
