"""Choosing between facts that disagree, by a stated rule, with the reason spelled out.

Rules:

- ``recency``: the latest observation wins (ties go to the later write).
- ``source_rank``: the fact from the most trusted source wins, sources ranked
  most trusted first; unranked sources come after every ranked one, and ties
  fall back to recency.
- ``decision``: the caller names the source whose fact it chose (for example
  after a QA verdict); that fact wins.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Literal

from agentrt.contracts.errors import ContractError, NotFound
from agentrt.contracts.memory import Fact

__all__ = ["Rule", "choose_fact"]

Rule = Literal["recency", "source_rank", "decision"]
"""How a conflict is resolved."""


def choose_fact(
    facts: Sequence[Fact], rule: Rule, source_rank: Sequence[str] = (), chosen_source: str | None = None
) -> tuple[int, str]:
    """Return the position of the winning fact in ``facts`` and why it won.

    ``facts`` are in write order (oldest first); that order breaks ties.

    Raises:
        NotFound: When there are no facts, or no fact comes from ``chosen_source``.
        ContractError: When ``decision`` is asked for without a ``chosen_source``.
    """
    if not facts:
        raise NotFound("there is no fact to resolve under this key")
    if rule == "recency":
        best = max(range(len(facts)), key=lambda i: (facts[i].observed_at, i))
        return best, f"recency: the latest observation ({facts[best].observed_at.isoformat()}) wins"
    if rule == "source_rank":
        return _by_rank(facts, source_rank)
    if chosen_source is None:
        raise ContractError(
            "a 'decision' resolution must name the chosen source", what="invalid", field="chosen_source"
        )
    matching = [i for i, fact in enumerate(facts) if fact.source == chosen_source]
    if not matching:
        raise NotFound(f"no current fact comes from source {chosen_source!r}", source=chosen_source)
    best = max(matching, key=lambda i: (facts[i].observed_at, i))
    return best, f"decision: the fact from {chosen_source!r} was chosen"


def _by_rank(facts: Sequence[Fact], source_rank: Sequence[str]) -> tuple[int, str]:
    order = {source: n for n, source in enumerate(source_rank)}
    unranked = len(order)

    def key(i: int) -> tuple[int, object, int]:
        # Lower rank number is more trusted, hence the negation inside max().
        return (-order.get(facts[i].source, unranked), facts[i].observed_at, i)

    best = max(range(len(facts)), key=key)
    source = facts[best].source
    if source in order:
        return best, f"source_rank: {source!r} ranks {order[source] + 1} of {len(order)} ({', '.join(source_rank)})"
    return best, "source_rank: no source is ranked, so the latest observation wins"
