"""Adversarial cross-tenant suite: two tenants with identical names, texts, agents, runs and users.

Whatever a caller of one tenant asks, it never sees a record, fact, state or audit
entry of the other, and asking for the other's partitions is a typed denial.
"""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from agentrt.actors import LocalTransport, ServiceClient
from agentrt.actors.proxy import memory_proxy
from agentrt.contracts import (
    AuditQuery,
    ConsentPolicy,
    Fact,
    FactQuery,
    FactResolution,
    FactWrite,
    Grant,
    Identity,
    MemoryAccessDenied,
    MemoryQuery,
    MemoryRef,
    MemoryWrite,
    Partition,
    RetentionSweep,
    Scope,
    WorkingState,
    WorkingStateQuery,
)
from agentrt.memory import MemoryConfig, MemoryService

TENANTS = ("acme", "globex")
World = tuple[MemoryRef, dict[str, set[str]]]
TEXTS = ("Project Falcon budget is 1.2M", "Quarterly churn rose to 4%", "The launch date is 3 June")


def who(tenant: str, role: str = "agent", agent: str = "researcher", run: str | None = "r1") -> Identity:
    user = "ann" if role == "user" else None
    return Identity(tenant=tenant, agent=agent, role=role, run_id=run, user=user)  # type: ignore[arg-type]


def partitions(tenant: str) -> list[Partition]:
    return [
        Partition(tenant=tenant, scope=Scope.AGENT, owner="researcher"),
        Partition(tenant=tenant, scope=Scope.RUN, owner="r1"),
        Partition(tenant=tenant, scope=Scope.USER, owner="ann"),
        Partition(tenant=tenant, scope=Scope.TENANT, owner="shared"),
    ]


@pytest.fixture(scope="module")
async def world(tmp_path_factory: pytest.TempPathFactory) -> AsyncIterator[World]:
    """Both tenants hold the same texts and facts in same-named partitions; returns each tenant's record ids."""
    service = MemoryService(MemoryConfig(data_dir=tmp_path_factory.mktemp("tenancy"), default_allowed_categories=None))
    memory = memory_proxy(ServiceClient(LocalTransport(service, MemoryRef)))
    ids: dict[str, set[str]] = {}
    for tenant in TENANTS:
        ids[tenant] = set()
        for partition in partitions(tenant):
            ack = await memory.write(MemoryWrite(caller=who(tenant, "supervisor"), partition=partition, texts=TEXTS))
            ids[tenant] |= set(ack.record_ids)
            fact = Fact(partition=partition, key="budget", value=f"{tenant} secret budget", source=tenant)
            await memory.put_fact(FactWrite(caller=who(tenant, "supervisor"), fact=fact))
        await memory.save_working(WorkingState(caller=who(tenant), run_id="r1", state={"owner": tenant}))
    yield memory, ids
    await service.stop()


async def test_identical_texts_in_two_tenants_are_found_only_in_the_callers_tenant(world: World) -> None:
    memory, ids = world
    for tenant in TENANTS:
        caller = who(tenant)
        readable = (partitions(tenant)[0], partitions(tenant)[1], partitions(tenant)[3])
        for text in TEXTS:
            hits = (await memory.search(MemoryQuery(caller=caller, partitions=readable, text=text, k=20))).hits
            assert hits and {h.record.id for h in hits} <= ids[tenant]
            assert {h.record.partition.tenant for h in hits} == {tenant}


@pytest.mark.parametrize("role", ["agent", "supervisor", "system", "user"])
async def test_every_role_is_denied_every_partition_of_the_other_tenant(world: World, role: str) -> None:
    memory, _ = world
    caller = who("globex", role)
    for target in partitions("acme"):
        with pytest.raises(MemoryAccessDenied):
            await memory.search(MemoryQuery(caller=caller, partitions=(target,), text="budget"))
        with pytest.raises(MemoryAccessDenied):
            await memory.get_facts(FactQuery(caller=caller, partition=target, key="budget"))
        with pytest.raises(MemoryAccessDenied):
            await memory.write(MemoryWrite(caller=caller, partition=target, texts=("planted",)))
        with pytest.raises(MemoryAccessDenied):
            await memory.put_fact(FactWrite(caller=caller, fact=Fact(partition=target, key="budget", value="0")))
        with pytest.raises(MemoryAccessDenied):
            await memory.resolve(FactResolution(caller=caller, partition=target, key="budget", rule="recency"))


async def test_mixing_an_own_partition_with_a_foreign_one_denies_the_whole_query(world: World) -> None:
    memory, _ = world
    crafted = MemoryQuery(caller=who("globex"), partitions=(partitions("globex")[0], partitions("acme")[0]), text="x")
    with pytest.raises(MemoryAccessDenied):
        await memory.search(crafted)


async def test_a_grant_from_one_tenant_never_opens_the_other(world: World) -> None:
    memory, _ = world
    acme_private = Partition(tenant="acme", scope=Scope.AGENT, owner="analyst")
    globex_private = Partition(tenant="globex", scope=Scope.AGENT, owner="analyst")
    with pytest.raises(MemoryAccessDenied):
        await memory.grant(
            Grant(caller=who("globex", "supervisor"), grantee="researcher", run_id="r1", partition=acme_private)
        )
    with pytest.raises(MemoryAccessDenied):
        await memory.grant(
            Grant(caller=who("acme", "supervisor"), grantee="researcher", run_id="r1", partition=globex_private)
        )
    # A legitimate grant to acme's researcher of run r1 does nothing for globex's researcher of run r1.
    await memory.grant(
        Grant(caller=who("acme", "supervisor"), grantee="researcher", run_id="r1", partition=acme_private)
    )
    with pytest.raises(MemoryAccessDenied):
        await memory.search(MemoryQuery(caller=who("globex"), partitions=(acme_private,), text="x"))
    with pytest.raises(MemoryAccessDenied):
        await memory.search(MemoryQuery(caller=who("globex"), partitions=(globex_private,), text="x"))


async def test_an_agent_is_denied_another_agents_or_another_runs_partition(world: World) -> None:
    memory, _ = world
    writer = who("acme", agent="writer", run="r2")
    for target in (partitions("acme")[0], partitions("acme")[1], partitions("acme")[2]):
        with pytest.raises(MemoryAccessDenied):
            await memory.search(MemoryQuery(caller=writer, partitions=(target,), text="budget"))
    with pytest.raises(MemoryAccessDenied):
        await memory.load_working(WorkingStateQuery(caller=writer, run_id="r1"))
    with pytest.raises(MemoryAccessDenied):
        await memory.write(MemoryWrite(caller=who("acme"), partition=partitions("acme")[3], texts=("shared",)))


async def test_working_state_facts_and_audit_stay_inside_their_tenant(world: World) -> None:
    memory, _ = world
    for tenant in TENANTS:
        state = await memory.load_working(WorkingStateQuery(caller=who(tenant), run_id="r1"))
        assert state.state == {"owner": tenant}
        answer = await memory.get_facts(FactQuery(caller=who(tenant), partition=partitions(tenant)[0], key="budget"))
        assert [f.value for f in answer.facts] == [f"{tenant} secret budget"]
        log = await memory.audit(AuditQuery(caller=who(tenant, "supervisor"), tenant=tenant))
        assert log.entries and {e.tenant for e in log.entries} == {tenant}
        other = "acme" if tenant == "globex" else "globex"
        # The other tenant's name shows up only where this tenant's own callers were refused it.
        assert all(not e.allowed for e in log.entries if other in e.partition + e.target + e.actor)
    sup = who("globex", "supervisor")
    with pytest.raises(MemoryAccessDenied):
        await memory.audit(AuditQuery(caller=sup, tenant="acme"))
    with pytest.raises(MemoryAccessDenied):
        await memory.set_consent(ConsentPolicy(caller=sup, tenant="acme", allowed_categories=()))
    with pytest.raises(MemoryAccessDenied):
        await memory.sweep(RetentionSweep(caller=sup, tenant="acme"))


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    text=st.one_of(st.sampled_from(TEXTS), st.text(min_size=1, max_size=60)),
    k=st.integers(min_value=1, max_value=100),
    category=st.sampled_from([None, "general"]),
    weights=st.tuples(st.floats(0, 1), st.floats(0, 1)),
)
async def test_no_crafted_query_on_own_partitions_returns_a_record_of_the_other_tenant(
    world: World, text: str, k: int, category: str | None, weights: tuple[float, float]
) -> None:
    memory, ids = world
    query = MemoryQuery(
        caller=who("globex", "supervisor"),
        partitions=tuple(partitions("globex")),
        text=text,
        k=k,
        category=category,
        keyword_weight=weights[0],
        recency_weight=weights[1],
    )
    hits = (await memory.search(query)).hits
    assert {h.record.id for h in hits} <= ids["globex"]
    assert all(h.record.partition.tenant == "globex" for h in hits)


async def test_record_ids_of_the_other_tenant_lead_nowhere(world: World) -> None:
    memory, ids = world
    for record_id in sorted(ids["acme"])[:3]:
        hits = (
            await memory.search(
                MemoryQuery(caller=who("globex"), partitions=(partitions("globex")[0],), text=record_id)
            )
        ).hits
        assert not {h.record.id for h in hits} & ids["acme"]
