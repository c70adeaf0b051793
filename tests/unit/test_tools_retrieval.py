"""Retrieval chunks documents under their headings and ranks passages with BM25, citing where each is."""

from __future__ import annotations

import re
from pathlib import Path

from agentrt.specialists.tools import Bm25Index, Passage, chunk_document, define_terms, search_documents

EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "weekly_sales"
DOCUMENTS = {name: (EXAMPLE / name).read_text() for name in ("metrics.md", "team.md")}


def _lines(locator: str) -> tuple[int, int]:
    match = re.search(r"lines? (\d+)(?:-(\d+))?", locator)
    assert match, locator
    return int(match.group(1)), int(match.group(2) or match.group(1))


def test_search_ranks_the_defining_passage_first_with_a_correct_citation() -> None:
    result = search_documents("how is average order value calculated", DOCUMENTS, top_k=3)
    best = result.passages[0]
    assert best.citation.source == "metrics.md"
    assert "Average order value" in best.citation.locator
    assert best.text.startswith("Average order value (AOV) is revenue divided by orders")
    first, last = _lines(best.citation.locator)
    assert "\n".join(DOCUMENTS["metrics.md"].splitlines()[first - 1 : last]) == best.text
    assert best.citation.quote and best.citation.quote in DOCUMENTS["metrics.md"]
    assert [p.score for p in result.passages] == sorted((p.score for p in result.passages), reverse=True)
    assert result.citations == [p.citation for p in result.passages]


def test_chunks_follow_headings_and_paragraphs() -> None:
    text = "# Guide\n\nIntro line.\n\n## Setup\n\nStep one.\nStep two.\n\n```\n# not a heading\n\ncode\n```\n"
    passages = chunk_document("guide.md", text)
    assert [p.text for p in passages] == ["Intro line.", "Step one.\nStep two.", "```\n# not a heading\n\ncode\n```"]
    assert [p.citation.locator for p in passages] == [
        "Guide (line 3)",
        "Guide > Setup (lines 7-8)",
        "Guide > Setup (lines 10-14)",
    ]


def test_bm25_prefers_the_rare_term_and_shorter_passage() -> None:
    def passage(text: str) -> Passage:
        return chunk_document("d.md", text)[0]

    common = [passage(f"sales report number {i} about revenue") for i in range(5)]
    rare = passage("churn is the share of customers lost in a month")
    padded = passage("churn " + "filler words here " * 30)
    index = Bm25Index([*common, padded, rare])
    ranked = index.search("revenue churn", top_k=3)
    assert ranked[0].text == rare.text
    assert index.score("churn", 5) < index.score("churn", 6)  # same term once: the longer passage scores less
    assert index.score("revenue", 0) < index.score("churn", 6)  # a term in most passages weighs less
    assert index.search("nothing matches this", top_k=3) == []


def test_define_terms_finds_the_section_named_by_the_term_and_admits_unknown_terms() -> None:
    found = {d.term: d.definition for d in define_terms(["revenue", "week-over-week change", "churn"], DOCUMENTS).terms}
    assert found["revenue"] is not None and found["revenue"].citation.locator.startswith(
        "Sales metric definitions > Revenue"
    )
    assert found["week-over-week change"] is not None
    assert "Week-over-week change" in found["week-over-week change"].citation.locator
    assert found["churn"] is None
