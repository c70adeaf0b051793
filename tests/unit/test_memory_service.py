"""The memory service in one process, called through the codec as the actor would be."""

from __future__ import annotations

import asyncio
import sqlite3
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from agentrt.actors import LocalTransport, ServiceClient
from agentrt.actors.proxy import memory_proxy
from agentrt.contracts import (
    AuditQuery,
    ConfigError,
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
    NotFound,
    Partition,
    RetentionSweep,
    Scope,
    WorkingState,
    WorkingStateQuery,
)
from agentrt.memory import (
    HashingEmbedder,
    HashingEmbedderConfig,
    IndexConfig,
    MemoryConfig,
    MemoryService,
    RetentionPolicy,
)

SUP = Identity(tenant="acme", agent="sup", role="supervisor", run_id="r1")
AGENT = Identity(tenant="acme", agent="researcher", run_id="r1")
OWN = Partition(tenant="acme", scope=Scope.AGENT, owner="researcher")
SHARED = Partition(tenant="acme", scope=Scope.TENANT, owner="shared")
SECRET = "sk-proj-abcdefghijklmnopqrstuvwx123456"
EMAIL = "ann.lee@example.com"


class Clock:
    """A clock tests move forward instead of sleeping."""

    def __init__(self) -> None:
        self.now = datetime(2026, 3, 1, 12, tzinfo=UTC)

    def __call__(self) -> datetime:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += timedelta(seconds=seconds)


def open_memory(path: Path, clock: Clock | None = None, **overrides: object) -> tuple[MemoryService, MemoryRef]:
    """A service on ``path`` and a client that reaches it through the codec."""
    config = MemoryConfig(data_dir=path, default_allowed_categories=None, **overrides)  # type: ignore[arg-type]
    service = MemoryService(config, clock=clock or Clock())
    return service, memory_proxy(ServiceClient(LocalTransport(service, MemoryRef)))


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
async def memory(tmp_path: Path, clock: Clock) -> AsyncIterator[MemoryRef]:
    service, client = open_memory(tmp_path, clock)
    yield client
    await service.stop()


def database_bytes(path: Path) -> bytes:
    """Everything SQLite has on disk for the service in ``path`` (database and write-ahead log)."""
    return b"".join(p.read_bytes() for p in sorted(path.glob("memory.sqlite3*")))


async def write(memory: MemoryRef, *texts: str, partition: Partition = OWN, caller: Identity = AGENT, **kw: object):
    return await memory.write(MemoryWrite(caller=caller, partition=partition, texts=texts, **kw))  # type: ignore[arg-type]


async def search(memory: MemoryRef, text: str, *partitions: Partition, caller: Identity = AGENT, **kw: object):
    query = MemoryQuery(caller=caller, partitions=partitions or (OWN,), text=text, **kw)  # type: ignore[arg-type]
    return (await memory.search(query)).hits


async def test_search_finds_the_relevant_record_first(memory: MemoryRef) -> None:
    ack = await write(
        memory,
        "Revenue is reported net of refunds",
        "The office cat is called Miso",
        "Units shipped per region, weekly",
    )
    assert len(ack.record_ids) == 3 and ack.refused is None
    hits = await search(memory, "how is revenue reported?", k=2)
    assert hits[0].record.text == "Revenue is reported net of refunds"
    assert hits[0].record.id == ack.record_ids[0] and hits[0].record.partition == OWN
    assert len(hits) == 2 and hits[0].score > hits[1].score


async def test_keyword_weight_and_category_filter_shape_the_ranking(memory: MemoryRef) -> None:
    await write(memory, "quarterly revenue summary for the board", category="finance")
    await write(memory, "board games night on friday", category="social")
    hits = await search(memory, "board", category="social")
    assert [h.record.category for h in hits] == ["social"]
    keyword_only = await search(memory, "revenue", keyword_weight=1.0, k=2)
    assert keyword_only[0].record.category == "finance" and keyword_only[0].score == pytest.approx(1.0)


async def test_recency_weight_prefers_newer_records(memory: MemoryRef, clock: Clock) -> None:
    await write(memory, "status report: project on track")
    clock.advance(14 * 86_400)
    await write(memory, "status report: project delayed")
    plain = await search(memory, "status report project on track", k=1)
    recent = await search(memory, "status report project on track", k=1, recency_weight=0.9)
    assert plain[0].record.text.endswith("on track") and recent[0].record.text.endswith("delayed")


async def test_a_batch_is_one_transaction_all_or_nothing(tmp_path: Path) -> None:
    service, memory = open_memory(tmp_path)
    await write(memory, "warm the index")
    await search(memory, "warm")
    poison = sqlite3.connect(tmp_path / "memory.sqlite3")
    poison.execute(
        "CREATE TRIGGER poison BEFORE INSERT ON records WHEN NEW.text = 'poison'"
        " BEGIN SELECT RAISE(ABORT, 'poisoned row'); END"
    )
    poison.close()
    with pytest.raises(sqlite3.IntegrityError):
        await write(memory, "first good text", "second good text", "poison")
    hits = await search(memory, "good text", k=5)
    assert [h.record.text for h in hits] == ["warm the index"]
    await service.stop()
    _, reopened = open_memory(tmp_path)
    assert [h.record.text for h in await search(reopened, "good text")] == ["warm the index"]


async def test_personal_data_and_secrets_never_reach_the_database(memory: MemoryRef, tmp_path: Path) -> None:
    ack = await write(
        memory,
        f"Contact {EMAIL} about the renewal",
        metadata={"owner": EMAIL, "note": f"api key is {SECRET}"},
        source=f"mail from {EMAIL}",
        reason=f"asked by {EMAIL}",
    )
    fact_ack = await memory.put_fact(
        FactWrite(caller=AGENT, fact=Fact(partition=OWN, key="contact", value={"email": EMAIL}), reason=SECRET)
    )
    await memory.save_working(WorkingState(caller=AGENT, run_id="r1", state={"draft": f"send to {EMAIL}"}))
    assert ack.redactions >= 4 and fact_ack.redactions == 1
    hit = (await search(memory, "renewal contact"))[0].record
    assert EMAIL not in hit.text and "[REDACTED:EMAIL]" in hit.text
    assert hit.metadata["owner"] == "[REDACTED:EMAIL]" and "[REDACTED:SECRET]" in str(hit.metadata["note"])
    on_disk = database_bytes(tmp_path)
    assert EMAIL.encode() not in on_disk and SECRET.encode() not in on_disk and b"ann.lee" not in on_disk
    assert b"[REDACTED:EMAIL]" in on_disk


async def test_contradicting_fact_is_kept_and_reported_then_resolved_by_recency(memory: MemoryRef) -> None:
    first = Fact(partition=SHARED, key="ceo", value="Ann", source="web", observed_at=datetime(2026, 1, 1, tzinfo=UTC))
    second = first.model_copy(update={"value": "Bob", "source": "crm", "observed_at": datetime(2026, 2, 1, tzinfo=UTC)})
    assert (await memory.put_fact(FactWrite(caller=SUP, fact=first))).conflicts == ()
    ack = await memory.put_fact(FactWrite(caller=SUP, fact=second))
    assert ack.stored and [c.value for c in ack.conflicts] == ["Ann"]
    answer = await memory.get_facts(FactQuery(caller=AGENT, partition=SHARED, key="ceo"))
    assert answer.conflict and answer.resolved is None and {f.value for f in answer.facts} == {"Ann", "Bob"}
    resolved = await memory.resolve(
        FactResolution(caller=SUP, partition=SHARED, key="ceo", rule="recency", reason="latest filing")
    )
    assert not resolved.conflict and resolved.resolved is not None and resolved.resolved.value == "Bob"
    again = await memory.get_facts(FactQuery(caller=AGENT, partition=SHARED, key="ceo"))
    assert again.resolved == resolved.resolved and [f.value for f in again.facts] == ["Bob"]
    assert again.resolution.startswith("recency") and "latest filing" in again.resolution
    log = await memory.audit(AuditQuery(caller=SUP, tenant="acme"))
    assert any(e.action == "resolve" and "latest filing" in e.reason for e in log.entries)


async def test_restating_a_value_is_not_a_conflict(memory: MemoryRef) -> None:
    fact = Fact(partition=OWN, key="region", value="EMEA", source="crm")
    await memory.put_fact(FactWrite(caller=AGENT, fact=fact))
    ack = await memory.put_fact(FactWrite(caller=AGENT, fact=fact.model_copy(update={"source": "web"})))
    answer = await memory.get_facts(FactQuery(caller=AGENT, partition=OWN, key="region"))
    assert ack.conflicts == () and not answer.conflict and len(answer.facts) == 1
    assert answer.resolved is not None and answer.resolved.source == "web"


async def test_source_rank_from_request_or_config_and_explicit_decision_resolve_conflicts(tmp_path: Path) -> None:
    service, memory = open_memory(tmp_path, source_ranks=("ledger", "crm", "web"))
    for value, source in (("10", "web"), ("12", "ledger"), ("11", "crm")):
        await memory.put_fact(
            FactWrite(caller=SUP, fact=Fact(partition=SHARED, key="headcount", value=value, source=source))
        )
    by_config = await memory.resolve(FactResolution(caller=SUP, partition=SHARED, key="headcount", rule="source_rank"))
    assert by_config.resolved is not None and by_config.resolved.source == "ledger"
    await memory.put_fact(FactWrite(caller=SUP, fact=Fact(partition=SHARED, key="headcount", value="9", source="qa")))
    by_request = await memory.resolve(
        FactResolution(caller=SUP, partition=SHARED, key="headcount", rule="source_rank", source_rank=("qa",))
    )
    assert by_request.resolved is not None and by_request.resolved.value == "9"
    await memory.put_fact(FactWrite(caller=SUP, fact=Fact(partition=SHARED, key="headcount", value="13", source="hr")))
    with pytest.raises(NotFound):
        await memory.resolve(
            FactResolution(caller=SUP, partition=SHARED, key="headcount", rule="decision", chosen_source="rumour")
        )
    decided = await memory.resolve(
        FactResolution(caller=SUP, partition=SHARED, key="headcount", rule="decision", chosen_source="hr", reason="QA")
    )
    assert decided.resolved is not None and decided.resolved.value == "13" and "QA" in decided.resolution
    await service.stop()
    _, reopened = open_memory(tmp_path)
    after = await reopened.get_facts(FactQuery(caller=SUP, partition=SHARED, key="headcount"))
    assert after.resolved == decided.resolved and after.resolution == decided.resolution


async def test_resolving_a_key_without_facts_is_not_found(memory: MemoryRef) -> None:
    with pytest.raises(NotFound):
        await memory.resolve(FactResolution(caller=SUP, partition=SHARED, key="nothing", rule="recency"))


async def test_consent_forbids_long_term_storage_of_a_category_but_not_working_state(memory: MemoryRef) -> None:
    await memory.set_consent(ConsentPolicy(caller=SUP, tenant="acme", allowed_categories=("general",)))
    ack = await write(memory, "Ann prefers vegetarian food", category="health")
    fact_ack = await memory.put_fact(
        FactWrite(caller=AGENT, fact=Fact(partition=OWN, key="diet", value="vegetarian", category="health"))
    )
    assert ack.record_ids == () and ack.refused is not None and "health" in ack.refused
    assert not fact_ack.stored and fact_ack.refused is not None
    assert await search(memory, "vegetarian food") == ()
    assert (await memory.get_facts(FactQuery(caller=AGENT, partition=OWN, key="diet"))).facts == ()
    await memory.save_working(WorkingState(caller=AGENT, run_id="r1", state={"diet": "vegetarian"}))
    loaded = await memory.load_working(WorkingStateQuery(caller=AGENT, run_id="r1"))
    assert loaded.state == {"diet": "vegetarian"}
    await memory.set_consent(ConsentPolicy(caller=SUP, tenant="acme", allowed_categories=("general", "health")))
    assert (await write(memory, "Ann prefers vegetarian food", category="health")).refused is None


async def test_default_consent_allows_only_general_until_a_tenant_sets_a_policy(tmp_path: Path) -> None:
    service = MemoryService(MemoryConfig(data_dir=tmp_path))
    memory = memory_proxy(ServiceClient(LocalTransport(service, MemoryRef)))
    assert (await write(memory, "likes jazz", category="preferences")).refused is not None
    assert (await write(memory, "likes jazz")).refused is None
    await memory.set_consent(ConsentPolicy(caller=SUP, tenant="acme", allowed_categories=("*",)))
    assert (await write(memory, "likes jazz", category="preferences")).refused is None
    with pytest.raises(MemoryAccessDenied):
        await memory.set_consent(ConsentPolicy(caller=AGENT, tenant="acme", allowed_categories=("*",)))
    await service.stop()


async def test_expired_records_are_hidden_on_read_and_removed_by_the_sweep(tmp_path: Path, clock: Clock) -> None:
    policy = RetentionPolicy(scope_ttl_s={Scope.AGENT: 3600.0}, partition_ttl_s={"acme/agent/keeper": 10 * 3600.0})
    service, memory = open_memory(tmp_path, clock, retention=policy)
    keeper = Partition(tenant="acme", scope=Scope.AGENT, owner="keeper")
    await write(memory, "short lived note", ttl_s=60)
    await write(memory, "agent scope note")
    await write(memory, "keeper note", partition=keeper, caller=SUP)
    await memory.put_fact(FactWrite(caller=AGENT, fact=Fact(partition=OWN, key="k", value=1)))
    assert len(await search(memory, "note", k=5)) == 2
    clock.advance(61)
    assert [h.record.text for h in await search(memory, "note", k=5)] == ["agent scope note"]
    clock.advance(3600)
    assert await search(memory, "note", k=5) == ()
    assert (await memory.get_facts(FactQuery(caller=AGENT, partition=OWN, key="k"))).facts == ()
    assert len(await search(memory, "note", keeper, caller=SUP)) == 1
    report = await memory.sweep(RetentionSweep(caller=SUP, tenant="acme"))
    assert (report.records, report.facts, report.complete) == (2, 1, True)
    rows = sqlite3.connect(tmp_path / "memory.sqlite3").execute("SELECT text FROM records").fetchall()
    assert rows == [("keeper note",)]
    assert len(service._core.index(OWN)) == 0
    await service.stop()


async def test_sweep_of_every_tenant_takes_the_system_role(memory: MemoryRef) -> None:
    with pytest.raises(MemoryAccessDenied):
        await memory.sweep(RetentionSweep(caller=SUP))
    report = await memory.sweep(RetentionSweep(caller=Identity(tenant="acme", agent="runtime", role="system")))
    assert report.complete


async def test_started_service_sweeps_on_its_own(tmp_path: Path, clock: Clock) -> None:
    service, memory = open_memory(tmp_path, clock, retention=RetentionPolicy(sweep_interval_s=0.01))
    await service.start()
    await write(memory, "temporary", ttl_s=5)
    clock.advance(10)
    for _ in range(500):
        rows = sqlite3.connect(tmp_path / "memory.sqlite3").execute("SELECT count(*) FROM records").fetchone()
        if rows == (0,):
            break
        await asyncio.sleep(0.01)
    assert rows == (0,)
    log = await memory.audit(AuditQuery(caller=SUP, tenant="acme"))
    assert any(e.action == "sweep" and e.actor == "system:memory" for e in log.entries)
    await service.stop()


async def test_audit_log_records_reads_writes_and_denials_and_cannot_be_rewritten(
    memory: MemoryRef, tmp_path: Path
) -> None:
    await write(memory, "audited text", reason="collect background")
    await search(memory, "audited", reason="draft the summary")
    with pytest.raises(MemoryAccessDenied):
        await search(memory, "x", Partition(tenant="acme", scope=Scope.AGENT, owner="analyst"), reason="peek")
    with pytest.raises(MemoryAccessDenied):
        await memory.audit(AuditQuery(caller=AGENT, tenant="acme"))
    entries = (await memory.audit(AuditQuery(caller=SUP, tenant="acme"))).entries
    seen = [(e.action, e.allowed, e.reason) for e in entries]
    assert seen == [
        ("write", True, "collect background"),
        ("search", True, "draft the summary"),
        ("search", False, "peek"),
        ("audit", False, ""),
    ]
    assert entries[0].actor == "agent:researcher/run:r1" and entries[2].partition == "acme/agent/analyst"
    raw = sqlite3.connect(tmp_path / "memory.sqlite3")
    for statement in ("UPDATE audit SET allowed = 1", "DELETE FROM audit"):
        with pytest.raises(sqlite3.IntegrityError, match="append-only"):
            raw.execute(statement)
    raw.close()


def test_no_code_path_updates_or_deletes_audit_rows() -> None:
    sources = "".join(p.read_text() for p in Path(MemoryService.__module__.replace(".", "/")).parent.glob("*.py"))
    assert "UPDATE audit" not in sources and "DELETE FROM audit" not in sources


async def test_working_state_survives_a_restart_and_is_private_to_its_run(tmp_path: Path) -> None:
    service, memory = open_memory(tmp_path)
    state = {"step": "s3", "done": ["s1", "s2"], "notes": {"budget": 12.5}}
    await memory.save_working(WorkingState(caller=AGENT, run_id="r1", state=state))
    await service.stop()
    service, memory = open_memory(tmp_path)
    assert (await memory.load_working(WorkingStateQuery(caller=AGENT, run_id="r1"))).state == state
    assert (await memory.load_working(WorkingStateQuery(caller=SUP, run_id="r1"))).state == state
    assert (await memory.load_working(WorkingStateQuery(caller=SUP, run_id="r9"))).state == {}
    with pytest.raises(MemoryAccessDenied):
        await memory.load_working(WorkingStateQuery(caller=AGENT.model_copy(update={"run_id": "r2"}), run_id="r1"))
    await service.stop()


async def test_restarted_service_comes_back_with_records_and_an_approximate_index(tmp_path: Path) -> None:
    index = IndexConfig(approximate_above=40)
    service, memory = open_memory(tmp_path, index=index)
    texts = tuple(f"ticket {i}: customer {i} reports issue number {i * 7}" for i in range(60))
    await write(memory, *texts)
    await memory.put_fact(FactWrite(caller=AGENT, fact=Fact(partition=OWN, key="tickets", value=60)))
    before = await search(memory, texts[17], k=3)
    await service.stop()
    service, memory = open_memory(tmp_path, index=index)
    after = await search(memory, texts[17], k=3)
    assert after[0].record.text == texts[17] and [h.record.id for h in after] == [h.record.id for h in before]
    assert service._core.index(OWN).approximate
    facts = await memory.get_facts(FactQuery(caller=AGENT, partition=OWN, key="tickets"))
    assert facts.resolved is not None and facts.resolved.value == 60
    await service.stop()


async def test_reopening_with_an_embedder_of_another_dimension_is_a_config_error(tmp_path: Path) -> None:
    service, memory = open_memory(tmp_path)
    await write(memory, "384 dimensions")
    await service.stop()
    with pytest.raises(ConfigError, match="384"):
        MemoryService(MemoryConfig(data_dir=tmp_path), embedder=HashingEmbedder(HashingEmbedderConfig(dim=64)))


async def test_grant_opens_a_partition_for_one_run_and_only_supervisors_grant(memory: MemoryRef) -> None:
    analyst = Partition(tenant="acme", scope=Scope.AGENT, owner="analyst")
    await write(memory, "analyst notes on churn", partition=analyst, caller=SUP)
    with pytest.raises(MemoryAccessDenied):
        await search(memory, "churn", analyst)
    with pytest.raises(MemoryAccessDenied):
        await memory.grant(Grant(caller=AGENT, grantee="researcher", run_id="r1", partition=analyst))
    await memory.grant(Grant(caller=SUP, grantee="researcher", run_id="r1", partition=analyst))
    assert (await search(memory, "churn", analyst))[0].record.text == "analyst notes on churn"
    with pytest.raises(MemoryAccessDenied):
        await write(memory, "overwrite", partition=analyst)
    with pytest.raises(MemoryAccessDenied):
        await search(memory, "churn", analyst, caller=AGENT.model_copy(update={"run_id": "r2"}))


async def test_service_and_client_both_implement_the_memory_port(tmp_path: Path) -> None:
    service, client = open_memory(tmp_path)
    assert isinstance(service, MemoryRef) and isinstance(client, MemoryRef)
    await service.stop()
