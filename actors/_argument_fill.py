"""How the offline model fills a tool's arguments, by each argument's name, description and JSON type.

Rules, in order: an explicit ``name=value`` in the instruction; an enum value
the instruction mentions; then by type and by what the argument's words say it
wants (a table, a text, a column, an address, a date, a query...), from the
instruction's literals, input artifacts, earlier tool outputs and context.
A required argument nothing fits makes the tool unusable for this turn.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import cast

from actors._evidence import Evidence, Source
from actors._text_match import stem, terms, words
from contracts import JsonObject, JsonValue, ToolSpec

__all__ = ["fill_arguments"]

_MISSING = object()



def _stems(text: str) -> frozenset[str]:
    return frozenset(stem(w) for w in text.split())


TABLE = _stems("table csv tsv dataset data rows records spreadsheet sheet")
TEXT = _stems("text draft body content document doc report notes markdown passage article message summary input "
              "findings answer prose")  # fmt: skip
COLUMN = _stems("column field key metric attribute measure header group dimension")
QUERY = _stems("query question topic search prompt keyword instruction request claim")
CONTEXT = _stems("context background facts memory evidence")
EMAIL = _stems("email recipient address mail")
ADDRESSEE = frozenset({"to", "cc", "bcc"})
URL = _stems("url link href uri endpoint website")
FILE = _stems("file filename path attachment")
IDENTIFIER = _stems("id identifier number reference ref code ticket sku")
DATE = _stems("date day since until deadline week period")


def fill_arguments(spec: ToolSpec, evidence: Evidence) -> JsonObject | None:
    """Return arguments for ``spec`` drawn from the evidence, or None when a required one cannot be filled."""
    properties = spec.parameters.get("properties")
    required = set(cast(list[str], spec.parameters.get("required") or []))
    arguments: JsonObject = {}
    if not isinstance(properties, dict):
        return arguments
    for name, raw in properties.items():
        schema = _unwrap(raw)
        value = _fill(name, schema, evidence, name in required)
        if value is _MISSING:
            if name in required:
                return None
            continue
        arguments[name] = cast(JsonValue, value)
    return arguments


def _unwrap(raw: JsonValue) -> dict[str, JsonValue]:
    schema = raw if isinstance(raw, dict) else {}
    options = schema.get("anyOf") or schema.get("oneOf")
    if isinstance(options, list):
        first = next((o for o in options if isinstance(o, dict) and o.get("type") != "null"), {})
        merged = {**first, **{k: v for k, v in schema.items() if k not in ("anyOf", "oneOf")}}
        return cast(dict[str, JsonValue], merged)
    return schema


def _fill(name: str, schema: dict[str, JsonValue], ev: Evidence, required: bool) -> object:
    kind = schema.get("type", "string")
    vocabulary = frozenset(terms(name)) | frozenset(terms(str(schema.get("description") or "")))
    raw_words = frozenset(words(name))
    explicit = ev.pairs.get(name.lower())
    if explicit is not None:
        return _coerce(explicit, kind)
    if isinstance(schema.get("enum"), list):
        return _enum(cast(list[JsonValue], schema["enum"]), schema, ev, required)
    fillers: dict[str, Callable[[str, frozenset[str], frozenset[str], Evidence], object]] = {
        "string": _string, "integer": _number, "number": _number, "boolean": _boolean,
        "array": _array, "object": _object,
    }  # fmt: skip
    value = fillers.get(str(kind), _string)(name, vocabulary, raw_words, ev)
    if value is _MISSING and required:
        value = _last_resort(str(kind), ev)
    if kind == "integer" and isinstance(value, float):
        return int(value) if value.is_integer() else _MISSING
    return value


def _coerce(text: str, kind: JsonValue) -> object:
    try:
        if kind == "integer":
            return int(float(text))
        if kind == "number":
            return float(text)
        if kind == "boolean":
            return text.strip().lower() in ("true", "yes", "1", "on")
        if kind in ("array", "object"):
            return json.loads(text)
    except (ValueError, json.JSONDecodeError):
        return _MISSING
    return text


def _enum(options: list[JsonValue], schema: dict[str, JsonValue], ev: Evidence, required: bool) -> object:
    said = {stem(w) for w in words(ev.instruction)}
    for option in options:
        if isinstance(option, str) and {stem(w) for w in words(option)} <= said and words(option):
            return option
    if "default" in schema or not required:
        return _MISSING
    return options[0] if options else _MISSING


def _string(name: str, vocabulary: frozenset[str], raw: frozenset[str], ev: Evidence) -> object:
    literal = _literal_for(vocabulary, raw, ev)
    if literal is not None:
        return literal
    if vocabulary & TABLE:
        return _source_text(vocabulary, ev, want_table=True)
    if vocabulary & COLUMN:
        return _column(ev, single=True)
    if vocabulary & TEXT:
        return _source_text(vocabulary, ev, want_table=False)
    if vocabulary & QUERY:
        return ev.take(ev.quoted) or ev.instruction.strip()
    if vocabulary & CONTEXT:
        joined = "\n".join(c.text for c in ev.context)
        return joined or _MISSING
    return _MISSING


def _literal_for(vocabulary: frozenset[str], raw: frozenset[str], ev: Evidence) -> str | None:
    checks = ((EMAIL, ev.emails), (URL, ev.urls), (FILE, ev.files), (DATE, ev.dates))
    for words_, values in checks:
        if (vocabulary & words_ or (words_ is EMAIL and raw <= ADDRESSEE and raw)) and values:
            return ev.take(values)
    if (raw & IDENTIFIER or vocabulary & IDENTIFIER) and ev.ids:
        return ev.take(ev.ids)
    return None


def _source_text(vocabulary: frozenset[str], ev: Evidence, want_table: bool) -> object:
    best: tuple[float, Source] | None = None
    for source in ev.sources:
        score = _source_score(source, vocabulary, ev, want_table)
        if score > 0 and (best is None or score > best[0]):
            best = (score, source)
    if best is None:
        return _MISSING
    return best[1].content


def _source_score(source: Source, vocabulary: frozenset[str], ev: Evidence, want_table: bool) -> float:
    names = frozenset(terms(source.name))
    score = 3.0 * bool(names & vocabulary) + 2.0 * bool(names & ev.instruction_terms)
    if want_table:
        score += 2.0 if source.tabular else (-1.0 if not source.content else 0.0)
    else:
        score += 1.0 if source.text and not source.tabular else 0.5 * bool(source.content)
    if source.observed >= 0:
        # Newer tool outputs outrank older ones, and an output outranks an input of the same fit.
        score += 0.5 + 0.01 * source.observed
    return score if source.content else 0.0


def _column(ev: Evidence, single: bool) -> object:
    mentioned: list[str] = []
    lowered = ev.instruction.lower()
    for source in ev.sources:
        for header in source.headers:
            spoken = header.lower().replace("_", " ")
            if header and (f" {spoken}" in f" {lowered}" or header.lower() in lowered) and header not in mentioned:
                mentioned.append(header)
    mentioned.sort(key=lambda h: lowered.find(h.lower().replace("_", " ")))
    if single:
        return ev.take(ev.quoted) or ev.take(mentioned) or _MISSING
    return mentioned or _MISSING


def _number(name: str, vocabulary: frozenset[str], raw: frozenset[str], ev: Evidence) -> object:
    for text, position in ev.numbers:
        if text not in ev.used and ev.near(position) & vocabulary:
            ev.used.add(text)
            return float(text)
    return _MISSING


def _boolean(name: str, vocabulary: frozenset[str], raw: frozenset[str], ev: Evidence) -> object:
    named = frozenset(terms(name))
    return True if named and named <= ev.instruction_terms else _MISSING


def _array(name: str, vocabulary: frozenset[str], raw: frozenset[str], ev: Evidence) -> object:
    if vocabulary & COLUMN:
        return _column(ev, single=False)
    if (vocabulary & EMAIL or (raw and raw <= ADDRESSEE)) and ev.emails:
        return list(ev.emails)
    unused = [q for q in ev.quoted if q not in ev.used]
    if unused:
        ev.used.update(unused)
        return unused
    if vocabulary & QUERY:
        return sorted(set(terms(ev.instruction)), key=terms(ev.instruction).index)[:8]
    return _MISSING


def _object(name: str, vocabulary: frozenset[str], raw: frozenset[str], ev: Evidence) -> object:
    for source in ev.sources:
        if isinstance(source.data, dict) and frozenset(terms(source.name)) & (vocabulary | ev.instruction_terms):
            return source.data
    return _MISSING


def _last_resort(kind: str, ev: Evidence) -> object:
    if kind == "string":
        return ev.take(ev.quoted) or ev.instruction.strip()[:200] or _MISSING
    if kind in ("number", "integer"):
        text = ev.take([n for n, _ in ev.numbers])
        return _MISSING if text is None else float(text)
    if kind == "boolean":
        return False
    if kind == "array":
        return []
    return _MISSING
