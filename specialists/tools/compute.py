"""Typed operations over CSV/JSON tables, each computed inside the sandbox, never in the calling process.

Every tool takes the table as text (``table_csv``: CSV with a header row, or
JSON rows) and returns a frozen result that carries ``facts`` (figures with
label, unit and source, ready for drafting and checking) and ``citations``
(the source, the rows used, and the header quoted).
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any, Literal

from pydantic import JsonValue

from agentrt.contracts import SandboxError, ToolArgumentError
from agentrt.specialists.tools.evidence import Citation, Fact
from agentrt.specialists.tools.sandbox import Sandbox, SandboxLimits
from agentrt.specialists.tools.table_results import (
    Aggregation,
    GroupValue,
    PeriodChange,
    PeriodComparison,
    PythonRun,
    TableDescription,
    TableRows,
    TopK,
)

__all__ = ["aggregate_table", "compare_periods", "describe_table", "parse_table", "run_python", "top_k"]

Operation = Literal["sum", "mean", "min", "max", "count"]
Bucket = Literal["none", "iso_week", "month"]

_KERNEL = Path(__file__).with_name("_table_kernel.py").read_text()
_SANDBOX = Sandbox(SandboxLimits(cpu_s=10, memory_mb=512, wall_s=30))
_RUN_CODE = """
table_csv = payload["table_csv"]
table = parse_table(table_csv) if table_csv.strip() else []
exec(compile(payload["code"], "<code>", "exec"), globals())
"""


def _call(tool: str, function: str, **arguments: JsonValue) -> Any:
    try:
        run = _SANDBOX.run(f"{_KERNEL}\nresult = {function}(**payload)\n", arguments)
    except SandboxError as exc:
        if exc.detail("error_type") in ("TableError", "TypeError"):
            raise ToolArgumentError(str(exc.detail("reason")), tool=tool) from None
        raise
    if not isinstance(run.result, dict | list):
        raise SandboxError(f"{function} returned {type(run.result).__name__}, not JSON data", tool=tool)
    return run.result


def _citation(table_csv: str, source: str, locator: str) -> Citation:
    header = table_csv.strip().splitlines()[0] if table_csv.strip() else ""
    return Citation(source=source, locator=locator, quote=header[:300])


def _where(group: Mapping[str, object]) -> str:
    return ", ".join(str(v) for v in group.values())


def _fact(label: str, value: float | None, unit: str, source: str) -> list[Fact]:
    return [] if value is None else [Fact(label=label, value=value, unit=unit, source=source)]


def parse_table(table_csv: str, max_rows: int = 200, source: str = "table.csv") -> TableRows:
    """Parse a CSV or JSON table into rows of named cells, numbers parsed as numbers, for reading the data itself.

    Args:
        table_csv: The table as CSV text with a header row (or JSON rows).
        max_rows: Most rows to return; the row count is always the full count.
        source: Name of the data file, used in citations.

    Returns:
        Columns, the first ``max_rows`` rows, the row count and a truncation flag, with a citation.
    """
    answer = _call("parse_table", "parse_table", table_text=table_csv)
    rows = answer if isinstance(answer, list) else []
    columns = list(dict.fromkeys(key for row in rows for key in row))
    kept = rows[:max_rows]
    return TableRows(
        source=source,
        columns=columns,
        rows=kept,
        row_count=len(rows),
        truncated=len(rows) > len(kept),
        citations=[_citation(table_csv, source, f"rows 1-{len(kept)} of {len(rows)}")],
    )


def describe_table(table_csv: str, source: str = "table.csv") -> TableDescription:
    """Describe a CSV or JSON table: its columns, their types, counts and ranges, and the number of rows.

    Args:
        table_csv: The table as CSV text with a header row (or JSON rows).
        source: Name of the data file, used in citations.

    Returns:
        Columns (name, type, non-null and distinct counts, min, max, examples) and the row count.
    """
    answer = _call("describe_table", "describe_table", table_text=table_csv)
    locator = f"all {answer['row_count']} rows"
    citations = [_citation(table_csv, source, locator)]
    return TableDescription.model_validate(dict(answer, source=source, citations=citations))


def aggregate_table(
    table_csv: str,
    value_column: str,
    group_by: list[str] | None = None,
    operation: Operation = "sum",
    filters: dict[str, str] | None = None,
    unit: str = "",
    source: str = "table.csv",
) -> Aggregation:
    """Aggregate (sum, mean, min, max, count) a numeric column of a CSV table, grouped by key columns, with filters.

    Args:
        table_csv: The table as CSV text with a header row (or JSON rows).
        value_column: Numeric column to aggregate; ``"revenue/orders"`` gives the ratio of the two sums.
        group_by: Key columns to group by; none for a single total.
        operation: ``sum``, ``mean``, ``min``, ``max`` or ``count``.
        filters: Keep only rows whose column equals the given value, e.g. ``{"region": "North"}``.
        unit: Unit of the value (``"USD"``, ``"%"``...), carried into the facts.
        source: Name of the data file, used in facts and citations.

    Returns:
        One value per group and the total, with facts and a citation of the rows used.
    """
    keys, chosen = list(group_by or []), dict(filters or {})
    answer = _call(
        "aggregate_table",
        "aggregate",
        table_text=table_csv,
        value_column=value_column,
        group_by=[*keys],
        operation=operation,
        filters={**chosen},
    )
    groups = [GroupValue.model_validate(g) for g in answer["groups"]]
    total = GroupValue.model_validate(answer["total"])
    name = f"{operation} of {value_column}"
    facts = [f for g in groups for f in _fact(f"{name}, {_where(g.group)}", g.value, unit, source)]
    facts += _fact(f"{name}, total", total.value, unit, source)
    scope = ", ".join(f"{k}={v}" for k, v in chosen.items()) or "all rows"
    return Aggregation(
        source=source,
        operation=operation,
        value_column=value_column,
        group_by=keys,
        filters=chosen,
        groups=groups,
        total=total,
        facts=facts,
        citations=[_citation(table_csv, source, f"{total.rows} rows where {scope}; column {value_column}")],
    )


def compare_periods(
    table_csv: str,
    metric: str,
    period_column: str = "week",
    group_by: list[str] | None = None,
    previous_period: str | None = None,
    current_period: str | None = None,
    operation: Operation = "sum",
    bucket: Bucket = "none",
    filters: dict[str, str] | None = None,
    unit: str = "",
    source: str = "table.csv",
) -> PeriodComparison:
    """Compute week-over-week (period-over-period) change of a numeric column in a CSV table, per group and in total.

    Args:
        table_csv: The table as CSV text with a header row (or JSON rows).
        metric: Numeric column to compare, e.g. ``"revenue"``; ``"revenue/orders"`` compares the ratio of sums.
        period_column: Column holding the period (``"week"``) or a date to bucket.
        group_by: Key columns to compare per group, e.g. ``["region"]``.
        previous_period: The earlier period; by default the one just before ``current_period``.
        current_period: The later period; by default the latest in the data.
        operation: How the metric is reduced within a period: ``sum``, ``mean``, ``min``, ``max``, ``count``.
        bucket: Turn a date column into periods: ``iso_week`` (``2024-W11``), ``month``, or ``none``.
        filters: Keep only rows whose column equals the given value.
        unit: Unit of the metric (``"USD"``...), carried into the facts; percent changes are in ``%``.
        source: Name of the data file, used in facts and citations.

    Returns:
        Both periods, per-group and total values with absolute and percent change, facts and a citation.
    """
    keys = list(group_by or [])
    answer = _call(
        "compare_periods",
        "compare_periods",
        table_text=table_csv,
        metric=metric,
        period_column=period_column,
        group_by=[*keys],
        previous=previous_period,
        current=current_period,
        operation=operation,
        bucket=bucket,
        filters=dict(filters or {}),
    )
    before, after = answer["previous_period"], answer["current_period"]
    groups = [PeriodChange.model_validate(g) for g in answer["groups"]]
    total = PeriodChange.model_validate(answer["total"])
    facts = [f for g in [*groups, total] for f in _change_facts(metric, g, before, after, unit, source)]
    locator = f"{answer['rows_used']} rows where {period_column} in {before}, {after}; column {metric}"
    return PeriodComparison(
        source=source,
        metric=metric,
        operation=operation,
        period_column=period_column,
        previous_period=before,
        current_period=after,
        group_by=keys,
        groups=groups,
        total=total,
        facts=facts,
        citations=[_citation(table_csv, source, locator)],
    )


def _change_facts(
    metric: str, change: PeriodChange, before: JsonValue, after: JsonValue, unit: str, source: str
) -> list[Fact]:
    scope = _where(change.group) or "total"
    return [
        *_fact(f"{metric} {before}, {scope}", change.previous, unit, source),
        *_fact(f"{metric} {after}, {scope}", change.current, unit, source),
        *_fact(f"{metric} change {before} to {after}, {scope}", change.change, unit, source),
        *_fact(f"{metric} % change {before} to {after}, {scope}", change.pct_change, "%", source),
    ]


def top_k(
    table_csv: str,
    value_column: str,
    k: int = 5,
    group_by: list[str] | None = None,
    operation: Operation = "sum",
    ascending: bool = False,
    filters: dict[str, str] | None = None,
    unit: str = "",
    source: str = "table.csv",
) -> TopK:
    """Rank the top k groups (or rows) of a CSV table by a numeric column, highest first unless ascending.

    Args:
        table_csv: The table as CSV text with a header row (or JSON rows).
        value_column: Numeric column to rank by.
        k: How many groups or rows to return.
        group_by: Rank groups by the aggregate of ``value_column``; none ranks individual rows.
        operation: Aggregate used for groups: ``sum``, ``mean``, ``min``, ``max`` or ``count``.
        ascending: Rank lowest first.
        filters: Keep only rows whose column equals the given value.
        unit: Unit of the value, carried into the facts.
        source: Name of the data file, used in facts and citations.

    Returns:
        The k items with their values, how many candidates there were, facts and a citation.
    """
    keys = list(group_by or [])
    answer = _call(
        "top_k",
        "top_k",
        table_text=table_csv,
        value_column=value_column,
        k=k,
        group_by=[*keys],
        operation=operation,
        ascending=ascending,
        filters=dict(filters or {}),
    )
    items = [GroupValue.model_validate(i) for i in answer["items"]]
    facts = [
        f
        for n, i in enumerate(items, 1)
        for f in _fact(f"#{n} {value_column}, {_where(i.group)}", i.value, unit, source)
    ]
    order = "lowest" if ascending else "highest"
    return TopK(
        source=source,
        value_column=value_column,
        operation=operation,
        group_by=keys,
        ascending=ascending,
        items=items,
        candidates=answer["candidates"],
        facts=facts,
        citations=[_citation(table_csv, source, f"{order} {len(items)} by {value_column}")],
    )


def run_python(code: str, table_csv: str = "") -> PythonRun:
    """Run Python code in an isolated sandbox (no network, CPU/memory/time limits) with a CSV table loaded.

    The code sees ``table`` (a list of row dicts with numbers parsed), ``table_csv``
    (the raw text) and helpers ``parse_table``, ``aggregate``, ``compare_periods``,
    ``top_k``; it prints and/or assigns its answer to ``result``.

    Args:
        code: Python source to execute.
        table_csv: The table as CSV text (or JSON rows); may be empty.

    Returns:
        What the code printed, the JSON value it left in ``result``, and the network guard in force.

    Raises:
        SandboxError: The code raised, or ran past a limit (``details['limit']``).
    """
    run = _SANDBOX.run(_KERNEL + _RUN_CODE, {"code": code, "table_csv": table_csv})
    return PythonRun(stdout=run.stdout, result=run.result, network_guard=run.network_guard)
