"""The tool functions, grouped by family, for roles to pick from and the tool layer to register."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from types import MappingProxyType

from agentrt.specialists.tools.checks import check_artifact, check_draft
from agentrt.specialists.tools.classify import classify_records, classify_text, extract_entities
from agentrt.specialists.tools.compute import (
    aggregate_table,
    compare_periods,
    describe_table,
    parse_table,
    run_python,
    top_k,
)
from agentrt.specialists.tools.drafting import draft_document
from agentrt.specialists.tools.logs import (
    count_errors_by_service,
    filter_log_events,
    find_first_error,
    group_error_messages,
    parse_log_lines,
)
from agentrt.specialists.tools.retrieval import define_terms, search_documents
from agentrt.specialists.tools.sql import describe_database, run_sql

__all__ = ["ALL_TOOLS", "TOOL_FAMILIES", "ToolFunction"]

ToolFunction = Callable[..., object]
"""A plain typed function with a Google-style docstring: what the tool layer wraps into a tool."""

TOOL_FAMILIES: Mapping[str, tuple[ToolFunction, ...]] = MappingProxyType(
    {
        "compute": (parse_table, describe_table, aggregate_table, compare_periods, top_k, run_python),
        "sql": (describe_database, run_sql),
        "retrieval": (search_documents, define_terms),
        "drafting": (draft_document,),
        "checks": (check_draft, check_artifact),
        "logs": (parse_log_lines, filter_log_events, count_errors_by_service, find_first_error, group_error_messages),
        "classify": (classify_text, classify_records, extract_entities),
    }
)
"""Tool functions by family: compute and sql for analysis, retrieval for research, drafting for writing,
checks for QA, logs and classify for investigation and triage."""

ALL_TOOLS: tuple[ToolFunction, ...] = tuple(tool for family in TOOL_FAMILIES.values() for tool in family)
"""Every tool function, each once."""
