"""Table compute tools give the numbers an independent computation gives, with facts and citations."""

from __future__ import annotations

import csv
import io
import json
from collections import defaultdict
from pathlib import Path

import pytest

from agentrt.contracts import ToolArgumentError
from agentrt.specialists.tools import aggregate_table, compare_periods, describe_table, parse_table, top_k

SALES = Path(__file__).resolve().parents[2] / "examples" / "weekly_sales" / "sales.csv"


@pytest.fixture(scope="module")
def sales_csv() -> str:
    return SALES.read_text()


def _revenue_by_week_and_region(text: str) -> dict[tuple[str, str], float]:
    sums: dict[tuple[str, str], float] = defaultdict(float)
    for row in csv.DictReader(io.StringIO(text)):
        sums[(row["week"], row["region"])] += float(row["revenue"])
    return sums


def test_week_over_week_matches_independent_computation(sales_csv: str) -> None:
    expected = _revenue_by_week_and_region(sales_csv)
    weeks = sorted({week for week, _ in expected})
    previous, current = weeks[-2], weeks[-1]

    result = compare_periods(sales_csv, "revenue", "week", group_by=["region"], unit="USD", source="sales.csv")

    assert (result.previous_period, result.current_period) == (previous, current)
    assert [g.group["region"] for g in result.groups] == sorted({region for _, region in expected})
    for change in result.groups:
        region = change.group["region"]
        before, after = expected[(previous, region)], expected[(current, region)]
        assert change.previous == pytest.approx(before)
        assert change.current == pytest.approx(after)
        assert change.change == pytest.approx(after - before)
        assert change.pct_change == pytest.approx((after - before) / before * 100)
    total_before = sum(v for (w, _), v in expected.items() if w == previous)
    total_after = sum(v for (w, _), v in expected.items() if w == current)
    assert result.total.change == pytest.approx(total_after - total_before)
    assert result.total.pct_change == pytest.approx((total_after - total_before) / total_before * 100)


def test_week_over_week_carries_facts_and_a_citation_of_the_rows(sales_csv: str) -> None:
    result = compare_periods(sales_csv, "revenue", group_by=["region"], unit="USD", source="sales.csv")
    total_pct = next(f for f in result.facts if f.label.startswith("revenue % change") and f.label.endswith("total"))
    assert total_pct.unit == "%" and total_pct.value == result.total.pct_change
    assert {f.source for f in result.facts} == {"sales.csv"}
    (citation,) = result.citations
    assert citation.source == "sales.csv"
    assert citation.quote == sales_csv.splitlines()[0]
    assert "2024-W11" in citation.locator and "2024-W12" in citation.locator
    json.dumps(result.model_dump())


def test_explicit_periods_and_date_buckets_give_the_same_comparison(sales_csv: str) -> None:
    by_week = compare_periods(sales_csv, "units", "week", previous_period="2024-W10", current_period="2024-W11")
    by_date = compare_periods(
        sales_csv, "units", "date", bucket="iso_week", previous_period="2024-W10", current_period="2024-W11"
    )
    assert by_week.total == by_date.total
    assert by_week.total.previous == sum(
        int(r["units"]) for r in csv.DictReader(io.StringIO(sales_csv)) if r["week"] == "2024-W10"
    )


def test_aggregate_filters_and_groups(sales_csv: str) -> None:
    result = aggregate_table(sales_csv, "revenue", ["product"], "sum", filters={"region": "West"})
    rows = [r for r in csv.DictReader(io.StringIO(sales_csv)) if r["region"] == "West"]
    for group in result.groups:
        wanted = sum(float(r["revenue"]) for r in rows if r["product"] == group.group["product"])
        assert group.value == pytest.approx(wanted)
    assert result.total.rows == len(rows)
    ratio = aggregate_table(sales_csv, "revenue/orders")
    all_rows = list(csv.DictReader(io.StringIO(sales_csv)))
    assert ratio.total.value == pytest.approx(
        sum(float(r["revenue"]) for r in all_rows) / sum(int(r["orders"]) for r in all_rows)
    )


def test_top_k_ranks_groups_highest_first(sales_csv: str) -> None:
    result = top_k(sales_csv, "revenue", k=2, group_by=["region"])
    totals: dict[str, float] = defaultdict(float)
    for row in csv.DictReader(io.StringIO(sales_csv)):
        totals[row["region"]] += float(row["revenue"])
    best = sorted(totals, key=lambda region: -totals[region])[:2]
    assert [item.group["region"] for item in result.items] == best
    assert result.candidates == 4


def test_describe_table_reports_columns_types_and_rows(sales_csv: str) -> None:
    description = describe_table(sales_csv, source="sales.csv")
    types = {c.name: c.type for c in description.columns}
    assert description.row_count == len(sales_csv.strip().splitlines()) - 1
    assert types == {
        "date": "date",
        "week": "string",
        "region": "string",
        "product": "string",
        "orders": "integer",
        "units": "integer",
        "revenue": "number",
    }


def test_unknown_column_is_an_argument_error(sales_csv: str) -> None:
    with pytest.raises(ToolArgumentError, match="unknown column 'profit'"):
        aggregate_table(sales_csv, "profit")
    with pytest.raises(ToolArgumentError, match="need two periods"):
        compare_periods("week,revenue\n2024-W01,3\n", "revenue")


def test_parse_table_reads_csv_and_json_rows_with_numbers_parsed() -> None:
    from_csv = parse_table('region,revenue,note\nNorth,"1,234.50",first\nSouth,,\nEast,7,x\n', max_rows=2)
    assert from_csv.columns == ["region", "revenue", "note"]
    assert from_csv.rows == [
        {"region": "North", "revenue": 1234.5, "note": "first"},
        {"region": "South", "revenue": None, "note": None},
    ]
    assert (from_csv.row_count, from_csv.truncated) == (3, True)
    from_json = parse_table('{"rows": [{"week": "2024-W01", "units": "12"}]}')
    assert from_json.rows == [{"week": "2024-W01", "units": 12}]
