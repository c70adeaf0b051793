"""The demo's independent check finds the latest week's revenue figures of the example data."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

import pytest

from agentrt.cluster.demo import check_figures, weekly_sales_dir
from agentrt.contracts import UsageError

# The figures in examples/weekly_sales/README.md.
W12 = {"East": "10,049.04", "North": "7,196.24", "South": "7,349.25", "West": "4,891.02", "total": "29,485.55"}


def test_expected_figures_are_summed_from_the_example_csv() -> None:
    check = check_figures("", weekly_sales_dir() / "sales.csv")
    assert check.week == "2024-W12"
    assert {name: f"{value:,.2f}" for name, value in check.expected.items()} == W12
    assert check.found == () and not check.complete


def test_figures_count_with_or_without_thousands_separators() -> None:
    text = "East $10,049.04; North $7196.24; South $7,349.25; total $29,485.55"
    check = check_figures(text, weekly_sales_dir() / "sales.csv")
    assert set(check.found) == {"East", "North", "South", "total"}
    assert check.line().endswith("4/5 revenue figures of 2024-W12 stated; missing: West")
    assert check.expected["West"] == Decimal("4891.02")


def test_an_incomplete_example_folder_is_a_usage_error(tmp_path: Path) -> None:
    (tmp_path / "sales.csv").write_text("week,region,revenue\n", encoding="utf-8")
    with pytest.raises(UsageError, match="--examples DIR"):
        weekly_sales_dir(tmp_path)
