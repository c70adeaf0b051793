"""The memory service as a Ray actor: every promise, through the codec and a real actor handle."""

from __future__ import annotations

import asyncio
import functools
import os
import sqlite3
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
import ray

from agentrt.actors.host import ActorOptions, RayTransport, ServiceClient, spawn
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
from agentrt.memory import MemoryConfig, MemoryService, RetentionPolicy

pytestmark = pytest.mark.usefixtures("ray_cluster")


@dataclass(frozen=True)
class MemoryActor:
    handle: ray.actor.ActorHandle
    client: MemoryRef
    data_dir: Path

    def rows(self, sql: str, *params: object) -> list[tuple[object, ...]]:
        """Read the actor's database directly (WAL lets a reader in beside the actor)."""
        conn = sqlite3.connect(self.data_dir / "memory.sqlite3")
        try:
            return conn.execute(sql, params).fetchall()
        finally:
            conn.close()


@pytest.fixture(scope="module")
def actor(ray_cluster: None, tmp_path_factory: pytest.TempPathFactory) -> Iterator[MemoryActor]:
    data_dir = tmp_path_factory.mktemp("memory-actor")
    config = MemoryConfig(
        data_dir=data_dir,
        default_allowed_categories=None,
        retention=RetentionPolicy(sweep_interval_s=0.2),
    )
    handle = spawn(functools.partial(MemoryService, config), MemoryRef, ActorOptions(max_restarts=2))
    yield MemoryActor(handle, memory_proxy(ServiceClient(RayTransport(handle))), data_dir)
    ray.kill(handle)


async def actor_pid(handle: ray.actor.ActorHandle) -> int:
    """The process id of the actor behind a handle (changes when Ray restarts it)."""
    return int(await handle.__ray_call__.remote(lambda _host: os.getpid()))


def sup(tenant: str) -> Identity:
    return Identity(tenant=tenant, agent="sup", role="supervisor", run_id="r1")


def agent(tenant: str, name: str = "researcher", run: str = "r1") -> Identity:
    return Identity(tenant=tenant, agent=name, run_id=run)


def own(tenant: str, name: str = "researcher") -> Partition:
    return Partition(tenant=tenant, scope=Scope.AGENT, owner=name)


async def test_batched_write_then_hybrid_search_through_the_actor(actor: MemoryActor) -> None:
    texts = tuple(f"weekly note {i}: region {i % 7} sold {i * 3} units" for i in range(500))
    texts += ("Revenue is reported net of refunds and returns",)
    ack = await actor.client.write(MemoryWrite(caller=agent("t-search"), partition=own("t-search"), texts=texts))
    assert len(ack.record_ids) == 501 and len(set(ack.record_ids)) == 501
    query = MemoryQuery(caller=agent("t-search"), partitions=(own("t-search"),), text="how is revenue reported", k=3)
    hits = (await actor.client.search(query)).hits
    assert hits[0].record.text == texts[-1] and hits[0].record.id == ack.record_ids[-1]


async def test_denial_crosses_the_actor_boundary_typed_and_is_audited(actor: MemoryActor) -> None:
    foreign = own("t-deny", "analyst")
    with pytest.raises(MemoryAccessDenied) as info:
        await actor.client.search(MemoryQuery(caller=agent("t-deny"), partitions=(foreign,), text="x", reason="peek"))
    assert info.value.detail("tenant") == "t-deny"
    log = await actor.client.audit(AuditQuery(caller=sup("t-deny"), tenant="t-deny"))
    assert [(e.action, e.allowed, e.reason) for e in log.entries] == [("search", False, "peek")]


async def test_identical_texts_in_two_tenants_never_cross_through_the_actor(actor: MemoryActor) -> None:
    ids: dict[str, set[str]] = {}
    for tenant in ("t-acme", "t-globex"):
        ack = await actor.client.write(
            MemoryWrite(caller=agent(tenant), partition=own(tenant), texts=("Falcon budget is 1.2M", "churn is 4%"))
        )
        ids[tenant] = set(ack.record_ids)
    for tenant, other in (("t-acme", "t-globex"), ("t-globex", "t-acme")):
        query = MemoryQuery(caller=agent(tenant), partitions=(own(tenant),), text="Falcon budget is 1.2M", k=10)
        assert {h.record.id for h in (await actor.client.search(query)).hits} == ids[tenant]
        for role in ("agent", "supervisor", "system"):
            caller = Identity(tenant=tenant, agent="researcher", role=role, run_id="r1")  # type: ignore[arg-type]
            with pytest.raises(MemoryAccessDenied):
                await actor.client.search(MemoryQuery(caller=caller, partitions=(own(other),), text="Falcon"))
        with pytest.raises(MemoryAccessDenied):
            await actor.client.grant(Grant(caller=sup(tenant), grantee="researcher", run_id="r1", partition=own(other)))
    run_partition = Partition(tenant="t-acme", scope=Scope.RUN, owner="r1")
    for intruder in (agent("t-acme", "writer", "r1"), agent("t-acme", "researcher", "r2")):
        target = own("t-acme") if intruder.agent == "writer" else run_partition
        with pytest.raises(MemoryAccessDenied):
            await actor.client.search(MemoryQuery(caller=intruder, partitions=(target,), text="Falcon"))


async def test_grant_opens_a_partition_to_one_agent_for_one_run(actor: MemoryActor) -> None:
    analyst = own("t-grant", "analyst")
    await actor.client.write(MemoryWrite(caller=sup("t-grant"), partition=analyst, texts=("churn drivers: pricing",)))
    query = MemoryQuery(caller=agent("t-grant"), partitions=(analyst,), text="churn drivers")
    with pytest.raises(MemoryAccessDenied):
        await actor.client.search(query)
    await actor.client.grant(Grant(caller=sup("t-grant"), grantee="researcher", run_id="r1", partition=analyst))
    assert (await actor.client.search(query)).hits[0].record.text == "churn drivers: pricing"
    with pytest.raises(MemoryAccessDenied):
        await actor.client.search(query.model_copy(update={"caller": agent("t-grant", run="r2")}))


async def test_fact_conflict_is_reported_and_resolution_stands(actor: MemoryActor) -> None:
    shared = Partition(tenant="t-facts", scope=Scope.TENANT, owner="shared")
    await actor.client.put_fact(
        FactWrite(caller=sup("t-facts"), fact=Fact(partition=shared, key="ceo", value="Ann", source="web"))
    )
    ack = await actor.client.put_fact(
        FactWrite(caller=sup("t-facts"), fact=Fact(partition=shared, key="ceo", value="Bob", source="registry"))
    )
    assert [c.value for c in ack.conflicts] == ["Ann"]
    question = FactQuery(caller=agent("t-facts"), partition=shared, key="ceo")
    assert (await actor.client.get_facts(question)).conflict
    await actor.client.resolve(
        FactResolution(
            caller=sup("t-facts"), partition=shared, key="ceo", rule="source_rank", source_rank=("registry", "web")
        )
    )
    answer = await actor.client.get_facts(question)
    assert not answer.conflict and answer.resolved is not None and answer.resolved.value == "Bob"
    assert "registry" in answer.resolution


async def test_consent_refuses_a_forbidden_category(actor: MemoryActor) -> None:
    await actor.client.set_consent(ConsentPolicy(caller=sup("t-consent"), tenant="t-consent"))
    ack = await actor.client.write(
        MemoryWrite(
            caller=agent("t-consent"), partition=own("t-consent"), texts=("Ann is pregnant",), category="health"
        )
    )
    assert ack.refused is not None and ack.record_ids == ()
    assert actor.rows("SELECT count(*) FROM records WHERE tenant = 't-consent'") == [(0,)]


async def test_personal_data_is_redacted_before_the_actor_persists_it(actor: MemoryActor) -> None:
    secret, email = "ghp_abcdefghijklmnopqrstuvwxyz0123456789", "bob.stone@example.org"
    await actor.client.write(
        MemoryWrite(caller=agent("t-redact"), partition=own("t-redact"), texts=(f"token {secret} for {email}",))
    )
    await actor.client.save_working(WorkingState(caller=agent("t-redact"), run_id="r1", state={"to": email}))
    stored = actor.rows("SELECT text FROM records WHERE tenant = 't-redact'")
    assert stored == [("token [REDACTED:SECRET] for [REDACTED:EMAIL]",)]
    on_disk = b"".join(p.read_bytes() for p in actor.data_dir.glob("memory.sqlite3*"))
    assert secret.encode() not in on_disk and email.encode() not in on_disk


async def test_expired_records_are_hidden_and_swept_from_the_database(actor: MemoryActor) -> None:
    await actor.client.write(
        MemoryWrite(caller=agent("t-expire"), partition=own("t-expire"), texts=("fleeting thought",), ttl_s=1e-6)
    )
    query = MemoryQuery(caller=agent("t-expire"), partitions=(own("t-expire"),), text="fleeting thought")
    assert (await actor.client.search(query)).hits == ()
    await actor.client.sweep(RetentionSweep(caller=sup("t-expire"), tenant="t-expire"))
    assert actor.rows("SELECT count(*) FROM records WHERE tenant = 't-expire'") == [(0,)]


async def test_the_actor_sweeps_expired_memory_on_its_own_timer(actor: MemoryActor) -> None:
    await actor.client.put_fact(
        FactWrite(
            caller=agent("t-timer"),
            fact=Fact(
                partition=own("t-timer"),
                key="k",
                value=1,
                expires_at=Fact(partition=own("t-timer"), key="k", value=1).observed_at,
            ),
        )
    )
    for _ in range(200):
        entries = (await actor.client.audit(AuditQuery(caller=sup("t-timer"), tenant="t-timer"))).entries
        if any(e.action == "sweep" and e.actor == "system:memory" for e in entries):
            break
        await asyncio.sleep(0.05)
    assert any(e.action == "sweep" and e.actor == "system:memory" for e in entries)
    assert actor.rows("SELECT count(*) FROM facts WHERE tenant = 't-timer'") == [(0,)]


async def test_audit_log_cannot_be_rewritten(actor: MemoryActor) -> None:
    await actor.client.write(MemoryWrite(caller=agent("t-audit"), partition=own("t-audit"), texts=("x",), reason="why"))
    conn = sqlite3.connect(actor.data_dir / "memory.sqlite3", timeout=10)
    try:
        for statement in ("UPDATE audit SET reason = 'forged'", "DELETE FROM audit WHERE tenant = 't-audit'"):
            with pytest.raises(sqlite3.IntegrityError, match="append-only"):
                conn.execute(statement)
    finally:
        conn.close()
    log = await actor.client.audit(AuditQuery(caller=sup("t-audit"), tenant="t-audit"))
    assert [(e.action, e.reason) for e in log.entries] == [("write", "why")]


async def test_killed_memory_actor_restarts_with_everything_written(actor: MemoryActor) -> None:
    caller, partition = agent("t-restart"), own("t-restart")
    ack = await actor.client.write(MemoryWrite(caller=caller, partition=partition, texts=("survives the crash",)))
    await actor.client.put_fact(FactWrite(caller=caller, fact=Fact(partition=partition, key="status", value="ok")))
    await actor.client.save_working(WorkingState(caller=caller, run_id="r1", state={"step": "s4"}))
    before = await actor_pid(actor.handle)
    ray.kill(actor.handle, no_restart=False)
    # Calls reaching the actor while it is down are lost; the restarted actor answers the same handle.
    for _ in range(400):
        try:
            if await actor_pid(actor.handle) != before:
                break
        except (ray.exceptions.RayActorError, ray.exceptions.ActorUnavailableError):
            pass
        await asyncio.sleep(0.05)
    assert await actor_pid(actor.handle) != before
    query = MemoryQuery(caller=caller, partitions=(partition,), text="survives the crash")
    hits = (await actor.client.search(query)).hits
    assert [h.record.id for h in hits] == list(ack.record_ids)
    facts = await actor.client.get_facts(FactQuery(caller=caller, partition=partition, key="status"))
    assert facts.resolved is not None and facts.resolved.value == "ok"
    assert (await actor.client.load_working(WorkingStateQuery(caller=caller, run_id="r1"))).state == {"step": "s4"}
