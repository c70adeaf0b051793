"""Word matching for the offline model: tokens, a light stemmer, and TF-IDF scoring of tools."""

from __future__ import annotations

import math
import re
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from agentrt.contracts import JsonValue, ToolSpec

__all__ = ["STOPWORDS", "ToolIndex", "ToolMatch", "stem", "terms", "words"]

_WORD = re.compile(r"[A-Za-z][a-z]+|[A-Z]+(?![a-z])|[a-z]+|\d+")

_STOPWORD_TEXT = (
    "a an and are as at be been being by can could do does for from has have how i if in into is it its "
    "me my of on or our please should so than that the their them then there these they this those to up "
    "us use using via was we were what when where which while who whom why will with would you your all "
    "any each every some such only also just about after before over under again more most other same own "
    "very may must need needs given give get make let based one two new per via step task result results "
    "value values return returns returned tool call"
)
STOPWORDS = frozenset(_STOPWORD_TEXT.split())

_SUFFIXES = (
    ("ational", "ate"), ("ization", "ize"), ("isation", "ize"), ("ations", "ate"), ("ation", "ate"),
    ("ies", "y"), ("ied", "y"), ("ing", ""), ("ised", ""), ("ized", ""), ("ises", ""), ("izes", ""),
    ("ise", ""), ("ize", ""), ("ed", ""), ("es", ""), ("ly", ""), ("s", ""),
)  # fmt: skip


def stem(word: str) -> str:
    """Reduce a lower-case word to a crude stem, so that plural, tense and -ise/-ize variants meet."""
    for suffix, replacement in _SUFFIXES:
        if word.endswith(suffix) and len(word) - len(suffix) >= 3 and not word.endswith("ss"):
            word = word[: -len(suffix)] + replacement
            break
    if len(word) > 4 and word[-1] in "ey":
        word = word[:-1]
    return word


def words(text: str) -> list[str]:
    """Split text (including snake_case and camelCase names) into lower-case words."""
    return [w.lower() for w in _WORD.findall(text.replace("_", " "))]


def terms(text: str) -> list[str]:
    """Stemmed content words of a text, stop words and single letters removed."""
    return [stem(w) for w in words(text) if w not in STOPWORDS and len(w) > 1 and not w.isdigit()]


@dataclass(frozen=True, slots=True)
class ToolMatch:
    """How well one tool fits an instruction."""

    spec: ToolSpec
    score: float
    matched: frozenset[str]


class ToolIndex:
    """TF-IDF over the registered tools' names, descriptions and argument schemas.

    A tool's name counts twice as much as its description; argument names and
    descriptions count half.

    Args:
        tools: The tools offered to the model.
    """

    def __init__(self, tools: Sequence[ToolSpec]) -> None:
        self.tools = tuple(tools)
        self._weights = [_tool_weights(t) for t in self.tools]
        frequency = Counter(term for weights in self._weights for term in weights)
        count = max(1, len(self.tools))
        self._idf = {term: math.log(1.0 + count / df) for term, df in frequency.items()}

    def rank(self, query: Iterable[str], exclude: Iterable[str] = (), min_weight: float = 0.0) -> list[ToolMatch]:
        """Return the tools that share a term with ``query``, best first (ties in registration order).

        Args:
            query: Stemmed terms.
            exclude: Names of tools to leave out.
            min_weight: Count only terms a tool carries at least this strongly (1.0: name or description).
        """
        wanted = set(query)
        skip = set(exclude)
        found: list[ToolMatch] = []
        for spec, weights in zip(self.tools, self._weights, strict=True):
            if spec.name in skip:
                continue
            matched = frozenset(t for t in wanted & weights.keys() if weights[t] >= min_weight)
            if matched:
                score = sum(self._idf[t] * weights[t] for t in matched)
                found.append(ToolMatch(spec, score, matched))
        found.sort(key=lambda m: -m.score)
        return found

    def terms_of(self, name: str) -> frozenset[str]:
        """All terms of one tool's text."""
        for spec, weights in zip(self.tools, self._weights, strict=True):
            if spec.name == name:
                return frozenset(weights)
        return frozenset()


def _tool_weights(spec: ToolSpec) -> dict[str, float]:
    weights: dict[str, float] = {}

    def add(text: str, weight: float) -> None:
        for term in terms(text):
            weights[term] = max(weights.get(term, 0.0), weight)

    add(spec.description, 1.0)
    for name, schema in _properties(spec.parameters).items():
        add(name, 0.5)
        if isinstance(schema, dict):
            add(str(schema.get("description") or ""), 0.5)
    add(spec.name, 2.0)
    return weights


def _properties(schema: JsonValue) -> dict[str, JsonValue]:
    if isinstance(schema, dict):
        props = schema.get("properties")
        if isinstance(props, dict):
            return props
    return {}
