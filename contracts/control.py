"""Requests a client sends to the runtime about runs, and what it gets back."""

from __future__ import annotations

from typing import Literal

from pydantic import Field

from contracts._base import Contract, Timestamp
from contracts.events import RunEvent
from contracts.ids import Name, RunId, TenantId
from contracts.run import RunStatus

__all__ = ["Ack", "CancelRun", "EventsQuery", "RunEvents", "RunList", "RunQuery", "RunSummary", "ScalePool"]


class RunQuery(Contract):
    """Ask for one run's state (or all of a tenant's runs when ``run_id`` is None)."""

    kind: Literal["run_query"] = "run_query"
    tenant: TenantId
    run_id: RunId | None = None


class RunSummary(Contract):
    """A line about a run."""

    kind: Literal["run_summary"] = "run_summary"
    run_id: RunId
    tenant: TenantId
    status: RunStatus
    goal: str
    updated_at: Timestamp


class RunList(Contract):
    """Runs, newest first."""

    kind: Literal["run_list"] = "run_list"
    runs: tuple[RunSummary, ...] = ()


class EventsQuery(Contract):
    """Ask for a run's events after a sequence number."""

    kind: Literal["events_query"] = "events_query"
    tenant: TenantId
    run_id: RunId
    after_seq: int = Field(default=-1, ge=-1)
    limit: int = Field(default=1000, ge=1, le=100_000)


class RunEvents(Contract):
    """A slice of a run's trace."""

    kind: Literal["run_events"] = "run_events"
    events: tuple[RunEvent, ...] = ()


class CancelRun(Contract):
    """Cancel a run."""

    kind: Literal["cancel_run"] = "cancel_run"
    tenant: TenantId
    run_id: RunId
    reason: str = ""


class ScalePool(Contract):
    """Set the number of replicas of a specialist role."""

    kind: Literal["scale_pool"] = "scale_pool"
    role: Name
    replicas: int = Field(ge=0, le=256)


class Ack(Contract):
    """A plain acknowledgement."""

    kind: Literal["ack"] = "ack"
    ok: bool = True
    detail: str = ""
