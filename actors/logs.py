"""Structured logging whose every line is redacted before it is written.

Call :func:`configure_logging` once per process (the cluster wiring does it in
each actor); then log with ``structlog.get_logger()``. The
:func:`redact_processor` runs after exceptions are formatted and before the
line is rendered, so neither a value, a key nor a traceback can carry an email
address or an API key to the log.
"""

from __future__ import annotations

import logging
import sys
from collections.abc import MutableMapping
from typing import Any, TextIO

import structlog
from pydantic_core import to_jsonable_python

from agentrt.actors.redaction import redact_json
from agentrt.contracts import JsonValue

__all__ = ["configure_logging", "redact_processor"]


def redact_processor(logger: object, method: str, event_dict: MutableMapping[str, Any]) -> MutableMapping[str, Any]:
    """A structlog processor that redacts every key and value of the event."""
    out: dict[str, Any] = {}
    for key, value in event_dict.items():
        plain: JsonValue = to_jsonable_python(value, fallback=repr)
        redacted_key, _ = redact_json(key)
        out[str(redacted_key)], _ = redact_json(plain)
    return out


def configure_logging(level: str = "info", *, json: bool = True, stream: TextIO | None = None) -> None:
    """Configure structlog for this process: level filter, timestamps, redaction, JSON or console lines.

    Args:
        level: Lowest level written (``debug``, ``info``, ``warning``, ``error``).
        json: One JSON object per line when True, else human-readable lines.
        stream: Where lines go (standard error by default).
    """
    renderer: Any = structlog.processors.JSONRenderer() if json else structlog.dev.ConsoleRenderer(colors=False)
    structlog.configure(
        processors=[
            structlog.contextvars.merge_contextvars,
            structlog.processors.add_log_level,
            structlog.processors.TimeStamper(fmt="iso", utc=True),
            structlog.processors.format_exc_info,
            redact_processor,
            renderer,
        ],
        wrapper_class=structlog.make_filtering_bound_logger(logging.getLevelNamesMapping()[level.upper()]),
        logger_factory=structlog.PrintLoggerFactory(stream or sys.stderr),
        cache_logger_on_first_use=False,
    )
