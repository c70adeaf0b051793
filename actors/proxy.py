"""Typed service proxies derived from the port Protocols.

A port (``agentrt.contracts.SupervisorRef``, ``ReplicaRef``, ``MemoryRef``,
``EventRecorder``, or a Protocol of your own) lists a service's methods, each taking
one request contract and returning one reply contract. :func:`port_methods` reads
them from the Protocol's annotations; :class:`PortProxy` turns them into methods
that check the request's type, send it over a
:class:`~agentrt.actors.transport.ServiceClient` and decode the reply as the port
declares, so no caller names a remote method by string. The actor host and the
in-process transport answer only the methods of the port they serve.

The typed constructors (:func:`supervisor_proxy`, :func:`specialist_proxy`, :func:`replica_proxy`,
:func:`memory_proxy`, :func:`recorder_proxy`) give each port's proxy its static
type.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any, cast

from agentrt.actors.transport import PortMethod, ServiceClient, port_methods
from agentrt.contracts import (
    Contract,
    ContractError,
    EventRecorder,
    MemoryRef,
    ReplicaRef,
    SpecialistRef,
    SupervisorRef,
)

__all__ = [
    "PortMethod",
    "PortProxy",
    "memory_proxy",
    "port_methods",
    "recorder_proxy",
    "replica_proxy",
    "specialist_proxy",
    "supervisor_proxy",
]


class PortProxy:
    """A client of a service that has the port's methods, each sending its request over ``client``.

    Args:
        port: The port Protocol the service implements.
        client: A client of the service (in process, or an actor).
    """

    def __init__(self, port: type, client: ServiceClient) -> None:
        self.port = port
        self.client = client
        for method in port_methods(port).values():
            setattr(self, method.name, self._method(method))

    def _method(self, method: PortMethod) -> Callable[[Contract], Awaitable[Contract]]:
        client, where = self.client, f"{self.port.__name__}.{method.name}"

        async def call(request: Contract) -> Contract:
            if not isinstance(request, method.request):
                raise ContractError(f"{where} takes a {method.request.__name__}, not {type(request).__name__}",
                                    method=method.name)  # fmt: skip
            return await client.call(method.name, request, method.reply)

        call.__name__ = call.__qualname__ = method.name
        return call

    async def ready(self) -> None:
        """Wait until the service answers (after an actor restart, its constructor has run again)."""
        await self.client.transport.ready()

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self.port.__name__}, {self.client.label})"


def _proxy(port: type, client: ServiceClient) -> Any:
    return PortProxy(port, client)


def supervisor_proxy(client: ServiceClient) -> SupervisorRef:
    """The supervisor service over a client."""
    return cast(SupervisorRef, _proxy(SupervisorRef, client))


def specialist_proxy(client: ServiceClient) -> SpecialistRef:
    """A specialist (an agent service) over a client."""
    return cast(SpecialistRef, _proxy(SpecialistRef, client))


def replica_proxy(client: ServiceClient) -> ReplicaRef:
    """A specialist replica over a client."""
    return cast(ReplicaRef, _proxy(ReplicaRef, client))


def memory_proxy(client: ServiceClient) -> MemoryRef:
    """The memory service over a client."""
    return cast(MemoryRef, _proxy(MemoryRef, client))


def recorder_proxy(client: ServiceClient) -> EventRecorder:
    """A service that records trace events, over a client."""
    return cast(EventRecorder, _proxy(EventRecorder, client))
