"""Requests a client sends to the runtime about runs, and what it gets back."""

from __future__ import annotations

from typing import Literal

from pydantic import Field

from agentrt.contracts._base import Contract, Timestamp
from agentrt.contracts.events import RunEvent
from agentrt.contracts.ids import Name, RunId, TenantId
from agentrt.contracts.run import RunState, RunStatus

__all__ = [
    "Ack",
    "CancelRun",
    "DrainRuntime",
    "EventsQuery",
    "ManifestQuery",
    "RunEvents",
    "RunList",
    "RunQuery",
    "RunSummary",
    "RunUpdate",
    "RuntimeManifest",
    "ScalePool",
    "WaitQuery",
]


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
    """Ask for a run's events after a sequence number.

    Attributes:
        wait_s: When no event follows ``after_seq`` yet, wait up to this long for one
            (0: answer at once); the answer comes as soon as one is appended.
    """

    kind: Literal["events_query"] = "events_query"
    tenant: TenantId
    run_id: RunId
    after_seq: int = Field(default=-1, ge=-1)
    limit: int = Field(default=1000, ge=1, le=100_000)
    wait_s: float = Field(default=0.0, ge=0, le=300)


class WaitQuery(Contract):
    """Wait for a run to end, or to leave a status the caller saw, up to ``timeout_s`` (a long poll).

    Attributes:
        seen: Answer as soon as the run's status is another (None: only once it ends).
        timeout_s: Longest the supervisor holds the call (0: answer at once).
    """

    kind: Literal["wait_query"] = "wait_query"
    tenant: TenantId
    run_id: RunId
    seen: RunStatus | None = None
    timeout_s: float = Field(default=30.0, ge=0, le=300)


class RunUpdate(Contract):
    """The answer to a :class:`WaitQuery`: the run's state when it ended, changed, or the wait ran out.

    Attributes:
        busy: The supervisor held too many waits to hold this one and answered at once;
            pause before asking again.
    """

    kind: Literal["run_update"] = "run_update"
    state: RunState
    busy: bool = False


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


class ManifestQuery(Contract):
    """Ask the supervisor which configuration it runs."""

    kind: Literal["manifest_query"] = "manifest_query"


class RuntimeManifest(Contract):
    """What a running runtime was configured with, as digests a second client can compare.

    Attributes:
        fingerprint: Digest of the parts that specialist replicas are built from
            (tools, roles, workflows, models, policy); replica actor names end with it.
        parts: One digest per part, keyed ``kind:name`` (``tool:lookup_order``,
            ``role:billing``, ``workflow:ticket-triage``, ``model:analyst``, ``policy``,
            ``run_store``, ``memory``, ``embedder``, ``data_dir``, ...).
    """

    kind: Literal["runtime_manifest"] = "runtime_manifest"
    fingerprint: str = Field(min_length=1, max_length=64)
    parts: dict[str, str] = Field(default_factory=dict)


class DrainRuntime(Contract):
    """Wait until no run is being driven, before the runtime's parts are replaced."""

    kind: Literal["drain_runtime"] = "drain_runtime"
    timeout_s: float = Field(default=60.0, gt=0, le=3600)
