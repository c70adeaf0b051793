"""Concrete tools the specialists use: sandboxed compute, SQL, retrieval, drafting, checks, logs, classification.

Each tool is a plain typed function with a Google-style docstring; ``TOOL_FAMILIES``
groups them for roles. Results are frozen pydantic models (or lists of them) whose
``model_dump()`` is JSON, carrying ``facts`` and ``citations`` where they rest on data.
"""

from __future__ import annotations

from agentrt.specialists.tools.catalog import (
    ALL_TOOLS,
    TOOL_FAMILIES,
    ToolFunction,
)
from agentrt.specialists.tools.checks import (
    CheckReport,
    Defect,
    DefectKind,
    check_artifact,
    check_draft,
    criteria_requirements,
)
from agentrt.specialists.tools.classify import (
    Amount,
    Classification,
    Entities,
    RecordClassification,
    classify_records,
    classify_text,
    extract_entities,
)
from agentrt.specialists.tools.compute import (
    aggregate_table,
    compare_periods,
    describe_table,
    parse_table,
    run_python,
    top_k,
)
from agentrt.specialists.tools.drafting import (
    DocumentFormat,
    Draft,
    draft_document,
)
from agentrt.specialists.tools.evidence import (
    Fact,
    Passage,
    as_citations,
    as_facts,
    as_passages,
)
from agentrt.specialists.tools.logs import (
    ErrorContext,
    ErrorCounts,
    LogEvent,
    LogSelection,
    MessagePattern,
    count_errors_by_service,
    filter_log_events,
    find_first_error,
    group_error_messages,
    parse_log_lines,
)
from agentrt.specialists.tools.retrieval import (
    Bm25Index,
    Definitions,
    SearchResult,
    TermDefinition,
    chunk_document,
    define_terms,
    search_documents,
)
from agentrt.specialists.tools.sandbox import (
    NetworkGuard,
    Sandbox,
    SandboxLimits,
    SandboxRun,
)
from agentrt.specialists.tools.sql import (
    DatabaseSchema,
    ReadOnlyDatabase,
    SqlLimits,
    SqlResult,
    TableSchema,
    describe_database,
    load_csv_database,
    run_sql,
)
from agentrt.specialists.tools.table_results import (
    Aggregation,
    ColumnSummary,
    GroupValue,
    PeriodChange,
    PeriodComparison,
    PythonRun,
    TableDescription,
    TableRows,
    TopK,
)

__all__ = [
    "ALL_TOOLS",
    "Aggregation",
    "Amount",
    "Bm25Index",
    "CheckReport",
    "Classification",
    "ColumnSummary",
    "DatabaseSchema",
    "Defect",
    "DefectKind",
    "Definitions",
    "DocumentFormat",
    "Draft",
    "Entities",
    "ErrorContext",
    "ErrorCounts",
    "Fact",
    "GroupValue",
    "LogEvent",
    "LogSelection",
    "MessagePattern",
    "NetworkGuard",
    "Passage",
    "PeriodChange",
    "PeriodComparison",
    "PythonRun",
    "ReadOnlyDatabase",
    "RecordClassification",
    "Sandbox",
    "SandboxLimits",
    "SandboxRun",
    "SearchResult",
    "SqlLimits",
    "SqlResult",
    "TOOL_FAMILIES",
    "TableDescription",
    "TableRows",
    "TableSchema",
    "TermDefinition",
    "ToolFunction",
    "TopK",
    "aggregate_table",
    "as_citations",
    "as_facts",
    "as_passages",
    "check_artifact",
    "check_draft",
    "chunk_document",
    "classify_records",
    "classify_text",
    "compare_periods",
    "count_errors_by_service",
    "criteria_requirements",
    "define_terms",
    "describe_database",
    "describe_table",
    "draft_document",
    "extract_entities",
    "filter_log_events",
    "find_first_error",
    "group_error_messages",
    "load_csv_database",
    "parse_log_lines",
    "parse_table",
    "run_python",
    "run_sql",
    "search_documents",
    "top_k",
]
