"""A specialist behind an actor: the typed client side of an :class:`~agentrt.actors.agent.AgentService` actor."""

from __future__ import annotations

from agentrt.actors.proxy import specialist_proxy
from agentrt.actors.transport import ServiceClient
from agentrt.contracts import SpecialistRef

__all__ = ["remote_specialist"]


def remote_specialist(handle: object, timeout_s: float | None = None) -> SpecialistRef:
    """The SpecialistRef of an agent actor started with ``spawn(factory, SpecialistRef)``."""
    from agentrt.actors.host import RayTransport  # noqa: PLC0415  (only a caller holding a Ray handle needs Ray)

    return specialist_proxy(ServiceClient(RayTransport(handle, timeout_s), label="specialist"))  # type: ignore[arg-type]
