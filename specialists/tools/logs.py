"""Log tools: parse log lines, filter them, count errors per service, find the first error and its context.

Three line formats are read: ``<timestamp> <LEVEL> [service] message`` (or
``service: message``), JSON lines (``ts``/``timestamp``/``time``,
``level``/``severity``, ``service``/``logger``, ``msg``/``message``), and
logfmt (``ts=... level=... service=... msg="..."``). A line that matches none
(a stack trace line) continues the message of the event before it. Every
result cites the log lines it rests on.
"""

from __future__ import annotations

import json
import re
from collections import Counter
from datetime import UTC, datetime

from agentrt.contracts import ToolArgumentError
from agentrt.specialists.tools._frozen import FrozenModel
from agentrt.specialists.tools.evidence import Citation, Fact, Passage

__all__ = [
    "ErrorCounts",
    "ErrorContext",
    "LogEvent",
    "LogSelection",
    "MessagePattern",
    "count_errors_by_service",
    "filter_log_events",
    "find_first_error",
    "group_error_messages",
    "parse_log_lines",
]

_LEVELS = {"TRACE": 0, "DEBUG": 10, "INFO": 20, "NOTICE": 25, "WARNING": 30, "ERROR": 40, "CRITICAL": 50}
_ALIASES = {"WARN": "WARNING", "ERR": "ERROR", "FATAL": "CRITICAL", "CRIT": "CRITICAL", "SEVERE": "ERROR"}
_PLAIN = re.compile(
    r"^(?P<ts>\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}:\d{2}(?:[.,]\d+)?(?:Z|[+-]\d{2}:?\d{2})?)\s+"
    r"(?P<level>[A-Za-z]+)\s+(?:\[(?P<service>[^\]]+)\]|(?P<named>[\w.-]+):)\s*(?P<message>.*)$"
)
_LOGFMT = re.compile(r'(\w+)=("(?:[^"\\]|\\.)*"|\S+)')
_VARIABLE = re.compile(r"\b[0-9a-f]{8,}\b|\b\d+(?:\.\d+)?(?:ms|s|%)?\b|(?<==)\S+")
_QUOTE_CHARS = 300


class LogEvent(FrozenModel):
    """One log event: where it is, when, how severe, which service, and what it says."""

    line: int
    timestamp: str
    level: str
    service: str
    message: str


def _level(text: str) -> str:
    upper = text.upper()
    return _ALIASES.get(upper, upper if upper in _LEVELS else "INFO")


def _instant(timestamp: str) -> datetime:
    text = timestamp.replace(",", ".").replace(" ", "T").replace("Z", "+00:00")
    moment = datetime.fromisoformat(text)
    # Logs without a zone are read as UTC so that windows compare consistently.
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def _structured(line: str) -> dict[str, str] | None:
    if line.startswith("{"):
        try:
            data = json.loads(line)
        except ValueError:
            return None
        return {str(k): str(v) for k, v in data.items()} if isinstance(data, dict) else None
    pairs = {k: v.strip('"') for k, v in _LOGFMT.findall(line)}
    return pairs if "level" in pairs and ("msg" in pairs or "message" in pairs) else None


def _event(number: int, line: str) -> LogEvent | None:
    match = _PLAIN.match(line)
    if match:
        service = match.group("service") or match.group("named") or ""
        return LogEvent(
            line=number,
            timestamp=match.group("ts"),
            level=_level(match.group("level")),
            service=service,
            message=match.group("message"),
        )
    data = _structured(line)
    if data is None:
        return None
    timestamp = data.get("ts") or data.get("timestamp") or data.get("time") or ""
    return LogEvent(
        line=number,
        timestamp=timestamp,
        level=_level(data.get("level") or data.get("severity") or "INFO"),
        service=data.get("service") or data.get("logger") or data.get("app") or "",
        message=data.get("msg") or data.get("message") or "",
    )


def parse_log_lines(log_text: str) -> list[LogEvent]:
    """Parse log lines into events (timestamp, level, service, message); stack-trace lines join the event above.

    Args:
        log_text: The log, one event per line.
    """
    events: list[LogEvent] = []
    for number, line in enumerate(log_text.splitlines(), 1):
        if not line.strip():
            continue
        event = _event(number, line.rstrip())
        if event is not None:
            events.append(event)
        elif events:
            last = events[-1]
            events[-1] = last.model_copy(update={"message": f"{last.message}\n{line.rstrip()}"})
    return events


def _cite(source: str, events: list[LogEvent]) -> list[Citation]:
    return [
        Citation(
            source=source,
            locator=f"line {e.line}",
            quote=f"{e.timestamp} {e.level} [{e.service}] {e.message}"[:_QUOTE_CHARS],
        )
        for e in events
    ]


def _rank(level: str, field: str = "min_level") -> int:
    name = _level(level)
    if level.upper() not in _LEVELS and level.upper() not in _ALIASES:
        raise ToolArgumentError(f"unknown log level {level!r}; use one of {list(_LEVELS)}", field=field)
    return _LEVELS[name]


class LogSelection(FrozenModel):
    """Events that matched a filter (at most ``max_events``), how many matched, and citations of those returned."""

    events: list[LogEvent]
    matched: int
    truncated: bool
    citations: list[Citation]


def filter_log_events(
    log_text: str,
    min_level: str | None = None,
    service: str | None = None,
    start: str | None = None,
    end: str | None = None,
    contains: str | None = None,
    max_events: int = 200,
    source: str = "app.log",
) -> LogSelection:
    """Filter log events by minimum level, service, time window and text, returning the matching lines with citations.

    Args:
        log_text: The log, one event per line.
        min_level: Keep events at or above this level (``DEBUG``, ``INFO``, ``WARNING``, ``ERROR``, ``CRITICAL``).
        service: Keep events of this service only.
        start: Keep events at or after this ISO 8601 time.
        end: Keep events at or before this ISO 8601 time.
        contains: Keep events whose message contains this text (case-insensitive).
        max_events: Most events to return.
        source: Name of the log file, used in citations.
    """
    floor = _rank(min_level) if min_level else 0
    after = _instant(start) if start else None
    before = _instant(end) if end else None
    needle = (contains or "").lower()
    matched = [
        e
        for e in parse_log_lines(log_text)
        if _LEVELS[e.level] >= floor
        and (not service or e.service == service)
        and (after is None or (e.timestamp and _instant(e.timestamp) >= after))
        and (before is None or (e.timestamp and _instant(e.timestamp) <= before))
        and needle in e.message.lower()
    ]
    kept = matched[:max_events]
    return LogSelection(
        events=kept, matched=len(matched), truncated=len(matched) > len(kept), citations=_cite(source, kept)
    )


class ErrorCounts(FrozenModel):
    """Errors per service, when each service's first and last error happened, and facts for drafting.

    ``follow_up`` names the next thing the evidence calls for: the first error of the
    service that failed first, and the events around it.
    """

    min_level: str
    counts: dict[str, int]
    first_error_at: dict[str, str]
    last_error_at: dict[str, str]
    facts: list[Fact]
    follow_up: list[dict[str, str]] = []
    citations: list[Citation]


def count_errors_by_service(log_text: str, min_level: str = "ERROR", source: str = "app.log") -> ErrorCounts:
    """Count error events per service in a log, most errors first, with each service's first and last error time.

    Args:
        log_text: The log, one event per line.
        min_level: Count events at or above this level.
        source: Name of the log file, used in facts and citations.
    """
    floor = _rank(min_level)
    errors = [e for e in parse_log_lines(log_text) if _LEVELS[e.level] >= floor]
    counts = dict(Counter(e.service for e in errors).most_common())
    first = {s: next(e for e in errors if e.service == s) for s in counts}
    last = {s: next(e for e in reversed(errors) if e.service == s) for s in counts}
    return ErrorCounts(
        min_level=_level(min_level),
        counts=counts,
        first_error_at={s: e.timestamp for s, e in first.items()},
        last_error_at={s: e.timestamp for s, e in last.items()},
        facts=[
            Fact(label=f"{_level(min_level)} events, {s}", value=n, unit="events", source=source)
            for s, n in counts.items()
        ],
        follow_up=[
            {
                "role": "analyst",
                "instruction": f'Find the first error of service="{e.service}" in {source} and the events around it: '
                f"{e.service} failed first",
            }
            for e in sorted(first.values(), key=lambda e: e.line)[:1]
        ],
        citations=_cite(source, sorted(first.values(), key=lambda e: e.line)),
    )


class ErrorContext(FrozenModel):
    """The first error (None when there is none), the events around it, and where the evidence points next.

    Attributes:
        error: The first error.
        before: Events just before it.
        after: Events just after it.
        passages: The error and the warnings before it as quoted evidence, for a draft.
        follow_up: Steps the evidence calls for: when the error names another service of the
            log (an upstream it called), the first error of that service is the next thing to find.
        citations: Where the error is.
    """

    error: LogEvent | None
    before: list[LogEvent]
    after: list[LogEvent]
    passages: list[Passage] = []
    follow_up: list[dict[str, str]] = []
    citations: list[Citation]


def find_first_error(
    log_text: str,
    service: str | None = None,
    min_level: str = "ERROR",
    context_events: int = 5,
    source: str = "app.log",
) -> ErrorContext:
    """Find the first error in a log (optionally of one service) and the events around it, across all services.

    Args:
        log_text: The log, one event per line.
        service: Look for the first error of this service only; the context still shows every service.
        min_level: What counts as an error.
        context_events: How many events to show before and after it.
        source: Name of the log file, used in citations.
    """
    floor = _rank(min_level)
    events = parse_log_lines(log_text)
    position = next(
        (i for i, e in enumerate(events) if _LEVELS[e.level] >= floor and (not service or e.service == service)), None
    )
    if position is None:
        return ErrorContext(error=None, before=[], after=[], citations=[])
    before = events[max(0, position - context_events) : position]
    after = events[position + 1 : position + 1 + context_events]
    error = events[position]
    evidence = [e for e in before if _LEVELS[e.level] >= _LEVELS["WARNING"]] + [error]
    passages = [Passage(text=c.quote, citation=c) for c in _cite(source, evidence)]
    return ErrorContext(
        error=error,
        before=before,
        after=after,
        passages=passages,
        follow_up=_upstream_follow_up(error, events, source),
        citations=_cite(source, [error]),
    )


def _upstream_follow_up(error: LogEvent, events: list[LogEvent], source: str) -> list[dict[str, str]]:
    services = {e.service for e in events} - {error.service}
    named = sorted(s for s in services if re.search(rf"(?<![\w-]){re.escape(s)}(?![\w-])", error.message))
    return [
        {
            "role": "analyst",
            "instruction": f'Find the first error of service="{s}" in {source} and the events around it: '
            f"the first error of {error.service} points at it",
        }
        for s in named
    ]


class MessagePattern(FrozenModel):
    """A kind of message (numbers, ids and values masked), how often it occurred, where and when first and last."""

    pattern: str
    level: str
    services: list[str]
    count: int
    first_seen: str
    last_seen: str
    example: LogEvent
    citation: Citation


def group_error_messages(
    log_text: str, min_level: str = "WARNING", service: str | None = None, source: str = "app.log"
) -> list[MessagePattern]:
    """Group warning and error messages of a log into patterns (numbers and ids masked), most frequent first.

    Args:
        log_text: The log, one event per line.
        min_level: Group events at or above this level.
        service: Group events of this service only.
        source: Name of the log file, used in citations.
    """
    floor = _rank(min_level)
    groups: dict[tuple[str, str], list[LogEvent]] = {}
    for e in parse_log_lines(log_text):
        if _LEVELS[e.level] >= floor and (not service or e.service == service):
            pattern = _VARIABLE.sub("<n>", e.message.splitlines()[0] if e.message else "")
            groups.setdefault((e.level, pattern), []).append(e)
    patterns = [
        MessagePattern(
            pattern=pattern,
            level=level,
            services=sorted({e.service for e in members}),
            count=len(members),
            first_seen=members[0].timestamp,
            last_seen=members[-1].timestamp,
            example=members[0],
            citation=_cite(source, members[:1])[0],
        )
        for (level, pattern), members in groups.items()
    ]
    return sorted(patterns, key=lambda p: (-p.count, p.example.line))
