"""Showing a run's progress from its trace events: a live block on a terminal, plain lines elsewhere."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Protocol, TextIO

from agentrt.contracts import RunEvent

__all__ = ["LineProgress", "ProgressView", "TerminalProgress", "describe", "progress_for"]

_MARKS = {"pending": ".", "running": ">", "succeeded": "+", "failed": "x", "skipped": "-",
          "needs_approval": "?", "waiting_approval": "?"}


class ProgressView(Protocol):
    """Receives a run's events one by one and shows them."""

    def show(self, event: RunEvent) -> None:
        """Take one event into account."""
        ...

    def close(self) -> None:
        """Finish the display."""
        ...


def _step_line(event: RunEvent) -> str:
    d = event.data
    role = d.get("role", "?")
    if event.type == "step_started":
        return f"[step {event.step_id}] {role} started"
    status = str(d.get("status", "?"))
    tokens = f", {event.tokens} tokens" if event.tokens else ""
    why = f": {event.error.message}" if event.error is not None else ""
    return f"[step {event.step_id}] {role} {status}{tokens}{why}"


def _plan_line(event: RunEvent) -> str:
    steps = event.data.get("steps")
    parts = []
    for s in steps if isinstance(steps, list) else []:
        if isinstance(s, dict):
            deps = s.get("depends_on") or []
            after = f" after {','.join(str(x) for x in deps)}" if isinstance(deps, list) and deps else ""
            parts.append(f"{s.get('id')} {s.get('role')}{after}")
    return f"[plan] v{event.data.get('version', 1)}: " + "; ".join(parts)


def describe(event: RunEvent, run_id: str = "RUN") -> str | None:
    """One line about an event for people, or None for events not worth a line (model calls)."""
    d = event.data
    if event.type == "run_state":
        reason = f" ({d['reason']})" if d.get("reason") else ""
        return f"[run] {d.get('from') or 'new'} -> {d.get('to')}{reason}"
    if event.type == "plan":
        return _plan_line(event)
    if event.type in ("step_started", "step_finished"):
        return _step_line(event)
    if event.type == "approval_requested":
        rid = d.get("id", "?")
        return f"[approval] {d.get('tool', '?')} waits for approval {rid}: agentrt approve {rid} (or --reject)"
    if event.type == "clarification_requested":
        return f"[question] {d.get('question', '')} -> agentrt answer {run_id} {d.get('id', '?')} \"...\""
    if event.type == "tool_call":
        ok = "failed" if event.error is not None else "ok"
        took = f" {event.latency_s:.2f}s" if event.latency_s is not None else ""
        return f"[tool] {event.step_id or ''} {d.get('tool', '?')} {ok}{took}".replace("  ", " ")
    if event.type == "model_call":
        return None
    body = ", ".join(f"{k}={len(v)} items" if isinstance(v, list) else f"{k}={v}"
                     for k, v in d.items() if not isinstance(v, dict))[:160]
    where = f" {event.step_id}" if event.step_id else ""
    return f"[{event.type.replace('_', ' ')}]{where} {body}".rstrip()


class LineProgress:
    """One plain line per notable event (for logs, pipes and CI)."""

    def __init__(self, out: TextIO, run_id: str = "RUN") -> None:
        self._out = out
        self._run_id = run_id

    def show(self, event: RunEvent) -> None:
        """Print the event's line."""
        line = describe(event, self._run_id)
        if line is not None:
            print(line, file=self._out, flush=True)

    def close(self) -> None:
        """Nothing to finish."""


@dataclass
class _Board:
    status: str = "intake"
    steps: dict[str, list[str]] = field(default_factory=dict)  # id -> [role, status]
    notes: list[str] = field(default_factory=list)
    tokens: int = 0


class TerminalProgress:
    """A compact block redrawn in place: the run's state, one line per step, open questions."""

    def __init__(self, out: TextIO, run_id: str = "RUN") -> None:
        self._out = out
        self._run_id = run_id
        self._board = _Board()
        self._drawn = 0

    def show(self, event: RunEvent) -> None:
        """Update the board and redraw it."""
        b, d = self._board, event.data
        if event.type == "run_state":
            b.status = str(d.get("to"))
        elif event.type in ("plan", "replan") and isinstance(d.get("steps"), list):
            for s in d["steps"]:  # type: ignore[union-attr]
                if isinstance(s, dict):
                    b.steps.setdefault(str(s.get("id")), [str(s.get("role")), "pending"])
        elif event.type == "step_started" and event.step_id:
            b.steps[event.step_id] = [str(d.get("role", "?")), "running"]
        elif event.type == "step_finished" and event.step_id:
            b.steps[event.step_id] = [str(d.get("role", "?")), str(d.get("status", "?"))]
            b.tokens += event.tokens or 0
        elif event.type in ("approval_requested", "clarification_requested", "budget"):
            b.notes.append(describe(event, self._run_id) or "")
        self._draw()

    def _lines(self) -> list[str]:
        b = self._board
        done = sum(1 for _, s in b.steps.values() if s == "succeeded")
        lines = [f"run {self._run_id}  {b.status}  {done}/{len(b.steps)} steps done  {b.tokens} tokens"]
        lines += [f"  {_MARKS.get(s, '?')} {sid:<10} {role:<12} {s}" for sid, (role, s) in b.steps.items()]
        return lines + [f"  {n}" for n in b.notes[-3:]]

    def _draw(self) -> None:
        # Move to the start of the previous block and clear it, then write the new one.
        prefix = f"\x1b[{self._drawn}F\x1b[J" if self._drawn else ""
        lines = self._lines()
        self._out.write(prefix + "\n".join(lines) + "\n")
        self._out.flush()
        self._drawn = len(lines)

    def close(self) -> None:
        """Leave the last block on screen."""
        self._out.flush()


def progress_for(out: TextIO, run_id: str = "RUN") -> ProgressView:
    """A live block when ``out`` is a terminal, plain lines otherwise."""
    isatty = getattr(out, "isatty", None)
    return TerminalProgress(out, run_id) if isatty is not None and isatty() else LineProgress(out, run_id)
