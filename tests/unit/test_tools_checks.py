"""QA checks trace every number of a draft, validate its citations and sections, and check artifact shapes."""

from __future__ import annotations

from pathlib import Path

import pytest

from agentrt.contracts import Citation
from agentrt.specialists.tools import (
    Fact,
    check_artifact,
    check_draft,
    compare_periods,
    criteria_requirements,
    define_terms,
    draft_document,
)

EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "weekly_sales"
SECTIONS = ["Summary", "Key figures", "Definitions", "Sources"]


@pytest.fixture(scope="module")
def artifacts() -> dict[str, list]:  # type: ignore[type-arg]
    comparison = compare_periods(
        (EXAMPLE / "sales.csv").read_text(), "revenue", group_by=["region"], unit="USD", source="sales.csv"
    )
    documents = {"metrics.md": (EXAMPLE / "metrics.md").read_text()}
    passages = [
        d.definition for d in define_terms(["revenue", "week-over-week change"], documents).terms if d.definition
    ]
    return {"facts": comparison.facts, "passages": passages, "citations": comparison.citations}


def _draft(artifacts: dict[str, list], document_format: str = "markdown") -> str:  # type: ignore[type-arg]
    return draft_document(
        "Weekly sales 2024-W12",
        "the sales leadership team",
        artifacts["facts"],
        artifacts["passages"],
        artifacts["citations"],
        document_format,  # type: ignore[arg-type]
    ).text


def _check(text: str, artifacts: dict[str, list], **criteria: list[str]) -> list[tuple[str, str]]:  # type: ignore[type-arg]
    report = check_draft(text, artifacts["facts"], artifacts["passages"], artifacts["citations"], **criteria)
    assert report.passed is (not report.defects)
    return [(d.kind, d.detail) for d in report.defects]


@pytest.mark.parametrize("document_format", ["email", "markdown", "text"])
def test_correct_draft_passes(artifacts: dict[str, list], document_format: str) -> None:  # type: ignore[type-arg]
    text = _draft(artifacts, document_format)
    report = check_draft(
        text,
        artifacts["facts"],
        artifacts["passages"],
        artifacts["citations"],
        required_sections=SECTIONS,
        required_phrases=["week-over-week"],
    )
    assert report.passed, report.defects
    assert report.numbers_checked >= len(artifacts["facts"])


def test_invented_number_is_found_with_its_line(artifacts: dict[str, list]) -> None:  # type: ignore[type-arg]
    text = _draft(artifacts) + "\nThe West region lost 412 customers.\n"
    report = check_draft(text, artifacts["facts"], artifacts["passages"], artifacts["citations"])
    assert [(d.kind, d.where) for d in report.defects] == [("untraced_number", f"line {len(text.splitlines())}")]
    assert "412" in report.defects[0].detail


def test_changed_figure_and_flipped_sign_are_untraced(artifacts: dict[str, list]) -> None:  # type: ignore[type-arg]
    text = _draft(artifacts)
    assert "-4.5%" in text and "-$1,394.18" in text
    defects = _check(text.replace("-4.5%", "-4.8%").replace("-$1,394.18", "+$1,394.18"), artifacts)
    assert sorted({detail.split()[0] for kind, detail in defects if kind == "untraced_number"}) == [
        "+$1,394.18",
        "-4.8%",
    ]


def test_missing_section_and_phrase_are_defects(artifacts: dict[str, list]) -> None:  # type: ignore[type-arg]
    text = _draft(artifacts).replace("## Definitions", "## Notes")
    defects = _check(text, artifacts, required_sections=SECTIONS, required_phrases=["average order value"])
    assert ("missing_section", "no section titled 'Definitions'") in defects
    assert ("missing_phrase", "the draft never says 'average order value'") in defects


def test_rounding_formatting_and_fractions_are_tolerated() -> None:
    facts = [
        Fact(label="share of revenue, East", value=0.34081, unit=""),
        Fact(label="revenue, total", value=29485.554, unit="USD"),
    ]
    text = "East took 34.1% of revenue; about 34% overall, total $29,485.55 (29485.6 USD, $29.5k)."
    report = check_draft(text, facts)
    assert report.passed, report.defects
    assert report.numbers_checked == 5
    assert not check_draft("East took 36% of revenue.", facts).passed


def test_citations_must_exist(artifacts: dict[str, list]) -> None:  # type: ignore[type-arg]
    text = _draft(artifacts) + "Seasonality explains it [9] (source: crm.xlsx).\n[7] forecast.xlsx, sheet 2\n"
    defects = _check(text, artifacts)
    kinds = sorted(kind for kind, _ in defects)
    assert kinds == ["dangling_citation", "unknown_source", "unknown_source"]


def test_acceptance_criteria_name_sections_and_phrases() -> None:
    sections, phrases = criteria_requirements(
        ['includes a "Sources" section', "has a key figures section", 'mentions "week-over-week"', "is polite"]
    )
    assert sections == ["Sources", "key figures"] and phrases == ["week-over-week"]
    report = check_draft("Summary:\nAll good.\n", [], acceptance_criteria=['includes a "Sources" section'])
    assert [(d.kind, d.where) for d in report.defects] == [("missing_section", "document")]


def test_artifact_shape_check_reports_missing_keys_and_wrong_types() -> None:
    artifact = {"metric": "revenue", "total": {"pct_change": None, "change": -3.5}, "groups": [{"rows": 2}]}
    required = {"metric": "string", "total.pct_change": "number|null", "groups.0.rows": "integer", "groups": "array"}
    assert check_artifact(artifact, required).passed
    report = check_artifact(artifact, {"total.change": "integer", "facts": "array", "metric": "boolean"})
    assert [(d.kind, d.where) for d in report.defects] == [
        ("wrong_type", "total.change"),
        ("missing_key", "facts"),
        ("wrong_type", "metric"),
    ]
    assert not check_artifact({"flag": True}, {"flag": "number"}).passed


def test_citation_objects_and_plain_dicts_are_both_accepted() -> None:
    cited = [Citation(source="a.md"), {"source": "b.md", "locator": "", "quote": ""}]
    report = check_draft("See [1].\n\nSources:\n[1] b.md\n", [], citations=cited)  # type: ignore[list-item]
    assert report.passed, report.defects
