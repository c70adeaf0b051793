"""Ports: the Protocols through which the runtime's parts reach each other.

Each has an in-process default; the same service code runs against a remote
actor handle that implements the same Protocol. The service ports (``SupervisorRef``,
``SpecialistRef``/``ReplicaRef``, ``MemoryRef``, ``EventRecorder``) are also what an
actor serves: ``agentrt.actors.proxy`` derives the typed client of a service from its
port, and the actor host answers only the port's methods. A service port's methods each
take one request contract and return one reply contract.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Protocol, runtime_checkable

import numpy as np
from numpy.typing import NDArray

from agentrt.contracts._base import Contract
from agentrt.contracts.approval import ApprovalDecision, ClarificationAnswer
from agentrt.contracts.chat import ChatMessage, ModelReply
from agentrt.contracts.control import (
    Ack,
    CancelRun,
    DrainRuntime,
    EventsQuery,
    ManifestQuery,
    RunEvents,
    RunList,
    RunQuery,
    RunSummary,
    RuntimeManifest,
    RunUpdate,
    ScalePool,
    WaitQuery,
)
from agentrt.contracts.events import RunEvent
from agentrt.contracts.goal import Goal
from agentrt.contracts.identity import Identity
from agentrt.contracts.ids import RunId
from agentrt.contracts.memory import (
    AuditLog,
    AuditQuery,
    ConsentPolicy,
    FactAnswer,
    FactQuery,
    FactResolution,
    FactWrite,
    FactWriteAck,
    Grant,
    MemoryAck,
    MemoryHits,
    MemoryQuery,
    MemoryWrite,
    MemoryWriteAck,
    RetentionSweep,
    SweepReport,
    WorkingState,
    WorkingStateQuery,
)
from agentrt.contracts.plan import Step
from agentrt.contracts.policy import PolicyDecision
from agentrt.contracts.result import ResponseFormat
from agentrt.contracts.run import RunState
from agentrt.contracts.task import TaskAssignment, TaskResult
from agentrt.contracts.tools import ToolCall, ToolSpec

__all__ = [
    "ChatModel",
    "CheckpointStore",
    "Embedder",
    "EventRecorder",
    "EventSink",
    "MemoryRef",
    "PolicyGate",
    "ReplicaRef",
    "RunStore",
    "SpecialistRef",
    "SupervisorRef",
    "VectorIndex",
]


@runtime_checkable
class ChatModel(Protocol):
    """Given messages and tool schemas, return an assistant turn with usage.

    ``response_format`` is the JSON schema a final answer (a turn without tool calls) must
    match; a model with structured output enforces it, any other may ignore it (the agent
    validates every final answer and asks once for a repair). A model whose ``complete``
    does not take the argument is called without it.
    """

    async def complete(
        self, messages: Sequence[ChatMessage], tools: Sequence[ToolSpec], *,
        response_format: ResponseFormat | None = None,
    ) -> ModelReply:  # fmt: skip
        """Return the next assistant turn."""
        ...


@runtime_checkable
class Embedder(Protocol):
    """Turns texts into unit-length float32 vectors of a fixed dimension."""

    @property
    def dim(self) -> int:
        """Vector dimension."""
        ...

    def embed(self, texts: Sequence[str]) -> NDArray[np.float32]:
        """Return an array of shape ``(len(texts), dim)``, rows L2-normalised."""
        ...


@runtime_checkable
class VectorIndex(Protocol):
    """A vector index keyed by int64 ids, searched by inner product."""

    def add(self, ids: NDArray[np.int64], vectors: NDArray[np.float32]) -> None:
        """Add vectors under ids."""
        ...

    def search(self, queries: NDArray[np.float32], k: int) -> tuple[NDArray[np.float32], NDArray[np.int64]]:
        """Return scores and ids of the k best matches per query (id -1 pads)."""
        ...

    def remove(self, ids: NDArray[np.int64]) -> int:
        """Remove ids; return how many were present."""
        ...

    def __len__(self) -> int:
        """Number of vectors held."""
        ...


@runtime_checkable
class CheckpointStore(Protocol):
    """Durable run checkpoints.

    ``save`` does not wait for the disk: ``load`` returns the state at once, and it is
    durable once a ``flush`` called after it returns. The supervisor awaits ``flush``
    after every transition and before it dispatches a step, so a store may commit many
    runs' writes together (the SQLite default commits them in groups from one thread).
    """

    def save(self, state: RunState) -> None:
        """Record the state; ``load`` sees it at once, the disk by the next ``flush``."""
        ...

    async def flush(self) -> None:
        """Return once every state saved (and event appended) before the call is durable."""
        ...

    def load(self, run_id: RunId) -> RunState | None:
        """Return the last checkpoint of a run, or None."""
        ...

    def unfinished(self) -> list[RunState]:
        """Return every run not in a terminal state."""
        ...

    def all(self) -> list[RunState]:
        """Return every run's last checkpoint."""
        ...


@runtime_checkable
class RunStore(CheckpointStore, Protocol):
    """The supervisor's store: run checkpoints plus each run's ordered trace.

    ``append_event`` assigns the event its sequence number and returns it; ``events``
    returns it at once, and like a saved state it is durable once a later ``flush`` returns.
    """

    def of_tenant(self, tenant: str, limit: int = 200) -> list[RunState]:
        """Return a tenant's runs, newest first."""
        ...

    def append_event(self, event: RunEvent) -> RunEvent:
        """Store a trace event with the run's next sequence number and return it."""
        ...

    def events(self, run_id: RunId, after_seq: int = -1, limit: int = 1000) -> list[RunEvent]:
        """Return a run's events after ``after_seq``, in order."""
        ...

    def expire(self, before: datetime) -> int:
        """Delete the finished runs last changed before ``before``, with their traces; return how many."""
        ...

    def close(self) -> None:
        """Make everything recorded durable and release the store."""
        ...


@runtime_checkable
class EventSink(Protocol):
    """Where trace events go."""

    async def emit(self, event: RunEvent) -> None:
        """Record one event."""
        ...


@runtime_checkable
class PolicyGate(Protocol):
    """Decides whether a tool call may run."""

    async def check(self, caller: Identity, step: Step, call: ToolCall) -> PolicyDecision:
        """Allow, deny or hold the call for approval."""
        ...


@runtime_checkable
class SpecialistRef(Protocol):
    """A specialist (or a pool of them) that runs assignments."""

    async def run(self, assignment: TaskAssignment) -> TaskResult:
        """Run one step and return its result."""
        ...


@runtime_checkable
class ReplicaRef(SpecialistRef, Protocol):
    """One specialist replica: runs assignments and tells what became of a step it ran."""

    async def lookup(self, assignment: TaskAssignment) -> Contract:
        """The result of a step this replica ran or is running, else ``Ack(ok=False)``."""
        ...


@runtime_checkable
class EventRecorder(Protocol):
    """A service that takes trace events other actors emit."""

    async def record(self, event: RunEvent) -> Ack:
        """Append an event to its run's trace."""
        ...

    async def record_batch(self, batch: RunEvents) -> Ack:
        """Append events, in order, to their runs' traces (one call for many)."""
        ...


@runtime_checkable
class SupervisorRef(EventRecorder, Protocol):
    """The supervisor service: runs goals for tenants, and the runtime's control."""

    async def submit(self, goal: Goal) -> RunSummary:
        """Accept a goal and start its run."""
        ...

    async def status(self, query: RunQuery) -> RunState:
        """A run's current state."""
        ...

    async def runs(self, query: RunQuery) -> RunList:
        """A tenant's runs, newest first."""
        ...

    async def events(self, query: EventsQuery) -> RunEvents:
        """A run's trace events after a sequence number (waiting up to ``query.wait_s`` for one)."""
        ...

    async def wait(self, query: WaitQuery) -> RunUpdate:
        """A run's state once it ends or leaves ``query.seen``, or when ``query.timeout_s`` runs out."""
        ...

    async def cancel(self, request: CancelRun) -> RunSummary:
        """Cancel a run."""
        ...

    async def approve(self, decision: ApprovalDecision) -> RunSummary:
        """Approve or reject a pending approval request."""
        ...

    async def answer(self, answer: ClarificationAnswer) -> RunSummary:
        """Answer a run's clarifying question."""
        ...

    async def scale(self, request: ScalePool) -> Ack:
        """Set the replicas of a role's pool."""
        ...

    async def manifest(self, query: ManifestQuery) -> RuntimeManifest:
        """The configuration the supervisor runs with."""
        ...

    async def drain(self, request: DrainRuntime) -> Ack:
        """Wait until no run is being driven."""
        ...


@runtime_checkable
class MemoryRef(Protocol):
    """The memory service, local or behind an actor."""

    async def write(self, request: MemoryWrite) -> MemoryWriteAck:
        """Store semantic records."""
        ...

    async def search(self, request: MemoryQuery) -> MemoryHits:
        """Hybrid search over readable partitions."""
        ...

    async def put_fact(self, request: FactWrite) -> FactWriteAck:
        """Store a fact; report conflicts."""
        ...

    async def get_facts(self, request: FactQuery) -> FactAnswer:
        """Read the facts under a key."""
        ...

    async def resolve(self, request: FactResolution) -> FactAnswer:
        """Resolve a fact conflict by a stated rule."""
        ...

    async def grant(self, request: Grant) -> MemoryAck:
        """Open a partition to an agent for one run."""
        ...

    async def save_working(self, request: WorkingState) -> MemoryAck:
        """Store a run's working state."""
        ...

    async def load_working(self, request: WorkingStateQuery) -> WorkingState:
        """Read a run's working state."""
        ...

    async def set_consent(self, request: ConsentPolicy) -> MemoryAck:
        """Set a tenant's consent policy."""
        ...

    async def audit(self, request: AuditQuery) -> AuditLog:
        """Read a tenant's audit log."""
        ...

    async def sweep(self, request: RetentionSweep) -> SweepReport:
        """Remove what is past its retention."""
        ...
