"""Read-only SQL over SQLite databases, and the separate write path that builds a database from CSV files.

Queries go through a connection that cannot write, four times over: the file
is opened with ``mode=ro``, ``PRAGMA query_only`` is on, an authorizer allows
only SELECT, reads, functions (never ``load_extension``) and recursive CTEs,
and one statement runs per call. A progress
handler stops a query past its step budget or time limit, and rows are capped.
Loading CSV files into a new database is for the runtime when a person
attaches data; no tool exposes it to a model.
"""

from __future__ import annotations

import contextlib
import os
import re
import sqlite3
import tempfile
import time
from collections.abc import Iterator, Mapping, Sequence
from pathlib import Path
from urllib.parse import quote

from pydantic import Field

from agentrt.contracts import ToolArgumentError, ToolError, ToolTimeout, UsageError
from agentrt.specialists.tools._frozen import FrozenModel
from agentrt.specialists.tools._table_kernel import TableError, column_kind, parse_table
from agentrt.specialists.tools.evidence import Citation, Fact

__all__ = [
    "DatabaseSchema",
    "ReadOnlyDatabase",
    "SqlLimits",
    "SqlResult",
    "TableSchema",
    "describe_database",
    "load_csv_database",
    "run_sql",
]

Cell = str | int | float | bytes | None
_PROGRESS_EVERY = 1000
_ALLOWED = {sqlite3.SQLITE_SELECT, sqlite3.SQLITE_READ, sqlite3.SQLITE_RECURSIVE}
_SQL_TYPES = {"integer": "INTEGER", "number": "REAL", "boolean": "INTEGER"}


class SqlLimits(FrozenModel):
    """Limits of one query.

    Attributes:
        max_steps: SQLite virtual-machine steps before the query is stopped.
        timeout_s: Wall-clock seconds before the query is stopped.
        max_rows: Rows returned at most; more are reported as truncated.
    """

    max_steps: int = Field(default=50_000_000, ge=1000)
    timeout_s: float = Field(default=10.0, gt=0)
    max_rows: int = Field(default=1000, ge=1)


class SqlResult(FrozenModel):
    """The answer to a query: columns, rows, facts for numeric cells, and the SQL quoted as citation."""

    database: str
    query: str
    columns: list[str]
    rows: list[list[Cell]]
    row_count: int
    truncated: bool
    facts: list[Fact]
    citations: list[Citation]


class TableSchema(FrozenModel):
    """One table: its name, its columns with their declared types, and its row count."""

    name: str
    columns: dict[str, str]
    row_count: int


class DatabaseSchema(FrozenModel):
    """The tables of a database."""

    database: str
    tables: list[TableSchema]


def _authorize(action: int, arg1: str | None, arg2: str | None, _db: str | None, _trigger: str | None) -> int:
    if action in _ALLOWED:
        return sqlite3.SQLITE_OK
    if action == sqlite3.SQLITE_FUNCTION and arg2 != "load_extension":
        return sqlite3.SQLITE_OK
    return sqlite3.SQLITE_DENY


class ReadOnlyDatabase:
    """A SQLite database file opened so that nothing can change it.

    Args:
        path: The database file; it must exist.
        limits: Step, time and row limits of every query.

    Raises:
        ToolArgumentError: The file does not exist or is not a SQLite database.
    """

    def __init__(self, path: str | Path, limits: SqlLimits | None = None) -> None:
        self.path = Path(path)
        self.limits = limits or SqlLimits()
        if not self.path.is_file():
            raise ToolArgumentError(f"no database file at {self.path}", field="database_path")

    @contextlib.contextmanager
    def _connect(self, *, guarded: bool = True) -> Iterator[sqlite3.Connection]:
        uri = f"file:{quote(str(self.path.resolve()))}?mode=ro"
        connection = sqlite3.connect(uri, uri=True, check_same_thread=False)
        try:
            connection.execute("PRAGMA query_only = ON")
            # Parse the schema before the authorizer exists: schema loading asks for rights queries must not have.
            connection.execute("SELECT count(*) FROM sqlite_master").fetchone()
            if guarded:
                connection.set_authorizer(_authorize)
            yield connection
        except sqlite3.DatabaseError as exc:
            raise _refusal(exc, "") from None
        finally:
            connection.close()

    def query(self, sql: str, max_rows: int | None = None, parameters: Sequence[Cell] = ()) -> SqlResult:
        """Run one read-only statement and return at most ``max_rows`` rows (default: the limit).

        Raises:
            ToolError: The statement tried to write, attach, change a pragma or load an extension
                (``details['reason'] == 'not_authorized'`` or ``'read_only'``).
            ToolTimeout: The statement ran past its step or time budget (``details['limit']``).
            ToolArgumentError: The statement is not valid SQL for this database.
        """
        cap = min(max_rows or self.limits.max_rows, self.limits.max_rows)
        with self._connect() as connection:
            budget = _Budget(self.limits)
            connection.set_progress_handler(budget.tick, _PROGRESS_EVERY)
            try:
                cursor = connection.execute(sql, tuple(parameters))
                fetched = cursor.fetchmany(cap + 1)
            except sqlite3.Error as exc:
                raise _refusal(exc, budget.exceeded) from None
            columns = [d[0] for d in cursor.description or ()]
        rows = [list(row) for row in fetched[:cap]]
        return SqlResult(
            database=self.path.name,
            query=sql,
            columns=columns,
            rows=rows,
            row_count=len(rows),
            truncated=len(fetched) > cap,
            facts=_facts(columns, rows, self.path.name),
            citations=[Citation(source=self.path.name, locator="SQL query", quote=sql[:4000])],
        )

    def schema(self) -> DatabaseSchema:
        """Return every table with its columns, declared types and row count."""
        # Fixed introspection statements, never caller SQL, so the authorizer is not needed here.
        with self._connect(guarded=False) as connection:
            names = [r[0] for r in connection.execute("SELECT name FROM sqlite_master WHERE type = 'table'")]
            tables = [
                TableSchema(
                    name=name,
                    columns={r[1]: r[2] for r in connection.execute(f"PRAGMA table_info({_identifier(name)})")},
                    row_count=connection.execute(f"SELECT count(*) FROM {_identifier(name)}").fetchone()[0],
                )
                for name in sorted(names)
            ]
        return DatabaseSchema(database=self.path.name, tables=tables)


class _Budget:
    """Counts progress callbacks; tells SQLite to stop past the step or time budget."""

    def __init__(self, limits: SqlLimits) -> None:
        self.steps_left = limits.max_steps
        self.deadline = time.monotonic() + limits.timeout_s
        self.exceeded = ""

    def tick(self) -> int:
        self.steps_left -= _PROGRESS_EVERY
        if self.steps_left <= 0:
            self.exceeded = "max_steps"
        elif time.monotonic() > self.deadline:
            self.exceeded = "timeout_s"
        return 1 if self.exceeded else 0


def _refusal(exc: sqlite3.Error, exceeded: str) -> ToolError:
    text = str(exc)
    if exceeded or "interrupted" in text:
        return ToolTimeout(f"query stopped: it ran past its {exceeded or 'budget'}", tool="run_sql", limit=exceeded)
    if "authoriz" in text or "prohibited" in text:
        return ToolError(f"query refused: only reading is allowed ({text})", tool="run_sql", reason="not_authorized")
    if "readonly" in text or "read-only" in text:
        return ToolError(f"query refused: the database is read-only ({text})", tool="run_sql", reason="read_only")
    return ToolArgumentError(f"query failed: {text}", tool="run_sql", field="query")


def _facts(columns: list[str], rows: list[list[Cell]], source: str) -> list[Fact]:
    # Only small answers become facts: they are what a report would quote.
    if len(rows) > 50:
        return []
    facts = []
    for row in rows:
        context = ", ".join(str(v) for v in row if isinstance(v, str))
        for column, value in zip(columns, row, strict=True):
            if isinstance(value, int | float) and not isinstance(value, bool):
                label = f"{column}, {context}" if context else column
                # SQLite sums floats without rounding; nine decimals keep the figure and drop the noise.
                facts.append(Fact(label=label, value=round(value, 9), source=source))
    return facts


def run_sql(database_path: str, query: str, max_rows: int = 200) -> SqlResult:
    """Answer a question with one read-only SQL SELECT over a SQLite database; returns columns, rows and the SQL.

    Args:
        database_path: Path of the SQLite database file.
        query: One SQL SELECT statement (CTEs allowed; no writes, ATTACH, PRAGMA changes or extensions).
        max_rows: Most rows to return.

    Returns:
        Columns, rows (truncated flag when capped), facts for numeric cells, and the query as citation.
    """
    return ReadOnlyDatabase(database_path).query(query, max_rows)


def describe_database(database_path: str) -> DatabaseSchema:
    """List the tables of a SQLite database with their columns, column types and row counts.

    Args:
        database_path: Path of the SQLite database file.
    """
    return ReadOnlyDatabase(database_path).schema()


def _identifier(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def _table_name(name: str) -> str:
    cleaned = re.sub(r"\W+", "_", name).strip("_").lower()
    if not cleaned or cleaned[0].isdigit():
        cleaned = f"t_{cleaned}"
    return cleaned


def load_csv_database(database_path: str | Path, tables: Mapping[str, str | Path]) -> DatabaseSchema:
    """Build a new SQLite database file from CSV files, one table each (runtime use, not a model tool).

    Column types are inferred (INTEGER, REAL, TEXT). The file appears only once
    it is complete: it is written beside the target and renamed into place.

    Args:
        database_path: Where to create the database; must not exist yet.
        tables: Table name to CSV file path.

    Returns:
        The schema of the new database.

    Raises:
        UsageError: The target exists, or a CSV file is missing or not a table.
    """
    target = Path(database_path)
    if target.exists():
        raise UsageError(f"{target} already exists; a new database file is required", field="database_path")
    handle, scratch = tempfile.mkstemp(suffix=".sqlite", dir=target.parent)
    os.close(handle)
    try:
        with contextlib.closing(sqlite3.connect(scratch)) as connection, connection:
            for name, csv_path in tables.items():
                _load_table(connection, _table_name(name), Path(csv_path))
        os.replace(scratch, target)
    finally:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(scratch)
    return ReadOnlyDatabase(target).schema()


def _load_table(connection: sqlite3.Connection, table: str, csv_path: Path) -> None:
    try:
        rows = parse_table(csv_path.read_text())
    except (OSError, TableError) as exc:
        raise UsageError(f"cannot load {csv_path}: {exc}", field="tables") from None
    columns = list(dict.fromkeys(key for row in rows for key in row))
    types = {c: _SQL_TYPES.get(column_kind([row.get(c) for row in rows]), "TEXT") for c in columns}
    definitions = ", ".join(f"{_identifier(c)} {types[c]}" for c in columns)
    connection.execute(f"CREATE TABLE {_identifier(table)} ({definitions})")
    marks = ", ".join("?" for _ in columns)
    connection.executemany(
        f"INSERT INTO {_identifier(table)} VALUES ({marks})", [[row.get(c) for c in columns] for row in rows]
    )
