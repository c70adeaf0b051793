"""The metrics port of the supervisor: what it counts, whoever exports it."""

from __future__ import annotations

from typing import Protocol

__all__ = ["NullMetrics", "RuntimeMetrics"]


class RuntimeMetrics(Protocol):
    """Receives the runtime's measurements (the cluster layer exports them to Ray's metrics)."""

    def run_transition(self, tenant: str, old: str | None, new: str) -> None:
        """A run moved from ``old`` (None when new) to ``new``."""
        ...

    def step_finished(self, role: str, status: str, latency_s: float) -> None:
        """A step attempt ended."""
        ...

    def usage(self, role: str, tokens: int, usd: float) -> None:
        """Tokens and cost a step spent."""
        ...

    def tool_call(self, tool: str, ok: bool, latency_s: float) -> None:
        """A tool call ended."""
        ...

    def pool_load(self, role: str, replicas: int, in_flight: int, queued: int) -> None:
        """A pool's current load."""
        ...

    def approvals_waiting(self, count: int) -> None:
        """Approval requests waiting for a person."""
        ...

    def error(self, kind: str) -> None:
        """An error of a kind happened."""
        ...


class NullMetrics:
    """Counts nothing (the default outside a cluster)."""

    def run_transition(self, tenant: str, old: str | None, new: str) -> None:
        """Ignore."""

    def step_finished(self, role: str, status: str, latency_s: float) -> None:
        """Ignore."""

    def usage(self, role: str, tokens: int, usd: float) -> None:
        """Ignore."""

    def tool_call(self, tool: str, ok: bool, latency_s: float) -> None:
        """Ignore."""

    def pool_load(self, role: str, replicas: int, in_flight: int, queued: int) -> None:
        """Ignore."""

    def approvals_waiting(self, count: int) -> None:
        """Ignore."""

    def error(self, kind: str) -> None:
        """Ignore."""
