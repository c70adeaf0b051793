"""Search over the documents a person gives (markdown or text): heading/paragraph chunks ranked by BM25.

Documents are split into passages, one per paragraph (a list or a code block
counts as one), each under the path of headings above it. The headings take
part in ranking, so a paragraph under "## Average order value" is found by
that phrase. Every passage carries a citation: document name, heading and
line range, and a verbatim quote.
"""

from __future__ import annotations

import math
import re
from collections import Counter
from collections.abc import Sequence

from agentrt.specialists.tools._frozen import FrozenModel
from agentrt.specialists.tools.evidence import Citation, Passage

__all__ = [
    "Bm25Index",
    "Definitions",
    "SearchResult",
    "TermDefinition",
    "chunk_document",
    "define_terms",
    "search_documents",
]

_HEADING = re.compile(r"^(#{1,6})\s+(.*?)\s*#*\s*$")
_WORD = re.compile(r"[a-z0-9]+")
# fmt: off
_STOPWORDS = frozenset({
    "a", "an", "and", "are", "as", "at", "be", "by", "for", "from", "how", "in", "is", "it", "of",
    "on", "or", "that", "the", "this", "to", "was", "what", "when", "where", "which", "who", "why", "with",
})
# fmt: on
_QUOTE_CHARS = 300


def _tokens(text: str) -> list[str]:
    words = _WORD.findall(text.lower())
    # A light plural fold: "orders" finds "order" without a stemming library.
    return [
        w[:-1] if len(w) > 3 and w.endswith("s") and not w.endswith("ss") else w for w in words if w not in _STOPWORDS
    ]


class _Chunk(FrozenModel):
    heading: str
    first_line: int
    lines: list[str]


def _chunks(text: str) -> list[_Chunk]:
    chunks: list[_Chunk] = []
    path: list[tuple[int, str]] = []
    current: list[str] = []
    start = 0
    fenced = False

    def close() -> None:
        if any(line.strip() for line in current):
            chunks.append(_Chunk(heading=" > ".join(t for _, t in path), first_line=start, lines=list(current)))
        current.clear()

    for number, line in enumerate(text.splitlines(), 1):
        heading = None if fenced else _HEADING.match(line)
        if line.strip().startswith("```"):
            fenced = not fenced
        if heading:
            close()
            level = len(heading.group(1))
            path = [(lvl, title) for lvl, title in path if lvl < level] + [(level, heading.group(2))]
        elif not line.strip() and not fenced:
            close()
        else:
            if not current:
                start = number
            current.append(line)
    close()
    return chunks


def chunk_document(name: str, text: str) -> list[Passage]:
    """Split a markdown or text document into passages (paragraphs under their headings), each with a citation.

    Args:
        name: The document's name, used as the citation source.
        text: The document's content.
    """
    passages = []
    for chunk in _chunks(text):
        body = "\n".join(chunk.lines)
        last = chunk.first_line + len(chunk.lines) - 1
        lines = f"line {chunk.first_line}" if last == chunk.first_line else f"lines {chunk.first_line}-{last}"
        locator = f"{chunk.heading} ({lines})" if chunk.heading else lines
        passages.append(Passage(text=body, citation=Citation(source=name, locator=locator, quote=body[:_QUOTE_CHARS])))
    return passages


class Bm25Index:
    """Okapi BM25 over passages; each passage is scored on its text and its heading path.

    Args:
        passages: What to index.
        k1: Term-frequency saturation.
        b: Length normalisation (0 none, 1 full).
    """

    def __init__(self, passages: Sequence[Passage], k1: float = 1.5, b: float = 0.75) -> None:
        self.passages = list(passages)
        self.k1, self.b = k1, b
        self._counts = [Counter(_tokens(f"{p.citation.locator} {p.text}")) for p in self.passages]
        self._lengths = [sum(c.values()) for c in self._counts]
        self._average = sum(self._lengths) / len(self._lengths) if self._lengths else 0.0
        frequency: Counter[str] = Counter(term for counts in self._counts for term in counts)
        size = len(self.passages)
        self._idf = {t: math.log(1 + (size - df + 0.5) / (df + 0.5)) for t, df in frequency.items()}

    def score(self, query: str, position: int) -> float:
        """BM25 score of the passage at ``position`` for ``query``."""
        counts, length = self._counts[position], self._lengths[position]
        total = 0.0
        for term in set(_tokens(query)):
            tf = counts.get(term, 0)
            if tf:
                norm = self.k1 * (1 - self.b + self.b * length / (self._average or 1.0))
                total += self._idf[term] * tf * (self.k1 + 1) / (tf + norm)
        return total

    def search(self, query: str, top_k: int = 5) -> list[Passage]:
        """The ``top_k`` passages with a positive score, best first (ties keep document order)."""
        scored = [(self.score(query, i), i) for i in range(len(self.passages))]
        ranked = sorted((s for s in scored if s[0] > 0), key=lambda s: (-s[0], s[1]))[:top_k]
        return [self.passages[i].model_copy(update={"score": round(s, 6)}) for s, i in ranked]


class SearchResult(FrozenModel):
    """Passages that answer a query, best first, and their citations."""

    query: str
    passages: list[Passage]
    citations: list[Citation]


class TermDefinition(FrozenModel):
    """The passage that defines a term, or None when the documents do not define it."""

    term: str
    definition: Passage | None


class Definitions(FrozenModel):
    """Definitions of terms, with the defining passages and their citations."""

    terms: list[TermDefinition]
    passages: list[Passage]
    citations: list[Citation]


def _index(documents: dict[str, str]) -> Bm25Index:
    return Bm25Index([p for name, text in documents.items() for p in chunk_document(name, text)])


def search_documents(query: str, documents: dict[str, str], top_k: int = 5) -> SearchResult:
    """Search the given documents for passages relevant to a query, ranked by BM25, with citations.

    Args:
        query: What to look for, in words.
        documents: Document name to its markdown or text content.
        top_k: Most passages to return.

    Returns:
        The best passages (text, score, citation with document, heading, lines and quote).
    """
    passages = _index(documents).search(query, top_k)
    return SearchResult(query=query, passages=passages, citations=[p.citation for p in passages])


def define_terms(terms: list[str], documents: dict[str, str]) -> Definitions:
    """Look up the definition of each term (e.g. metric definitions) in the given documents, with citations.

    A passage under a heading that names the term is preferred to one that only mentions it.

    Args:
        terms: The terms to define, e.g. ``["revenue", "average order value"]``.
        documents: Document name to its markdown or text content.

    Returns:
        Each term with its defining passage (None when the documents do not define it), and the
        passages and citations found, ready for a draft.
    """
    index = _index(documents)
    definitions = []
    for term in terms:
        wanted = set(_tokens(term))
        found = index.search(term, top_k=10)
        titled = [p for p in found if wanted <= set(_tokens(p.citation.locator.rsplit("(", 1)[0]))]
        ranked = titled or found
        best = ranked[0] if ranked else None
        definitions.append(TermDefinition(term=term, definition=best))
    passages = [d.definition for d in definitions if d.definition is not None]
    return Definitions(terms=definitions, passages=passages, citations=[p.citation for p in passages])
