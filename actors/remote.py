"""A specialist behind an actor: the typed client side of an :class:`~agentrt.actors.agent.AgentService` actor."""

from __future__ import annotations

from dataclasses import dataclass

from agentrt.actors.transport import ServiceClient
from agentrt.contracts import TaskAssignment, TaskResult

__all__ = ["RemoteSpecialist"]


@dataclass(frozen=True)
class RemoteSpecialist:
    """Implements :class:`~agentrt.contracts.SpecialistRef` by calling ``run`` on a service actor.

    Args:
        client: A client of the actor hosting the agent service.
    """

    client: ServiceClient

    @classmethod
    def of(cls, handle: object, timeout_s: float | None = None) -> RemoteSpecialist:
        """Wrap a Ray actor handle returned by :func:`~agentrt.actors.host.spawn`."""
        from agentrt.actors.host import RayTransport  # noqa: PLC0415  (only a caller holding a Ray handle needs Ray)

        return cls(ServiceClient(RayTransport(handle, timeout_s), label="specialist"))  # type: ignore[arg-type]

    async def run(self, assignment: TaskAssignment) -> TaskResult:
        """Send the assignment to the actor and return its result."""
        return await self.client.call("run", assignment, TaskResult)
