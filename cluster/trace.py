"""A run's trace as JSON lines: one :class:`agentrt.contracts.RunEvent` per line, in sequence order."""

from __future__ import annotations

import os
from collections.abc import Iterable
from pathlib import Path
from typing import TextIO

from pydantic import ValidationError

from agentrt.contracts import ContractError, RunEvent

__all__ = ["export_trace", "read_trace", "write_trace"]


def write_trace(events: Iterable[RunEvent], out: TextIO) -> int:
    """Write events as JSON lines to a stream; return how many were written."""
    count = 0
    for event in events:
        out.write(event.model_dump_json() + "\n")
        count += 1
    return count


def export_trace(events: Iterable[RunEvent], path: Path | str) -> int:
    """Write events as JSON lines to a file (replaced whole, never left half-written); return the count."""
    target = Path(path)
    partial = target.with_name(f".{target.name}.partial")
    with partial.open("w", encoding="utf-8") as out:
        count = write_trace(events, out)
    os.replace(partial, target)
    return count


def read_trace(path: Path | str) -> list[RunEvent]:
    """Read a trace written by :func:`export_trace`.

    Raises:
        ContractError: A line is not a valid event; the message gives its number.
    """
    events = []
    with Path(path).open(encoding="utf-8") as lines:
        for number, line in enumerate(lines, start=1):
            if not line.strip():
                continue
            try:
                events.append(RunEvent.model_validate_json(line))
            except ValidationError as exc:
                why = exc.errors()[0]["msg"]
                raise ContractError(f"{path}:{number}: not a run event: {why}", what="line") from None
    return events
