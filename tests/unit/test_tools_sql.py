"""SQL tools read and never write: writes, ATTACH, pragma changes and extensions are refused with typed errors."""

from __future__ import annotations

import csv
import hashlib
from pathlib import Path

import pytest

from agentrt.contracts import ToolArgumentError, ToolError, ToolTimeout, UsageError
from agentrt.specialists.tools import ReadOnlyDatabase, SqlLimits, describe_database, load_csv_database, run_sql

SALES = Path(__file__).resolve().parents[2] / "examples" / "weekly_sales" / "sales.csv"


@pytest.fixture
def database(tmp_path: Path) -> Path:
    path = tmp_path / "sales.sqlite"
    load_csv_database(path, {"sales": SALES})
    return path


def _digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def test_loaded_database_answers_a_select_with_the_sql_as_citation(database: Path) -> None:
    sql = "SELECT region, SUM(units) AS units FROM sales WHERE week = '2024-W12' GROUP BY region ORDER BY region"
    result = run_sql(str(database), sql)
    expected: dict[str, int] = {}
    with SALES.open() as handle:
        for row in csv.DictReader(handle):
            if row["week"] == "2024-W12":
                expected[row["region"]] = expected.get(row["region"], 0) + int(row["units"])
    assert result.columns == ["region", "units"]
    assert result.rows == [[region, units] for region, units in sorted(expected.items())]
    assert result.citations[0].source == "sales.sqlite" and result.citations[0].quote == sql
    assert {f.label: f.value for f in result.facts}["units, East"] == expected["East"]


def test_schema_lists_tables_with_inferred_types(database: Path) -> None:
    (table,) = describe_database(str(database)).tables
    assert table.name == "sales" and table.row_count == 72
    assert table.columns["units"] == "INTEGER" and table.columns["revenue"] == "REAL"
    assert table.columns["region"] == "TEXT"


@pytest.mark.parametrize(
    "statement",
    [
        "INSERT INTO sales (region) VALUES ('Mars')",
        "UPDATE sales SET revenue = 0",
        "DELETE FROM sales",
        "DROP TABLE sales",
        "CREATE TABLE notes (text TEXT)",
        "ATTACH DATABASE ':memory:' AS scratch",
        "PRAGMA query_only = OFF",
        "PRAGMA journal_mode = WAL",
        "SELECT load_extension('mod_spatialite')",
    ],
)
def test_statements_that_write_attach_or_change_settings_are_refused(database: Path, statement: str) -> None:
    before = _digest(database)
    with pytest.raises(ToolError) as caught:
        run_sql(str(database), statement)
    assert type(caught.value) is ToolError
    assert caught.value.detail("reason") == "not_authorized"
    assert _digest(database) == before
    assert run_sql(str(database), "SELECT COUNT(*) FROM sales").rows == [[72]]


def test_runaway_query_is_stopped_by_its_step_budget(database: Path) -> None:
    endless = "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n) SELECT MAX(i) FROM n"
    with pytest.raises(ToolTimeout) as caught:
        ReadOnlyDatabase(database, SqlLimits(max_steps=100_000)).query(endless)
    assert caught.value.detail("limit") == "max_steps"


def test_rows_are_capped_and_marked_truncated(database: Path) -> None:
    result = run_sql(str(database), "SELECT * FROM sales", max_rows=5)
    assert result.row_count == 5 and result.truncated
    assert run_sql(str(database), "SELECT * FROM sales", max_rows=100).truncated is False


def test_bad_sql_and_missing_files_are_argument_errors(database: Path, tmp_path: Path) -> None:
    with pytest.raises(ToolArgumentError, match="no such table"):
        run_sql(str(database), "SELECT * FROM nowhere")
    with pytest.raises(ToolArgumentError, match="one statement"):
        run_sql(str(database), "SELECT 1; SELECT 2")
    with pytest.raises(ToolArgumentError):
        run_sql(str(tmp_path / "absent.sqlite"), "SELECT 1")


def test_loader_refuses_to_overwrite_and_leaves_nothing_behind_on_failure(database: Path, tmp_path: Path) -> None:
    with pytest.raises(UsageError):
        load_csv_database(database, {"sales": SALES})
    target = tmp_path / "broken.sqlite"
    with pytest.raises(UsageError):
        load_csv_database(target, {"sales": SALES, "missing": tmp_path / "missing.csv"})
    assert sorted(p.name for p in tmp_path.iterdir()) == ["sales.sqlite"]
