"""The last gate before a run's result reaches anyone: output redaction, then the user's content filter.

With ``SupervisorConfig.redact_output`` (the default) personal data and secrets in the
final output and in the deliverables it is made of are replaced by ``[REDACTED:KIND]``
markers. A content filter (``SupervisorConfig.output_filter``, ``"module:callable"``)
then sees the redacted text and the goal, and allows it, replaces it, or blocks it: a
blocked output is withheld and the run fails with the filter's reason.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable
from dataclasses import dataclass
from typing import Literal

from agentrt.actors.redaction import redact, redact_json
from agentrt.contracts import Artifact, ConfigError, Goal

__all__ = ["FilterVerdict", "GuardedOutput", "OutputFilter", "OutputGuard", "load_output_filter"]


@dataclass(frozen=True, slots=True)
class FilterVerdict:
    """What a content filter decided about a final output.

    Attributes:
        action: ``allow`` it as it is, ``replace`` it with ``text``, or ``block`` it.
        text: The replacement (for ``replace``).
        reason: Why (traced; shown to the user for ``block``).
    """

    action: Literal["allow", "replace", "block"] = "allow"
    text: str = ""
    reason: str = ""


OutputFilter = Callable[[str, Goal], FilterVerdict]
"""A content filter: the redacted final output and the goal in, a verdict out."""


@dataclass(frozen=True, slots=True)
class GuardedOutput:
    """A final output after the gate: its text, deliverables, redaction count and verdict."""

    text: str
    artifacts: tuple[Artifact, ...]
    redactions: int
    verdict: FilterVerdict


def load_output_filter(spec: str) -> OutputFilter:
    """Import ``"module:callable"``.

    Raises:
        ConfigError: The module or the callable cannot be found.
    """
    module_name, _, name = spec.partition(":")
    if not module_name or not name:
        raise ConfigError(f"output filter {spec!r} must be 'module:callable'", output_filter=spec)
    try:
        found = getattr(importlib.import_module(module_name), name)
    except (ImportError, AttributeError) as exc:
        raise ConfigError(f"cannot load output filter {spec}: {exc}", output_filter=spec) from None
    if not callable(found):
        raise ConfigError(f"output filter {spec} is not callable", output_filter=spec)
    filter_: OutputFilter = found
    return filter_


class OutputGuard:
    """Redacts a final output and runs the content filter on it.

    Args:
        redact_output: Replace personal data and secrets with markers.
        content_filter: Run after redaction; None allows everything.
    """

    def __init__(self, redact_output: bool = True, content_filter: OutputFilter | None = None) -> None:
        self._redact = redact_output
        self._filter = content_filter

    def apply(self, goal: Goal, text: str, artifacts: tuple[Artifact, ...]) -> GuardedOutput:
        """Pass a final output and its deliverables through the gate.

        A filter that raises or returns something other than a verdict blocks the output
        (a gate that fails open is no gate).
        """
        count = 0
        if self._redact:
            done = redact(text)
            text, count = done.text, done.count
            cleaned = []
            for a in artifacts:
                r = redact(a.text)
                data, found = redact_json(a.data)
                count += r.count + found
                cleaned.append(a.model_copy(update={"text": r.text, "data": data}) if r.count or found else a)
            artifacts = tuple(cleaned)
        verdict = FilterVerdict()
        if self._filter is not None:
            verdict = _judged(self._filter, text, goal)
            if verdict.action == "replace":
                text = verdict.text
        return GuardedOutput(text, artifacts, count, verdict)


def _judged(content_filter: OutputFilter, text: str, goal: Goal) -> FilterVerdict:
    try:
        found: object = content_filter(text, goal)
    except Exception as exc:  # noqa: BLE001  (any failure of the filter withholds the output)
        return FilterVerdict("block", reason=f"the content filter failed: {type(exc).__name__}: {exc}")
    if not isinstance(found, FilterVerdict):
        return FilterVerdict("block", reason=f"the content filter returned {type(found).__name__}, not a FilterVerdict")
    return found
