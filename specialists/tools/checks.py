"""Quality checks: a draft against its artifacts and acceptance criteria, and structured artifacts against a shape.

``check_draft`` traces every number of a draft to the facts and sources it was
built from (tolerant of formatting and rounding, percents as fractions or
percents), checks that every citation marker and named source exists, and
that the required sections and phrases are there. ``check_artifact`` checks
required keys and their JSON types. Both return a report of typed defects.
"""

from __future__ import annotations

import re
from typing import Literal

from pydantic import JsonValue

from agentrt.specialists.tools._frozen import FrozenModel
from agentrt.specialists.tools._numbers import find_numbers, numbers_in_sources, traces_to
from agentrt.specialists.tools.evidence import Citation, Fact, Passage, as_citations, as_facts, as_passages

__all__ = ["CheckReport", "Defect", "DefectKind", "check_artifact", "check_draft", "criteria_requirements"]

DefectKind = Literal[
    "untraced_number",
    "unknown_source",
    "dangling_citation",
    "missing_section",
    "missing_phrase",
    "missing_key",
    "wrong_type",
]
"""What a defect is about."""

_MARKER = re.compile(r"\[(\d+)\]")
_SOURCE_LINE = re.compile(r"^\s*\[(\d+)\]\s*(.+)$")
_INLINE_SOURCE = re.compile(r"\((?:source|sources|see)\s*:\s*([^)]+)\)", re.IGNORECASE)
_MD_HEADING = re.compile(r"^\s{0,3}#{1,6}\s+(.+?)\s*#*\s*$")
_LABEL_HEADING = re.compile(r"^\s*([A-Z][\w &/()'-]{0,60}):\s*$")
_SOURCES_TITLES = ("sources", "references", "citations")
_QUOTED = re.compile(r"\"([^\"]+)\"|“([^”]+)”|'([^']+)'")
_SECTION_NAMED = re.compile(r"\b(?:a|an|the)\s+([\w-]+(?:\s[\w-]+)?)\s+section\b", re.IGNORECASE)
_JSON_TYPES = {
    "string": (str,),
    "number": (int, float),
    "integer": (int,),
    "boolean": (bool,),
    "array": (list,),
    "object": (dict,),
    "null": (type(None),),
}


class Defect(FrozenModel):
    """One thing wrong: its kind, what exactly, and where (a line, a section, a key)."""

    kind: DefectKind
    detail: str
    where: str


class CheckReport(FrozenModel):
    """The verdict: passed when there is no defect."""

    passed: bool
    defects: list[Defect]
    numbers_checked: int = 0


def _headings(draft: str) -> list[tuple[int, str]]:
    found = []
    for number, line in enumerate(draft.splitlines(), 1):
        match = _MD_HEADING.match(line) or _LABEL_HEADING.match(line)
        if match:
            found.append((number, match.group(1).strip()))
    return found


def _split_sources(draft: str) -> tuple[list[tuple[int, str]], list[tuple[int, str]]]:
    """Body lines and source lines (``[n] ...`` lines of the sources section), each with its line number."""
    lines = list(enumerate(draft.splitlines(), 1))
    headings = _headings(draft)
    starts = [n for n, title in headings if title.lower().rstrip(":") in _SOURCES_TITLES]
    if not starts:
        return lines, []
    later = [n for n, _ in headings if n > starts[0]]
    end = later[0] if later else len(lines) + 1
    # Only "[n] ..." lines are sources: a sign-off or text added below them is still checked as body.
    listed = {n for n, line in lines if starts[0] < n < end and _SOURCE_LINE.match(line)}
    return [x for x in lines if x[0] not in listed and x[0] != starts[0]], [x for x in lines if x[0] in listed]


def _number_defects(
    body: list[tuple[int, str]], facts: list[Fact], sources_text: list[str]
) -> tuple[list[Defect], int]:
    grounded = [f.value for f in facts] + numbers_in_sources(sources_text)
    defects, checked = [], 0
    for number, line in body:
        for mention in find_numbers(line):
            checked += 1
            if not traces_to(mention, grounded):
                defects.append(
                    Defect(
                        kind="untraced_number",
                        detail=f"{mention.text} is not in the facts or sources",
                        where=f"line {number}",
                    )
                )
    return defects, checked


def _citation_defects(body: list[tuple[int, str]], sources: list[tuple[int, str]], known: set[str]) -> list[Defect]:
    defined: dict[str, str] = {}
    defects = []
    for number, line in sources:
        match = _SOURCE_LINE.match(line)
        assert match is not None  # _split_sources keeps only matching lines
        defined[match.group(1)] = match.group(2)
        if not any(name in match.group(2) for name in known):
            detail = f"source [{match.group(1)}] names nothing that was given: {match.group(2)[:80]}"
            defects.append(Defect(kind="unknown_source", detail=detail, where=f"line {number}"))
    for number, line in body:
        for marker in _MARKER.findall(line):
            if marker not in defined:
                detail = f"[{marker}] cites a source the draft does not list"
                defects.append(Defect(kind="dangling_citation", detail=detail, where=f"line {number}"))
        for named in _INLINE_SOURCE.findall(line):
            if not any(name in named for name in known):
                defects.append(
                    Defect(kind="unknown_source", detail=f"cites unknown source {named!r}", where=f"line {number}")
                )
    return defects


def criteria_requirements(criteria: list[str]) -> tuple[list[str], list[str]]:
    """Sections and phrases that acceptance criteria ask for.

    A quoted text in a criterion that speaks of a section (``includes a "Sources"
    section``) is a required section; other quoted texts are required phrases;
    ``a key figures section`` names a section without quotes.
    """
    sections: list[str] = []
    phrases: list[str] = []
    for criterion in criteria:
        quoted = [next(g for g in m.groups() if g) for m in _QUOTED.finditer(criterion)]
        if "section" in criterion.lower():
            sections += quoted or _SECTION_NAMED.findall(criterion)
        else:
            phrases += quoted
    return sections, phrases


def _presence_defects(draft: str, sections: list[str], phrases: list[str]) -> list[Defect]:
    titles = [title.lower().rstrip(":") for _, title in _headings(draft)]
    if draft.lstrip().lower().startswith(("subject:", "to:")):
        titles.append("subject")
    defects = [
        Defect(kind="missing_section", detail=f"no section titled {name!r}", where="document")
        for name in sections
        if not any(name.lower().strip() in title for title in titles)
    ]
    flat = " ".join(draft.lower().split())
    defects += [
        Defect(kind="missing_phrase", detail=f"the draft never says {phrase!r}", where="document")
        for phrase in phrases
        if " ".join(phrase.lower().split()) not in flat
    ]
    return defects


def check_draft(
    draft: str,
    facts: list[Fact],
    passages: list[Passage] | None = None,
    citations: list[Citation] | None = None,
    required_sections: list[str] | None = None,
    required_phrases: list[str] | None = None,
    acceptance_criteria: list[str] | None = None,
) -> CheckReport:
    """Check a draft against its facts, sources and acceptance criteria: numbers traced, citations and sections present.

    Every number outside the sources section must match a fact's value or a
    number in a passage, citation or fact label, as rounded in the draft
    (``35.0%`` matches 34.964 and 0.34964; a signed number must match in sign).
    Dates, ISO weeks, times, list numbers, citation markers and identifiers are
    not figures. Every ``[n]`` marker must be listed in the sources section, and
    every listed or inline-named source must be one of the given sources.

    Args:
        draft: The draft text (markdown, email or plain text).
        facts: The figures the draft may use: ``{label, value, unit, source}`` each.
        passages: Quoted passages the draft may draw on.
        citations: Citations of the sources the draft may cite.
        required_sections: Section titles that must appear (as headings or ``Title:`` lines).
        required_phrases: Phrases that must appear (case-insensitive).
        acceptance_criteria: Criteria in words; quoted sections and phrases in them are required too.

    Returns:
        ``passed`` and the defects found, each with kind, detail and where.
    """
    chosen_facts, chosen_passages, chosen_citations = as_facts(facts), as_passages(passages), as_citations(citations)
    all_citations = chosen_citations + [p.citation for p in chosen_passages]
    sources_text = [f.label for f in chosen_facts] + [p.text for p in chosen_passages]
    sources_text += [f"{c.locator} {c.quote}" for c in all_citations]
    known = {c.source for c in all_citations} | {f.source for f in chosen_facts if f.source}
    body, sources = _split_sources(draft)
    defects, checked = _number_defects(body, chosen_facts, sources_text)
    defects += _citation_defects(body, sources, known)
    from_criteria = criteria_requirements(acceptance_criteria or [])
    sections = [*(required_sections or []), *from_criteria[0]]
    defects += _presence_defects(draft, sections, [*(required_phrases or []), *from_criteria[1]])
    return CheckReport(passed=not defects, defects=defects, numbers_checked=checked)


def _lookup(artifact: JsonValue, path: str) -> tuple[bool, JsonValue]:
    value = artifact
    for part in path.split("."):
        if isinstance(value, dict) and part in value:
            value = value[part]
        elif isinstance(value, list) and part.isdigit() and int(part) < len(value):
            value = value[int(part)]
        else:
            return False, None
    return True, value


def _is_type(value: JsonValue, wanted: str) -> bool:
    for name in wanted.split("|"):
        name = name.strip()
        if name == "any":
            return True
        kinds = _JSON_TYPES.get(name, ())
        # bool is an int in Python, never a number in JSON.
        if isinstance(value, kinds) and not (isinstance(value, bool) and name in ("number", "integer")):
            return True
    return False


def check_artifact(artifact: dict[str, JsonValue], required_keys: dict[str, str]) -> CheckReport:
    """Check a structured (JSON) artifact has the required keys with the right JSON types.

    Args:
        artifact: The artifact's data.
        required_keys: Dotted key path to JSON type, e.g. ``{"total.pct_change": "number|null", "groups": "array"}``;
            types are ``string``, ``number``, ``integer``, ``boolean``, ``array``, ``object``, ``null``, ``any``.

    Returns:
        ``passed`` and a ``missing_key`` or ``wrong_type`` defect per failed key.
    """
    defects = []
    for path, wanted in required_keys.items():
        present, value = _lookup(artifact, path)
        if not present:
            defects.append(Defect(kind="missing_key", detail=f"no {path!r} (want {wanted})", where=path))
        elif not _is_type(value, wanted):
            detail = f"{path!r} is {type(value).__name__}, want {wanted}"
            defects.append(Defect(kind="wrong_type", detail=detail, where=path))
    return CheckReport(passed=not defects, defects=defects)
