"""Log tools parse three formats, filter, count errors per service and find the first error with its context."""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path

import pytest

from agentrt.contracts import ToolArgumentError
from agentrt.specialists.tools import (
    count_errors_by_service,
    filter_log_events,
    find_first_error,
    group_error_messages,
    parse_log_lines,
)

APP_LOG = (Path(__file__).resolve().parents[2] / "examples" / "incident" / "app.log").read_text()


def test_error_counts_per_service_match_an_independent_count() -> None:
    expected = Counter(line.split()[2].strip("[]") for line in APP_LOG.splitlines() if line.split()[1] == "ERROR")
    counts = count_errors_by_service(APP_LOG, source="app.log")
    assert counts.counts == dict(expected)
    assert list(counts.counts.values()) == sorted(counts.counts.values(), reverse=True)
    assert {f.label: f.value for f in counts.facts}["ERROR events, orders-service"] == expected["orders-service"]
    assert all(c.source == "app.log" and c.locator.startswith("line ") for c in counts.citations)


def test_first_error_points_at_the_caller_and_the_root_cause_comes_later_from_another_service() -> None:
    first = find_first_error(APP_LOG, context_events=3)
    assert first.error is not None and first.error.service == "checkout-api"
    assert "upstream timeout calling orders-service" in first.error.message
    assert len(first.before) == 3 and all(e.line < first.error.line for e in first.before)
    assert first.citations[0].locator == f"line {first.error.line}"
    assert first.citations[0].quote in APP_LOG.splitlines()[first.error.line - 1].replace("ERROR  ", "ERROR")

    upstream = find_first_error(APP_LOG, service="orders-service")
    assert upstream.error is not None and upstream.error.line > first.error.line
    assert "pool exhausted" in upstream.error.message
    patterns = group_error_messages(APP_LOG, service="orders-service")
    assert patterns[0].pattern.startswith("could not acquire DB connection: pool exhausted")
    assert patterns[0].count == APP_LOG.count("pool exhausted")


def test_filters_by_level_service_time_window_and_text() -> None:
    selection = filter_log_events(
        APP_LOG, service="orders-service", start="2024-03-19T14:05:00Z", end="2024-03-19T14:06:00Z", contains="config"
    )
    assert [e.message for e in selection.events] == [
        "config loaded db.pool.max_size=10 db.pool.acquire_timeout_ms=5000"
    ]
    warnings = filter_log_events(APP_LOG, min_level="WARNING", max_events=5)
    assert warnings.truncated and len(warnings.events) == 5 and warnings.matched > 5
    assert all(e.level in ("WARNING", "ERROR", "CRITICAL") for e in warnings.events)
    with pytest.raises(ToolArgumentError):
        filter_log_events(APP_LOG, min_level="LOUD")


def test_json_logfmt_and_continuation_lines_are_parsed() -> None:
    text = "\n".join(
        [
            json.dumps({"ts": "2024-01-01T00:00:00Z", "level": "warn", "service": "api", "msg": "slow"}),
            'ts=2024-01-01T00:00:01Z level=error service=db msg="disk full"',
            "2024-01-01 00:00:02,500 ERROR worker: job failed",
            "Traceback (most recent call last):",
            '  File "job.py", line 3',
        ]
    )
    events = parse_log_lines(text)
    assert [(e.level, e.service, e.message.splitlines()[0]) for e in events] == [
        ("WARNING", "api", "slow"),
        ("ERROR", "db", "disk full"),
        ("ERROR", "worker", "job failed"),
    ]
    assert events[2].message.count("\n") == 2
    window = filter_log_events(text, start="2024-01-01T00:00:01Z")
    assert [e.service for e in window.events] == ["db", "worker"]
