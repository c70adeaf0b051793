"""The actor host runs a plain service as a Ray actor with the codec at the boundary."""

from __future__ import annotations

import pytest
import ray

from agentrt.actors.host import ActorOptions, LocalTransport, RayTransport, ServiceClient, spawn
from agentrt.contracts import ContractError, MemoryAccessDenied, NotFound, PolicyDecision, RunQuery

pytestmark = pytest.mark.usefixtures("ray_cluster")


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


async def test_service_answers_through_actor_and_keeps_state() -> None:
    client = ServiceClient(RayTransport(spawn(EchoService, ActorOptions())))
    first = await client.call("decide", RunQuery(tenant="acme"), PolicyDecision)
    second = await client.call("decide", RunQuery(tenant="acme"), PolicyDecision)
    assert (first.reason, second.reason) == ("acme:1", "acme:2")


async def test_service_error_type_survives_the_actor_boundary() -> None:
    client = ServiceClient(RayTransport(spawn(EchoService)))
    with pytest.raises(MemoryAccessDenied) as info:
        await client.call("decide", RunQuery(tenant="mallory"), PolicyDecision)
    assert info.value.detail("tenant") == "mallory"


async def test_private_and_unknown_methods_are_refused() -> None:
    client = ServiceClient(RayTransport(spawn(EchoService)))
    with pytest.raises(NotFound):
        await client.call("_private", RunQuery(tenant="acme"), PolicyDecision)
    with pytest.raises(ContractError):
        await client.call("bare", RunQuery(tenant="acme"), PolicyDecision)


async def test_garbage_bytes_get_a_contract_error_from_the_actor() -> None:
    handle = spawn(EchoService)
    with pytest.raises(ray.exceptions.RayTaskError) as info:
        await handle.call.remote("decide", b"\xc1\x00garbage")
    assert isinstance(info.value.cause, ContractError)


async def test_local_transport_runs_the_same_path_in_process() -> None:
    service = EchoService()
    client = ServiceClient(LocalTransport(service))
    reply = await client.call("decide", RunQuery(tenant="acme"), PolicyDecision)
    assert reply.reason == "acme:1" and service.calls == 1
