"""Typed proxies derived from the port Protocols, and what makes a Protocol a service port."""

from __future__ import annotations

from pathlib import Path
from typing import Protocol

import pytest

from agentrt.actors import LocalTransport, ServiceClient
from agentrt.actors.proxy import PortProxy, memory_proxy, port_methods, replica_proxy, supervisor_proxy
from agentrt.actors.transport import dispatch
from agentrt.cluster.testing import canned_supervisor
from agentrt.contracts import (
    Ack,
    ContractError,
    Goal,
    MemoryRef,
    NotFound,
    ReplicaRef,
    RunQuery,
    RunState,
    RunSummary,
    SupervisorRef,
    TaskAssignment,
    TaskResult,
    encode,
)
from agentrt.memory import MemoryService
from agentrt.specialists.service import SpecialistService
from agentrt.supervisor.service import SupervisorService


def test_each_service_implements_its_port_and_the_proxy_has_exactly_the_ports_methods() -> None:
    served = ((SupervisorRef, SupervisorService), (MemoryRef, MemoryService), (ReplicaRef, SpecialistService))
    for port, service in served:
        methods = port_methods(port)
        assert methods, port
        for name in methods:
            assert callable(getattr(service, name)), f"{service.__name__} lacks {port.__name__}.{name}"
    supervisor = port_methods(SupervisorRef)
    assert (supervisor["submit"].request, supervisor["submit"].reply) == (Goal, RunSummary)
    assert (supervisor["status"].request, supervisor["status"].reply) == (RunQuery, RunState)
    assert "record" in supervisor  # inherited from EventRecorder
    run = port_methods(ReplicaRef)["run"]
    assert (run.request, run.reply) == (TaskAssignment, TaskResult)


def test_a_protocol_that_is_not_a_service_port_is_refused() -> None:
    class TwoArguments(Protocol):
        async def run(self, a: Goal, b: Goal) -> Ack: ...

    class NotAContract(Protocol):
        async def run(self, a: str) -> Ack: ...

    class Synchronous(Protocol):
        def run(self, a: Goal) -> Ack: ...

    class Plain:
        async def run(self, a: Goal) -> Ack:
            return Ack()

    for bad, message in ((TwoArguments, "one request contract"), (NotAContract, "is not a contract"),
                         (Synchronous, "not an async method"), (Plain, "is not a Protocol")):  # fmt: skip
        with pytest.raises(TypeError, match=message):
            port_methods(bad)


async def test_the_proxy_refuses_a_request_of_the_wrong_contract_before_sending() -> None:
    sent: list[str] = []

    class Recording:
        async def send(self, method: str, payload: bytes) -> bytes:
            sent.append(method)
            return encode(Ack())

        async def ready(self) -> None:
            return None

    supervisor = supervisor_proxy(ServiceClient(Recording()))
    with pytest.raises(ContractError, match="SupervisorRef.status takes a RunQuery, not Ack"):
        await supervisor.status(Ack())  # type: ignore[arg-type]
    assert sent == []
    assert isinstance(supervisor, PortProxy) and not hasattr(supervisor, "wait_idle")
    assert not hasattr(memory_proxy(ServiceClient(Recording())), "stop")
    replica = replica_proxy(ServiceClient(Recording()))
    assert callable(replica.run) and callable(replica.lookup)


async def test_a_supervisor_proxy_over_the_codec_runs_a_goal_and_the_host_serves_nothing_else(tmp_path: Path) -> None:
    service = canned_supervisor(tmp_path / "runs.sqlite")
    supervisor = supervisor_proxy(ServiceClient(LocalTransport(service, SupervisorRef)))
    summary = await supervisor.submit(Goal(text="Prepare the weekly sales summary", tenant="acme", user="ann"))
    await service.wait_idle()
    state = await supervisor.status(RunQuery(tenant="acme", run_id=summary.run_id))
    assert state.run_id == summary.run_id and state.terminal
    with pytest.raises(NotFound, match="SupervisorRef has no method 'wait_idle'"):
        await dispatch(service, SupervisorRef, "wait_idle", encode(Ack()))
