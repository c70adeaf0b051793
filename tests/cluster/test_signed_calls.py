"""Identities across the cluster are proven, not claimed: the supervisor and memory actors, called by name."""

from __future__ import annotations

import stat
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
import ray

from agentrt.actors.credentials import KeyRing, Principal, Signer
from agentrt.actors.host import RayTransport
from agentrt.cluster.client import Client
from agentrt.cluster.runtime import MEMORY_ACTOR, SUPERVISOR_ACTOR, Runtime, RuntimeConfig, connect
from agentrt.contracts import (
    ConsentPolicy,
    EventsQuery,
    ForgedIdentity,
    Grant,
    Identity,
    MemoryQuery,
    MemoryWrite,
    Partition,
    RunEvent,
    RunQuery,
    RunStatus,
    ScalePool,
    Scope,
    encode,
)

GOAL = "Draft a short note to the team about the release"
A = "alpha"
B = "beta"


@pytest.fixture(scope="module")
def runtime(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Runtime]:
    namespace = f"ids-{uuid.uuid4().hex[:8]}"
    data_dir = tmp_path_factory.mktemp("ids")
    live = connect(RuntimeConfig(data_dir=data_dir, namespace=namespace))
    assert isinstance(live, Runtime)
    yield live
    for name in ray.util.list_named_actors(all_namespaces=True):
        if name.get("namespace") == namespace:
            ray.kill(ray.get_actor(name["name"], namespace=namespace), no_restart=True)


@pytest.fixture(scope="module")
def run_of_a(runtime: Runtime) -> str:
    with runtime.client(tenant=A, user="ann") as client:
        state = client.submit(GOAL).result(timeout=180)
    assert state.status is RunStatus.DONE
    return state.run_id


def _actor(runtime: Runtime, name: str) -> object:
    return ray.get_actor(name, namespace=runtime.config.namespace)


async def _send(runtime: Runtime, name: str, method: str, request: object, signer: Signer | None = None) -> bytes:
    return await RayTransport(_actor(runtime, name), signer=signer).send(method, encode(request))  # type: ignore[arg-type]


def _attacks(run_id: str) -> list[tuple[str, str, object]]:
    """What a process on the cluster tried against tenant A: reads, a planted fact, consent off, a forged event."""
    a_supervisor = Identity(tenant=A, agent="supervisor", role="supervisor", run_id=run_id)
    shared = Partition(tenant=A, scope=Scope.TENANT, owner=A)
    return [
        (SUPERVISOR_ACTOR, "status", RunQuery(tenant=A, run_id=run_id)),
        (SUPERVISOR_ACTOR, "events", EventsQuery(tenant=A, run_id=run_id)),
        (SUPERVISOR_ACTOR, "runs", RunQuery(tenant=A)),
        (SUPERVISOR_ACTOR, "record", RunEvent(run_id=run_id, type="note", data={"forged": True})),
        (MEMORY_ACTOR, "search", MemoryQuery(caller=a_supervisor, partitions=(shared,), text="release")),
        (MEMORY_ACTOR, "write", MemoryWrite(caller=a_supervisor, partition=shared, texts=("planted fact",))),
        (MEMORY_ACTOR, "set_consent", ConsentPolicy(caller=a_supervisor, tenant=A, allowed_categories=())),
        (MEMORY_ACTOR, "grant", Grant(caller=a_supervisor, grantee="intruder", run_id=run_id, partition=shared)),
    ]


async def test_unsigned_and_forged_calls_by_name_are_refused(runtime: Runtime, run_of_a: str) -> None:
    forged = Signer(KeyRing(b"not-the-runtime-key-at-all-0123"), Principal("tenant", A))
    for name, method, request in _attacks(run_of_a):
        for signer in (None, forged):
            with pytest.raises(ForgedIdentity):
                await _send(runtime, name, method, request, signer)
    # Nothing leaked into A's run: its trace has no forged event, and A still reads its own run.
    with runtime.client(tenant=A, user="ann") as client:
        trace = client.run(run_of_a).trace()
    assert all(e.data.get("forged") is None for e in trace)


async def test_another_tenants_key_opens_nothing_of_tenant_a(runtime: Runtime, run_of_a: str) -> None:
    assert runtime.keyring is not None
    tenant_b = Signer(runtime.keyring, Principal("tenant", B))
    for name, method, request in _attacks(run_of_a):
        with pytest.raises(ForgedIdentity):
            await _send(runtime, name, method, request, tenant_b)
    # B's key is good for B's own requests, and B may not claim the supervisor's role there either.
    b_user = Identity(tenant=B, agent="bob", role="user", user="bob")
    own = Partition(tenant=B, scope=Scope.USER, owner="bob")
    await _send(runtime, MEMORY_ACTOR, "search", MemoryQuery(caller=b_user, partitions=(own,), text="x"), tenant_b)
    b_supervisor = Identity(tenant=B, agent="supervisor", role="supervisor")
    with pytest.raises(ForgedIdentity, match="may not act as supervisor"):
        await _send(runtime, MEMORY_ACTOR, "grant", Grant(caller=b_supervisor, grantee="bob", run_id="run-x",
                                                          partition=Partition(tenant=B, scope=Scope.TENANT, owner=B)),
                    tenant_b)  # fmt: skip


def test_tenant_b_cannot_change_shared_pools_but_the_operator_can(runtime: Runtime) -> None:
    with runtime.client(tenant=B, user="bob") as client, pytest.raises(ForgedIdentity, match="needs an operator"):
        client.scale("analyst", 0)
    with Client(tenant=B, user="bob", runtime=runtime, operator=True) as operator:
        assert operator.scale("analyst", 2).detail.startswith("analyst: 2 replicas")
        assert operator.scale("analyst", 1).detail.startswith("analyst: 1 replicas")


async def test_a_scale_request_signed_by_a_tenant_key_is_refused_at_the_actor(runtime: Runtime) -> None:
    assert runtime.keyring is not None
    with pytest.raises(ForgedIdentity):
        await _send(runtime, SUPERVISOR_ACTOR, "scale", ScalePool(role="analyst", replicas=0),
                    Signer(runtime.keyring, Principal("tenant", B)))  # fmt: skip


def test_the_runtime_key_and_data_are_readable_by_the_runtime_only(runtime: Runtime, run_of_a: str) -> None:
    data_dir = Path(runtime.config.data_dir)
    key = data_dir / "keys" / "runtime.key"
    assert stat.S_IMODE(key.stat().st_mode) == 0o600 and stat.S_IMODE(key.parent.stat().st_mode) == 0o700
    assert len(key.read_bytes()) == 32
    assert stat.S_IMODE(data_dir.stat().st_mode) == 0o700
    written = [p for p in data_dir.rglob("*.sqlite*") if p.is_file()]
    assert written and {p.name: stat.S_IMODE(p.stat().st_mode) for p in written} == {p.name: 0o600 for p in written}
