"""A :class:`~agentrt.contracts.ports.MemoryRef` over the actor host's service client.

The supervisor and the specialists hold one of these, never the service::

    memory = MemoryClient(ServiceClient(RayTransport(handle)))      # the memory actor
    memory = MemoryClient(ServiceClient(LocalTransport(service)))   # in this process
"""

from __future__ import annotations

from agentrt.actors.transport import ServiceClient
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

__all__ = ["MemoryClient"]


class MemoryClient:
    """Calls the memory service through a :class:`~agentrt.actors.host.ServiceClient`.

    Errors raised by the service (``MemoryAccessDenied``, ``NotFound``, ...) reach
    the caller as the same types.

    Args:
        client: The typed client of the memory service (Ray or in-process transport).
    """

    def __init__(self, client: ServiceClient) -> None:
        self._client = client

    async def write(self, request: MemoryWrite) -> MemoryWriteAck:
        """Store semantic records."""
        return await self._client.call("write", request, MemoryWriteAck)

    async def search(self, request: MemoryQuery) -> MemoryHits:
        """Hybrid search over readable partitions."""
        return await self._client.call("search", request, MemoryHits)

    async def put_fact(self, request: FactWrite) -> FactWriteAck:
        """Store a fact; report conflicts."""
        return await self._client.call("put_fact", request, FactWriteAck)

    async def get_facts(self, request: FactQuery) -> FactAnswer:
        """Read the facts under a key."""
        return await self._client.call("get_facts", request, FactAnswer)

    async def resolve(self, request: FactResolution) -> FactAnswer:
        """Resolve a fact conflict by a stated rule."""
        return await self._client.call("resolve", request, FactAnswer)

    async def grant(self, request: Grant) -> MemoryAck:
        """Open a partition to an agent for one run."""
        return await self._client.call("grant", request, MemoryAck)

    async def save_working(self, request: WorkingState) -> MemoryAck:
        """Store a run's working state."""
        return await self._client.call("save_working", request, MemoryAck)

    async def load_working(self, request: WorkingStateQuery) -> WorkingState:
        """Read a run's working state."""
        return await self._client.call("load_working", request, WorkingState)

    async def set_consent(self, request: ConsentPolicy) -> MemoryAck:
        """Set a tenant's consent policy."""
        return await self._client.call("set_consent", request, MemoryAck)

    async def audit(self, request: AuditQuery) -> AuditLog:
        """Read a tenant's audit log."""
        return await self._client.call("audit", request, AuditLog)

    async def sweep(self, request: RetentionSweep) -> SweepReport:
        """Remove expired memory now."""
        return await self._client.call("sweep", request, SweepReport)
