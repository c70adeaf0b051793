"""Conflict resolution between specialists' outputs.

Results carry figures as typed facts (:class:`~agentrt.contracts.StepFact`, from
the specialist's validated final answer). When two steps report different values for the
same label, a declared rule decides: a QA verdict on one of them first, then the
rank of the role that produced it, then recency. The decision and the reason
are returned for the trace.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass

from agentrt.contracts import JsonObject, TaskResult, TaskStatus

__all__ = ["Claim", "Decision", "claims_of", "find_conflicts", "resolve_conflict"]


@dataclass(frozen=True)
class Claim:
    """A figure one step reported."""

    label: str
    value: float
    unit: str
    source: str
    step_id: str
    role: str
    order: int


@dataclass(frozen=True)
class Decision:
    """How a conflict was settled."""

    label: str
    chosen: Claim
    rejected: tuple[Claim, ...]
    rule: str
    why: str

    def as_json(self) -> JsonObject:
        """The decision as trace data."""
        return {
            "label": self.label,
            "chosen": {"value": self.chosen.value, "step": self.chosen.step_id, "role": self.chosen.role},
            "rejected": [{"value": c.value, "step": c.step_id, "role": c.role} for c in self.rejected],
            "rule": self.rule,
            "why": self.why,
        }


def claims_of(results: Mapping[str, TaskResult], order: Sequence[str]) -> list[Claim]:
    """Every fact reported by a succeeded step, tagged with the step and its position in ``order``."""
    claims = []
    for step_id, result in results.items():
        if result.status != TaskStatus.SUCCEEDED:
            continue
        position = order.index(step_id) if step_id in order else len(order)
        for fact in result.facts:
            if isinstance(fact.value, int | float) and not isinstance(fact.value, bool):
                claims.append(
                    Claim(fact.label, float(fact.value), fact.unit, fact.source, step_id, result.role, position)
                )
    return claims


def _same(a: float, b: float) -> bool:
    return math.isclose(a, b, rel_tol=1e-6, abs_tol=1e-9)


def find_conflicts(claims: Iterable[Claim]) -> dict[str, list[Claim]]:
    """Labels whose claims from different steps disagree."""
    by_label: dict[str, list[Claim]] = {}
    for claim in claims:
        by_label.setdefault(claim.label.strip().lower(), []).append(claim)
    return {
        label: group
        for label, group in by_label.items()
        if len({c.step_id for c in group}) > 1 and any(not _same(c.value, group[0].value) for c in group)
    }


def resolve_conflict(group: Sequence[Claim], source_rank: Sequence[str], qa_passed: set[str]) -> Decision:
    """Settle a conflict: QA verdict, then source rank, then recency."""
    verified = [c for c in group if c.step_id in qa_passed]
    if verified and len({c.value for c in verified}) == 1:
        chosen, rule, why = verified[-1], "qa_verdict", "QA passed the step that reported this value"
    else:
        ranks = {role: i for i, role in enumerate(source_rank)}
        best_rank = min(ranks.get(c.role, len(ranks)) for c in group)
        top = [c for c in group if ranks.get(c.role, len(ranks)) == best_rank]
        if len({c.role for c in group}) > 1 and len({c.value for c in top}) == 1:
            chosen, rule = top[-1], "source_rank"
            why = f"{chosen.role} ranks above {sorted({c.role for c in group} - {chosen.role})} for figures"
        else:
            chosen, rule, why = max(group, key=lambda c: c.order), "recency", "the most recent step's value stands"
    rejected = tuple(c for c in group if c is not chosen and not _same(c.value, chosen.value))
    return Decision(chosen.label, chosen, rejected, rule, why)
