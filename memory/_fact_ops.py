"""Storing, reading and resolving key–value facts."""

from __future__ import annotations

from datetime import timedelta

from agentrt.actors.redaction import redact, redact_json
from agentrt.contracts.errors import NotFound
from agentrt.contracts.memory import Fact, FactAnswer, FactQuery, FactResolution, FactWrite, FactWriteAck
from agentrt.memory._audit import actor_of
from agentrt.memory._core import Core
from agentrt.memory.conflicts import choose_fact

_KEY_LIMIT = 256


def _clean_key(key: str) -> str:
    # Keys are redacted the same way on write and on read, so a lookup finds what was stored.
    return redact(key).text[:_KEY_LIMIT]


def _redacted(core: Core, fact: Fact) -> tuple[Fact, int]:
    value, in_value = redact_json(fact.value)
    key, source = redact(fact.key), redact(fact.source)
    ttl = core.config.retention.ttl_for(fact.partition)
    expires = fact.expires_at
    if ttl is not None:
        limit = core.now() + timedelta(seconds=ttl)
        expires = limit if expires is None else min(expires, limit)
    clean = fact.model_copy(
        update={"value": value, "key": key.text[:_KEY_LIMIT], "source": source.text, "expires_at": expires}
    )
    return clean, in_value + key.count + source.count


def put(core: Core, request: FactWrite) -> FactWriteAck:
    """Store a fact unless consent forbids its category; report the current facts it contradicts."""
    fact = request.fact
    core.require(request.caller, fact.partition, "write", "put_fact", request.reason)
    key = _clean_key(fact.key)
    refusal = core.consent.refusal(fact.partition.tenant, fact.category)
    if refusal is not None:
        core.audit(request.caller, "put_fact", fact.partition, f"refused {key}: {refusal}", request.reason)
        return FactWriteAck(stored=False, refused=refusal)
    clean, count = _redacted(core, fact)
    with core.transaction():
        conflicts = core.facts.put(clean, core.now().timestamp())
        target = f"{clean.key} ({len(conflicts)} conflicts)" if conflicts else clean.key
        core.audit(request.caller, "put_fact", fact.partition, target, request.reason)
    return FactWriteAck(stored=True, redactions=count, conflicts=conflicts)


def get(core: Core, request: FactQuery) -> FactAnswer:
    """Return the current facts of a key."""
    core.require(request.caller, request.partition, "read", "get_facts", request.reason)
    key = _clean_key(request.key)
    answer = core.facts.answer(request.partition, key, core.now().timestamp())
    core.audit(request.caller, "get_facts", request.partition, f"{key} ({len(answer.facts)} facts)", request.reason)
    return answer


def resolve(core: Core, request: FactResolution) -> FactAnswer:
    """Pick the fact that stands by the named rule, retire the others and record why."""
    core.require(request.caller, request.partition, "write", "resolve", request.reason)
    key = _clean_key(request.key)
    now = core.now().timestamp()
    current = core.facts.current(request.partition, key, now)
    if not current:
        raise NotFound(f"no current fact under key {key!r} to resolve", key=key)
    ranks = request.source_rank or core.config.source_ranks
    best, why = choose_fact([s.fact for s in current], request.rule, ranks, request.chosen_source)
    reason = redact(f"{why}; {request.reason}" if request.reason else why).text
    winner = current[best]
    with core.transaction():
        losers = [s for i, s in enumerate(current) if i != best]
        core.facts.settle(winner, losers, request.rule, reason, actor_of(request.caller), now)
        core.audit(
            request.caller, "resolve", request.partition, f"{key} -> {winner.fact.source or 'unnamed source'}", reason
        )
    return core.facts.answer(request.partition, key, now)
