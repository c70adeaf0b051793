"""Pure memory rules: who may touch which partition, how conflicts are chosen, how hits are ranked."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from agentrt.contracts import ContractError, Fact, Grant, Identity, NotFound, Partition, Scope
from agentrt.memory import HybridRanking, allows, choose_fact, may_administer, may_grant, owns, terms

T0 = datetime(2026, 3, 1, tzinfo=UTC)

SUP = Identity(tenant="acme", agent="sup", role="supervisor", run_id="r1")
SYSTEM = Identity(tenant="acme", agent="runtime", role="system")
AGENT = Identity(tenant="acme", agent="researcher", run_id="r1")
OTHER_AGENT = Identity(tenant="acme", agent="writer", run_id="r1")
OTHER_RUN = Identity(tenant="acme", agent="researcher", run_id="r2")
USER = Identity(tenant="acme", agent="web", role="user", user="ann")
EVIL_SUP = Identity(tenant="globex", agent="sup", role="supervisor", run_id="r1")
EVIL_AGENT = Identity(tenant="globex", agent="researcher", run_id="r1")


def part(scope: Scope, owner: str, tenant: str = "acme") -> Partition:
    return Partition(tenant=tenant, scope=scope, owner=owner)


OWN_AGENT = part(Scope.AGENT, "researcher")
OWN_RUN = part(Scope.RUN, "r1")
ANN = part(Scope.USER, "ann")
SHARED = part(Scope.TENANT, "shared")
ANALYST = part(Scope.AGENT, "analyst")


@pytest.mark.parametrize(
    ("caller", "partition", "mode", "expected"),
    [
        (AGENT, OWN_AGENT, "write", True),
        (AGENT, OWN_RUN, "write", True),
        (AGENT, SHARED, "read", True),
        (AGENT, SHARED, "write", False),
        (AGENT, ANALYST, "read", False),
        (AGENT, ANN, "read", False),
        (OTHER_AGENT, OWN_AGENT, "read", False),
        (OTHER_RUN, OWN_RUN, "read", False),
        (USER, ANN, "write", True),
        (USER, part(Scope.USER, "bob"), "read", False),
        (USER, part(Scope.AGENT, "web"), "read", False),
        (USER, SHARED, "read", True),
        (SUP, ANALYST, "write", True),
        (SUP, ANN, "read", True),
        (SUP, SHARED, "write", True),
        (SYSTEM, SHARED, "write", True),
        (EVIL_SUP, SHARED, "read", False),
        (EVIL_SUP, OWN_AGENT, "read", False),
        (EVIL_AGENT, OWN_AGENT, "read", False),
        (EVIL_AGENT, part(Scope.AGENT, "researcher", tenant="globex"), "write", True),
    ],
)
def test_access_rules(caller: Identity, partition: Partition, mode: str, expected: bool) -> None:
    assert allows(caller, partition, mode) is expected  # type: ignore[arg-type]


def test_no_role_reaches_another_tenant() -> None:
    target = part(Scope.TENANT, "shared", tenant="globex")
    for caller in (SUP, SYSTEM, AGENT, USER):
        assert not allows(caller, target, "read") and not owns(caller, target)
    assert not may_grant(SUP, target) and not may_administer(SUP, "globex")


def test_a_grant_opens_one_partition_to_one_agent_for_one_run() -> None:
    grant = Grant(caller=SUP, grantee="researcher", run_id="r1", partition=ANALYST)
    assert allows(AGENT, ANALYST, "read", [grant], T0)
    assert not allows(AGENT, ANALYST, "write", [grant], T0)
    assert not allows(OTHER_RUN, ANALYST, "read", [grant], T0)
    assert not allows(OTHER_AGENT, ANALYST, "read", [grant], T0)
    assert not allows(AGENT, part(Scope.AGENT, "qa"), "read", [grant], T0)
    writable = grant.model_copy(update={"write": True, "expires_at": T0 + timedelta(minutes=5)})
    assert allows(AGENT, ANALYST, "write", [writable], T0)
    assert not allows(AGENT, ANALYST, "read", [writable], T0 + timedelta(minutes=6))


def test_grants_never_cross_tenants_or_come_from_agents() -> None:
    foreign = Grant(caller=EVIL_SUP, grantee="researcher", run_id="r1", partition=ANALYST, write=True)
    self_issued = Grant(caller=AGENT, grantee="researcher", run_id="r1", partition=ANALYST, write=True)
    assert not allows(AGENT, ANALYST, "read", [foreign, self_issued], T0)
    to_foreign = Grant(caller=SUP, grantee="researcher", run_id="r1", partition=part(Scope.AGENT, "x", "globex"))
    assert not allows(EVIL_AGENT, part(Scope.AGENT, "x", "globex"), "read", [to_foreign], T0)
    assert not may_grant(AGENT, ANALYST) and may_grant(SUP, ANALYST)


def fact(value: str, source: str, minutes: int) -> Fact:
    return Fact(partition=SHARED, key="ceo", value=value, source=source, observed_at=T0 + timedelta(minutes=minutes))


FACTS = [fact("Ann", "web", 5), fact("Bob", "crm", 1), fact("Cid", "email", 3)]


def test_recency_picks_the_latest_observation() -> None:
    best, why = choose_fact(FACTS, "recency")
    assert best == 0 and why.startswith("recency")


def test_source_rank_picks_the_most_trusted_source_and_unranked_sources_come_last() -> None:
    assert choose_fact(FACTS, "source_rank", ("crm", "web"))[0] == 1
    assert choose_fact(FACTS, "source_rank", ("ledger", "email"))[0] == 2
    best, why = choose_fact(FACTS, "source_rank", ())
    assert best == 0 and "no source is ranked" in why


def test_decision_picks_the_named_source_and_must_name_one_that_exists() -> None:
    best, why = choose_fact(FACTS, "decision", chosen_source="email")
    assert best == 2 and "email" in why
    with pytest.raises(NotFound):
        choose_fact(FACTS, "decision", chosen_source="rumour")
    with pytest.raises(ContractError):
        choose_fact(FACTS, "decision")
    with pytest.raises(NotFound):
        choose_fact([], "recency")


def test_hybrid_ranking_blends_cosine_keywords_and_recency() -> None:
    ranking = HybridRanking.for_query("What is the refund policy?", 0.5, 0.0, 3600.0)
    assert ranking.query_terms == terms("refund policy") == {"refund", "policy"}
    assert ranking.score(0.4, "Refund policy: 30 days", 0) == pytest.approx(0.2 + 0.5)
    assert ranking.score(0.4, "unrelated text", 0) == pytest.approx(0.2)
    recent = HybridRanking.for_query("refund", 0.0, 0.5, 3600.0)
    assert recent.score(0.5, "x", 0) == pytest.approx(0.75)
    assert recent.score(0.5, "x", 3600) == pytest.approx(0.5)
    assert recent.score(0.5, "x", 0) > recent.score(0.5, "x", 7200)
