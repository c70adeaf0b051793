"""The runtime's measurements as Ray application metrics (Prometheus; shown in the Ray dashboard).

:class:`RayMetrics` implements :class:`agentrt.supervisor.metrics.RuntimeMetrics`. Hand it
to the supervisor service inside the supervisor actor; the metric objects are
created there on first use, since Ray exports a metric from the process that
records it. Ray's exporter prefixes every name with ``ray_``:

=================================  =========  ==============================================
name                               type       tags
=================================  =========  ==============================================
``agentrt_runs``                   gauge      tenant, state: runs now in each state
``agentrt_run_transitions_total``  counter    tenant, state: runs that entered each state
``agentrt_steps_total``            counter    role, status: finished step attempts
``agentrt_step_latency_seconds``   histogram  role
``agentrt_tool_calls_total``       counter    tool, ok
``agentrt_tool_latency_seconds``   histogram  tool
``agentrt_tokens_total``           counter    role
``agentrt_cost_usd_total``         counter    role
``agentrt_pool_replicas``          gauge      role
``agentrt_steps_in_flight``        gauge      role
``agentrt_steps_queued``           gauge      role
``agentrt_approvals_waiting``      gauge      (none)
``agentrt_errors_total``           counter    kind
=================================  =========  ==============================================
"""

from __future__ import annotations

from collections import Counter as Tally
from dataclasses import dataclass
from typing import Any

from ray.util import metrics as ray_metrics

__all__ = ["LATENCY_BOUNDARIES_S", "METRIC_PREFIX", "RayMetrics"]

METRIC_PREFIX = "agentrt_"

LATENCY_BOUNDARIES_S: tuple[float, ...] = (0.01, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0, 60.0, 120.0, 300.0)
"""Histogram buckets of step and tool latencies, in seconds."""


@dataclass
class _Instruments:
    runs: ray_metrics.Gauge
    transitions: ray_metrics.Counter
    steps: ray_metrics.Counter
    step_latency: ray_metrics.Histogram
    tool_calls: ray_metrics.Counter
    tool_latency: ray_metrics.Histogram
    tokens: ray_metrics.Counter
    cost: ray_metrics.Counter
    replicas: ray_metrics.Gauge
    in_flight: ray_metrics.Gauge
    queued: ray_metrics.Gauge
    approvals: ray_metrics.Gauge
    errors: ray_metrics.Counter


def _make_instruments() -> _Instruments:
    def name(short: str) -> str:
        return METRIC_PREFIX + short

    bounds = list(LATENCY_BOUNDARIES_S)
    return _Instruments(
        runs=ray_metrics.Gauge(name("runs"), "Runs now in each state.", ("tenant", "state")),
        transitions=ray_metrics.Counter(name("run_transitions_total"), "Runs entering a state.", ("tenant", "state")),
        steps=ray_metrics.Counter(name("steps_total"), "Finished step attempts.", ("role", "status")),
        step_latency=ray_metrics.Histogram(name("step_latency_seconds"), "Step attempt latency.", bounds, ("role",)),
        tool_calls=ray_metrics.Counter(name("tool_calls_total"), "Finished tool calls.", ("tool", "ok")),
        tool_latency=ray_metrics.Histogram(name("tool_latency_seconds"), "Tool call latency.", bounds, ("tool",)),
        tokens=ray_metrics.Counter(name("tokens_total"), "Model tokens spent.", ("role",)),
        cost=ray_metrics.Counter(name("cost_usd_total"), "Model cost in US dollars.", ("role",)),
        replicas=ray_metrics.Gauge(name("pool_replicas"), "Replicas of a specialist pool.", ("role",)),
        in_flight=ray_metrics.Gauge(name("steps_in_flight"), "Steps running on a pool.", ("role",)),
        queued=ray_metrics.Gauge(name("steps_queued"), "Steps waiting for a replica.", ("role",)),
        approvals=ray_metrics.Gauge(name("approvals_waiting"), "Approval requests waiting for a person."),
        errors=ray_metrics.Counter(name("errors_total"), "Errors by kind.", ("kind",)),
    )


class RayMetrics:
    """Records the runtime's measurements with ``ray.util.metrics``.

    Construct it anywhere (it pickles while unused); the Ray metric objects are
    made lazily in the process that records, which must be a Ray worker or driver.
    Run counts per state are kept here, so one instance should serve one supervisor.
    """

    def __init__(self) -> None:
        self._instruments: _Instruments | None = None
        self._runs: Tally[tuple[str, str]] = Tally()

    def __getstate__(self) -> dict[str, Any]:
        # Ray metric objects belong to the process that made them; a copy makes its own.
        return {"_instruments": None, "_runs": Tally(self._runs)}

    @property
    def _m(self) -> _Instruments:
        if self._instruments is None:
            self._instruments = _make_instruments()
        return self._instruments

    def run_transition(self, tenant: str, old: str | None, new: str) -> None:
        """A run moved from ``old`` (None when new) to ``new``."""
        m = self._m
        if old is not None:
            self._runs[(tenant, old)] = max(0, self._runs[(tenant, old)] - 1)
            m.runs.set(self._runs[(tenant, old)], tags={"tenant": tenant, "state": old})
        self._runs[(tenant, new)] += 1
        m.runs.set(self._runs[(tenant, new)], tags={"tenant": tenant, "state": new})
        m.transitions.inc(1, tags={"tenant": tenant, "state": new})

    def step_finished(self, role: str, status: str, latency_s: float) -> None:
        """A step attempt ended."""
        self._m.steps.inc(1, tags={"role": role, "status": status})
        self._m.step_latency.observe(max(0.0, latency_s), tags={"role": role})

    def usage(self, role: str, tokens: int, usd: float) -> None:
        """Tokens and cost a step spent (counters only grow, so zero is skipped)."""
        if tokens > 0:
            self._m.tokens.inc(tokens, tags={"role": role})
        if usd > 0:
            self._m.cost.inc(usd, tags={"role": role})

    def tool_call(self, tool: str, ok: bool, latency_s: float) -> None:
        """A tool call ended."""
        self._m.tool_calls.inc(1, tags={"tool": tool, "ok": "true" if ok else "false"})
        self._m.tool_latency.observe(max(0.0, latency_s), tags={"tool": tool})

    def pool_load(self, role: str, replicas: int, in_flight: int, queued: int) -> None:
        """A pool's current load."""
        tags = {"role": role}
        self._m.replicas.set(replicas, tags=tags)
        self._m.in_flight.set(in_flight, tags=tags)
        self._m.queued.set(queued, tags=tags)

    def approvals_waiting(self, count: int) -> None:
        """Approval requests waiting for a person."""
        self._m.approvals.set(max(0, count))

    def error(self, kind: str) -> None:
        """An error of a kind happened."""
        self._m.errors.inc(1, tags={"kind": kind})
