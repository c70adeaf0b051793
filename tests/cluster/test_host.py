"""The actor host runs a plain service as a Ray actor with the codec at the boundary, serving only its port."""

from __future__ import annotations

from typing import Protocol

import pytest
import ray

from agentrt.actors.host import ActorOptions, LocalTransport, RayTransport, ServiceClient, spawn
from agentrt.actors.proxy import PortProxy
from agentrt.contracts import Ack, ContractError, MemoryAccessDenied, NotFound, PolicyDecision, RunQuery

pytestmark = pytest.mark.usefixtures("ray_cluster")


class Echo(Protocol):
    """The port the echo service is served on."""

    async def decide(self, request: RunQuery) -> PolicyDecision:
        """Decide on a run query."""
        ...

    async def bare(self, request: RunQuery) -> Ack:
        """Declared as a contract; the service returns something else."""
        ...


class EchoService:
    """Answers run queries; refuses one tenant."""

    def __init__(self) -> None:
        self.calls = 0

    async def decide(self, request: RunQuery) -> PolicyDecision:
        self.calls += 1
        if request.tenant == "mallory":
            raise MemoryAccessDenied("tenant mallory may not ask", tenant=request.tenant)
        return PolicyDecision(verdict="allow", reason=f"{request.tenant}:{self.calls}")

    def bare(self, request: RunQuery) -> dict[str, str]:
        return {"not": "a contract"}

    async def reset(self, request: RunQuery) -> Ack:
        """Public, but not in the port: no caller may reach it."""
        self.calls = 0
        return Ack()


def echo(client: ServiceClient) -> Echo:
    proxy: Echo = PortProxy(Echo, client)  # type: ignore[assignment]
    return proxy


async def test_service_answers_through_actor_and_keeps_state() -> None:
    service = echo(ServiceClient(RayTransport(spawn(EchoService, Echo, ActorOptions()))))
    first = await service.decide(RunQuery(tenant="acme"))
    second = await service.decide(RunQuery(tenant="acme"))
    assert (first.reason, second.reason) == ("acme:1", "acme:2")


async def test_service_error_type_survives_the_actor_boundary() -> None:
    service = echo(ServiceClient(RayTransport(spawn(EchoService, Echo))))
    with pytest.raises(MemoryAccessDenied) as info:
        await service.decide(RunQuery(tenant="mallory"))
    assert info.value.detail("tenant") == "mallory"


async def test_only_the_ports_methods_are_served() -> None:
    client = ServiceClient(RayTransport(spawn(EchoService, Echo)))
    await client.call("decide", RunQuery(tenant="acme"), PolicyDecision)
    for method in ("_private", "reset", "__init__", "calls"):
        with pytest.raises(NotFound, match="Echo has no method"):
            await client.call(method, RunQuery(tenant="acme"), Ack)
    # reset never ran: the count goes on.
    assert (await client.call("decide", RunQuery(tenant="acme"), PolicyDecision)).reason == "acme:2"
    with pytest.raises(ContractError, match="returned dict, not a contract"):
        await client.call("bare", RunQuery(tenant="acme"), Ack)


async def test_a_request_of_the_wrong_contract_is_refused_before_the_service_runs() -> None:
    client = ServiceClient(RayTransport(spawn(EchoService, Echo)))
    with pytest.raises(ContractError, match="Echo.decide takes a RunQuery, not Ack"):
        await client.call("decide", Ack(), PolicyDecision)
    assert (await client.call("decide", RunQuery(tenant="acme"), PolicyDecision)).reason == "acme:1"


async def test_garbage_bytes_get_a_contract_error_from_the_actor() -> None:
    handle = spawn(EchoService, Echo)
    with pytest.raises(ray.exceptions.RayTaskError) as info:
        await handle.call.remote("decide", b"\xc1\x00garbage")
    assert isinstance(info.value.cause, ContractError)


async def test_local_transport_runs_the_same_path_in_process() -> None:
    service = EchoService()
    proxy = echo(ServiceClient(LocalTransport(service, Echo)))
    reply = await proxy.decide(RunQuery(tenant="acme"))
    assert reply.reason == "acme:1" and service.calls == 1
    with pytest.raises(NotFound):
        await ServiceClient(LocalTransport(service, Echo)).call("reset", RunQuery(tenant="acme"), Ack)
    assert service.calls == 1
