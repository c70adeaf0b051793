"""Drafting from artifacts only: emails, markdown reports and plain text built from facts and passages.

Every figure in a draft comes from a given fact and is written one consistent
way (see ``format_figure``); prose the caller supplies is refused if it holds a
number no fact or passage gives. Facts and passages point at a numbered
sources section that carries their citations through.
"""

from __future__ import annotations

import re
from typing import Literal

from agentrt.contracts import ToolArgumentError
from agentrt.specialists.tools._frozen import FrozenModel
from agentrt.specialists.tools._numbers import find_numbers, format_figure, numbers_in_sources, traces_to
from agentrt.specialists.tools.evidence import Citation, Fact, Passage, as_citations, as_facts, as_passages

__all__ = ["Draft", "DocumentFormat", "draft_document"]

DocumentFormat = Literal["email", "markdown", "text"]
"""The kinds of document the drafting tool writes."""

_CHANGE = re.compile(r"\bchange\b|\bdelta\b|\bgrowth\b", re.IGNORECASE)


class Draft(FrozenModel):
    """A drafted document.

    Attributes:
        document_format: ``email``, ``markdown`` or ``text``.
        title: The title or email subject.
        text: The full document.
        figures: Every figure as written in the text, in order.
        citations: The sources section, in order: marker ``[n]`` is ``citations[n - 1]``.
    """

    document_format: DocumentFormat
    title: str
    text: str
    figures: list[str]
    citations: list[Citation]


class _Sources:
    """Numbers the sources in first-use order, so every fact and passage can point at one."""

    def __init__(self, citations: list[Citation]) -> None:
        self.citations: list[Citation] = []
        for citation in citations:
            self.marker(citation)

    def marker(self, citation: Citation) -> str:
        key = (citation.source, citation.locator)
        for number, known in enumerate(self.citations, 1):
            if (known.source, known.locator) == key:
                return f"[{number}]"
        self.citations.append(citation)
        return f"[{len(self.citations)}]"

    def for_source(self, source: str) -> str:
        for number, known in enumerate(self.citations, 1):
            if known.source == source:
                return f"[{number}]"
        return self.marker(Citation(source=source, locator="figures"))

    def lines(self) -> list[str]:
        rendered = []
        for number, c in enumerate(self.citations, 1):
            where = f", {c.locator}" if c.locator else ""
            quote = " ".join(c.quote.split())
            rendered.append(f"[{number}] {c.source}{where}" + (f': "{quote}"' if quote else ""))
        return rendered


def _figure(fact: Fact) -> str:
    return format_figure(fact.value, fact.unit, signed=bool(_CHANGE.search(fact.label)) or fact.unit == "pp")


def _check_prose(summary: str, facts: list[Fact], passages: list[Passage]) -> None:
    grounded = [f.value for f in facts] + numbers_in_sources([f.label for f in facts] + [p.text for p in passages])
    invented = [m.text for m in find_numbers(summary) if not traces_to(m, grounded)]
    if invented:
        raise ToolArgumentError(
            f"the summary holds numbers no fact gives: {', '.join(invented)}", tool="draft_document", field="summary"
        )


def _sections(
    facts: list[Fact], passages: list[Passage], sources: _Sources, summary: str, passages_heading: str
) -> list[tuple[str, list[str]]]:
    figure_lines = [
        f"- {fact.label}: {_figure(fact)} {sources.for_source(fact.source or 'given facts')}" for fact in facts
    ]
    if not summary and facts:
        # Totals lead when there are any: they are what a reader wants first.
        leading = [fact for fact in facts if "total" in fact.label.lower()] or facts
        summary = " ".join(f"{fact.label[:1].upper()}{fact.label[1:]}: {_figure(fact)}." for fact in leading[:4])
    sections = [("Summary", [summary or "No figures were given."]), ("Key figures", figure_lines or ["None."])]
    if passages:
        lines = [f"- {' '.join(p.text.split())} {sources.marker(p.citation)}" for p in passages]
        sections.append((passages_heading, lines))
    sections.append(("Sources", sources.lines()))
    return sections


def _render(
    document_format: DocumentFormat, title: str, audience: str, sender: str, sections: list[tuple[str, list[str]]]
) -> str:
    if document_format == "markdown":
        head = [f"# {title}", "", f"_Prepared for {audience}._"]
        body = [f"## {name}\n\n" + "\n".join(lines) for name, lines in sections]
        return "\n".join(head) + "\n\n" + "\n\n".join(body) + "\n"
    body = [f"{name}:\n" + "\n".join(lines) for name, lines in sections]
    if document_format == "email":
        closing = f"Best regards,\n{sender}" if sender else "Best regards"
        return f"To: {audience}\nSubject: {title}\n\nHello,\n\n" + "\n\n".join(body) + f"\n\n{closing}\n"
    return f"{title}\n{'=' * len(title)}\n\nFor: {audience}\n\n" + "\n\n".join(body) + "\n"


def draft_document(
    title: str,
    audience: str,
    facts: list[Fact],
    passages: list[Passage] | None = None,
    citations: list[Citation] | None = None,
    document_format: DocumentFormat = "markdown",
    summary: str = "",
    passages_heading: str = "Definitions",
    sender: str = "",
) -> Draft:
    """Draft an email, markdown report or plain-text document from given facts and cited passages only.

    The document has a summary, the key figures (each with its source marker),
    the passages under ``passages_heading``, and a numbered sources section.
    Figures are formatted consistently: percent with one decimal, currencies
    with two decimals and separators, changes with an explicit sign.

    Args:
        title: Title of the report or subject of the email.
        audience: Who the document is for, e.g. ``"the sales leadership team"``.
        facts: Figures to report: ``{label, value, unit, source}`` each.
        passages: Quoted passages with citations (e.g. metric definitions from a search).
        citations: Citations of the facts' sources (e.g. from the tool that computed them), listed first.
        document_format: ``email``, ``markdown`` or ``text``.
        summary: Opening prose; every number in it must come from the facts or passages.
        passages_heading: Heading of the passages section.
        sender: Name to sign an email with.

    Returns:
        The draft text, its figures as written, and its numbered citations.

    Raises:
        ToolArgumentError: The summary holds a number that no fact or passage gives.
    """
    chosen_facts, chosen_passages = as_facts(facts), as_passages(passages)
    _check_prose(summary, chosen_facts, chosen_passages)
    sources = _Sources(as_citations(citations))
    sections = _sections(chosen_facts, chosen_passages, sources, summary.strip(), passages_heading)
    text = _render(document_format, title, audience, sender, sections)
    return Draft(
        document_format=document_format,
        title=title,
        text=text,
        figures=[_figure(fact) for fact in chosen_facts],
        citations=sources.citations,
    )
