"""The weekly sales demo: the example goal and files, and a check of the result against the data.

The check is independent of the runtime: it sums ``sales.csv`` itself and looks
for the latest week's revenue per region (and the total) in the delivered text.
"""

from __future__ import annotations

import csv
from collections import defaultdict
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path

from agentrt.contracts import UsageError
from agentrt.examples import example_dir

__all__ = ["WEEKLY_SALES_FILES", "WEEKLY_SALES_GOAL", "FigureCheck", "check_figures", "weekly_sales_dir"]

WEEKLY_SALES_GOAL = (
    "Using sales.csv, metrics.md and team.md, report the week-over-week change in revenue by region for the "
    "latest week, with the metric definitions, as an email to the sales leadership team with sources."
)
"""The goal the demo submits (from examples/weekly_sales/README.md)."""

WEEKLY_SALES_FILES = ("sales.csv", "metrics.md", "team.md")
"""The files the demo attaches."""


def weekly_sales_dir(folder: Path | str | None = None) -> Path:
    """The example folder: ``folder`` if given, else the weekly sales example installed with the package.

    Raises:
        UsageError: A file of the example is missing; pass the folder with ``--examples``.
    """
    base = Path(folder) if folder is not None else example_dir("weekly_sales")
    missing = [name for name in WEEKLY_SALES_FILES if not (base / name).is_file()]
    if missing:
        raise UsageError(
            f"the weekly sales example is incomplete in {base} (missing {missing}); "
            "pass the folder holding sales.csv, metrics.md and team.md with --examples DIR",
            path=str(base),
        )
    return base


@dataclass(frozen=True)
class FigureCheck:
    """Which expected figures the result states."""

    week: str
    expected: dict[str, Decimal]
    found: tuple[str, ...]

    @property
    def complete(self) -> bool:
        """True when every expected figure appears."""
        return len(self.found) == len(self.expected)

    def line(self) -> str:
        """One line for people."""
        missing = sorted(set(self.expected) - set(self.found))
        tail = f"; missing: {', '.join(missing)}" if missing else ""
        counted = f"{len(self.found)}/{len(self.expected)}"
        return f"Cross-check against sales.csv: {counted} revenue figures of {self.week} stated{tail}"


def _latest_week_revenue(sales_csv: Path) -> tuple[str, dict[str, Decimal]]:
    by_week: dict[str, dict[str, Decimal]] = defaultdict(lambda: defaultdict(Decimal))
    with sales_csv.open(newline="", encoding="utf-8") as rows:
        for row in csv.DictReader(rows):
            by_week[row["week"]][row["region"]] += Decimal(row["revenue"])
    week = max(by_week)
    figures = dict(sorted(by_week[week].items()))
    figures["total"] = sum(figures.values(), Decimal(0))
    return week, figures


def check_figures(text: str, sales_csv: Path | str) -> FigureCheck:
    """Look for the latest week's revenue per region and in total in ``text`` (with or without thousands commas)."""
    week, figures = _latest_week_revenue(Path(sales_csv))
    found = tuple(
        name for name, value in figures.items()
        if f"{value:,.2f}" in text or f"{value:.2f}" in text
    )
    return FigureCheck(week=week, expected=figures, found=found)
