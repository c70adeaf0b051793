"""Drafts are built from the given facts and passages only, with figures written one way and sources carried."""

from __future__ import annotations

import re

import pytest

from agentrt.contracts import Citation, ToolArgumentError
from agentrt.specialists.tools import Fact, Passage, draft_document

FACTS = [
    Fact(label="Revenue this week, total", value=29485.55, unit="USD", source="sales.csv"),
    Fact(label="Revenue change on last week, total", value=-1394.18, unit="USD", source="sales.csv"),
    Fact(label="Revenue % change on last week, total", value=-4.514871, unit="%", source="sales.csv"),
    Fact(label="Orders this week", value=314, unit="", source="sales.csv"),
]
EXPECTED_FIGURES = ["$29,485.55", "-$1,394.18", "-4.5%", "314"]
DEFINITION = Passage(
    text="Revenue is the sum of the `revenue` column.",
    citation=Citation(
        source="metrics.md", locator="Revenue (lines 8-10)", quote="Revenue is the sum of the `revenue` column."
    ),
)
FIGURE = re.compile(r"(?<![\w\[])[-+]?\$?\d[\d,]*(?:\.\d+)?%?(?![\w\]])")


def _body(text: str) -> str:
    return text.split("Sources")[0]


@pytest.mark.parametrize("document_format", ["email", "markdown", "text"])
def test_draft_contains_exactly_the_given_numbers(document_format: str) -> None:
    draft = draft_document("Weekly sales", "sales leadership", FACTS, document_format=document_format)  # type: ignore[arg-type]
    assert draft.figures == EXPECTED_FIGURES
    assert set(FIGURE.findall(_body(draft.text))) == set(EXPECTED_FIGURES)
    for fact, figure in zip(FACTS, EXPECTED_FIGURES, strict=True):
        assert f"{fact.label}: {figure} [1]" in draft.text
    assert draft.citations == [Citation(source="sales.csv", locator="figures")]


def test_markdown_draft_has_sections_and_carries_passage_citations() -> None:
    rows = Citation(source="sales.csv", locator="48 rows where week in 2024-W11, 2024-W12", quote="date,week,region")
    draft = draft_document("Weekly sales", "sales leadership", FACTS, [DEFINITION], [rows], "markdown")
    headings = [line for line in draft.text.splitlines() if line.startswith("#")]
    assert headings == ["# Weekly sales", "## Summary", "## Key figures", "## Definitions", "## Sources"]
    assert draft.citations == [rows, DEFINITION.citation]
    assert f"- {DEFINITION.text} [2]" in draft.text
    sources = draft.text.split("## Sources")[1]
    assert '[1] sales.csv, 48 rows where week in 2024-W11, 2024-W12: "date,week,region"' in sources
    assert '[2] metrics.md, Revenue (lines 8-10): "Revenue is the sum of the `revenue` column."' in sources


def test_email_draft_has_subject_and_signature() -> None:
    draft = draft_document("Weekly sales", "sales leadership", FACTS, document_format="email", sender="Analytics")
    assert draft.text.startswith("To: sales leadership\nSubject: Weekly sales\n")
    assert draft.text.rstrip().endswith("Best regards,\nAnalytics")


def test_summary_may_restate_given_figures_but_not_invent_one() -> None:
    draft = draft_document("Weekly sales", "sales leadership", FACTS, summary="Revenue fell 4.5% to $29,485.55.")
    assert "Revenue fell 4.5% to $29,485.55." in draft.text
    with pytest.raises(ToolArgumentError) as caught:
        draft_document("Weekly sales", "sales leadership", FACTS, summary="Revenue fell 7.2% this week.")
    assert "7.2%" in str(caught.value) and caught.value.detail("field") == "summary"


def test_facts_given_as_plain_objects_are_accepted() -> None:
    plain = [fact.model_dump() for fact in FACTS]
    assert draft_document("Weekly sales", "sales leadership", plain).figures == EXPECTED_FIGURES  # type: ignore[arg-type]
