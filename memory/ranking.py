"""Hybrid ranking of search candidates: vector similarity, keyword overlap and recency.

The vector index proposes candidates by cosine similarity; each is then scored as::

    base  = (1 - keyword_weight) * cosine + keyword_weight * overlap
    score = (1 - recency_weight) * base   + recency_weight * 0.5 ** (age / half_life)

where ``overlap`` is the share of the query's content words found in the record.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

__all__ = ["HybridRanking", "terms"]

_WORD = re.compile(r"\w+")
_STOPWORD_TEXT = (
    "a an and are as at be by for from has have how i in is it its "
    "of on or that the their this to was were what when where which who why will with"
)
_STOPWORDS = frozenset(_STOPWORD_TEXT.split())


def terms(text: str) -> frozenset[str]:
    """Return the lower-cased content words of ``text`` (stop words dropped)."""
    return frozenset(w for w in _WORD.findall(text.lower()) if w not in _STOPWORDS)


@dataclass(frozen=True, slots=True)
class HybridRanking:
    """Scores candidates of one query.

    Attributes:
        query_terms: Content words of the query.
        keyword_weight: Share of the keyword overlap in the base score.
        recency_weight: Share of the recency weight in the final score.
        half_life_s: Age at which the recency weight halves.
    """

    query_terms: frozenset[str]
    keyword_weight: float
    recency_weight: float
    half_life_s: float

    @classmethod
    def for_query(cls, text: str, keyword_weight: float, recency_weight: float, half_life_s: float) -> HybridRanking:
        """Build the ranking of a query text."""
        return cls(terms(text), keyword_weight, recency_weight, half_life_s)

    def overlap(self, text: str) -> float:
        """Return the share of query terms present in ``text`` (0 when the query has none)."""
        if not self.query_terms or self.keyword_weight == 0:
            return 0.0
        # Query terms hold no stop words, so intersecting with every word of the text counts the same.
        return len(self.query_terms.intersection(_WORD.findall(text.lower()))) / len(self.query_terms)

    def recency(self, age_s: float) -> float:
        """Return the recency weight of a record ``age_s`` seconds old, in (0, 1]."""
        return float(0.5 ** (max(age_s, 0.0) / self.half_life_s))

    def score(self, cosine: float, text: str, age_s: float) -> float:
        """Return the final score of a candidate."""
        base = (1 - self.keyword_weight) * cosine + self.keyword_weight * self.overlap(text)
        if self.recency_weight == 0:
            return base
        return (1 - self.recency_weight) * base + self.recency_weight * self.recency(age_s)
