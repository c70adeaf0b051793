"""How the offline model fills a tool's arguments, by each argument's name, description and JSON type.

Rules, in order: an explicit ``name=value`` in the instruction; an enum value
the instruction mentions; then by type and by what the argument's words say it
wants (a table, a text, a column, an address, a date, a count, a query...),
from the instruction's literals, input artifacts, earlier tool outputs and
context. Optional arguments are filled only from evidence aimed at them;
anything looser is kept for required ones. A required argument nothing fits
makes the tool unusable for this turn.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import cast

from agentrt.actors._columns import ColumnMention, mentioned_columns
from agentrt.actors.offline._evidence import Evidence, Source
from agentrt.actors.offline._text_match import STOPWORDS, stem, terms, words
from agentrt.contracts import JsonObject, JsonValue, ToolSpec

__all__ = ["fill_arguments"]

_MISSING = object()


def _stems(text: str) -> frozenset[str]:
    return frozenset(stem(w) for w in text.split())


TABLE = _stems("table csv tsv dataset data rows records spreadsheet sheet")
TEXT = _stems("text draft body content document doc report notes markdown passage article message summary input "
              "findings answer prose")  # fmt: skip
COLUMN = _stems("column field key metric attribute measure header group dimension")
NUMERIC = _stems("numeric number amount metric measure quantity")
KEYS = _stems("key group category label dimension")
COUNT = _stems("k n limit top count many max size")
QUERY = _stems("query question topic search prompt keyword term instruction request claim")
CONTEXT = _stems("context background facts memory evidence")
NAMING = _stems("name filename source origin")
LABEL = _stems("title subject heading name audience label caption")
EMAIL = _stems("email recipient address mail")
ADDRESSEE = frozenset({"to", "cc", "bcc"})
URL = _stems("url link href uri endpoint website")
FILE = _stems("file filename path attachment")
IDENTIFIER = _stems("id identifier number reference ref code ticket sku")
DATE = _stems("date day since until deadline week period")
MONEY = _stems("amount price cost fee payment refund total money")
_CURRENCY = re.compile(r"[$€£]|\b(?:USD|EUR|GBP|CHF|JPY)\b")


@dataclass(frozen=True, slots=True)
class _Want:
    name: str
    vocabulary: frozenset[str]
    raw: frozenset[str]
    required: bool
    items: str = ""
    tool_terms: frozenset[str] = frozenset()

    def says(self, group: frozenset[str]) -> bool:
        return bool((self.vocabulary | self.raw) & group)


def fill_arguments(spec: ToolSpec, evidence: Evidence) -> JsonObject | None:
    """Return arguments for ``spec`` drawn from the evidence, or None when a required one cannot be filled."""
    properties = spec.parameters.get("properties")
    required = set(cast(list[str], spec.parameters.get("required") or []))
    arguments: JsonObject = {}
    if not isinstance(properties, dict):
        return arguments
    tool_terms = frozenset(terms(f"{spec.name} {spec.description} {' '.join(properties)}"))
    for name, raw in properties.items():
        value = _fill(name, _unwrap(raw), evidence, name in required, tool_terms)
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
        return merged
    return schema


def _fill(
    name: str, schema: dict[str, JsonValue], ev: Evidence, required: bool, tool_terms: frozenset[str]
) -> object:
    kind = str(schema.get("type", "string"))
    vocabulary = frozenset(terms(name)) | frozenset(terms(str(schema.get("description") or "")))
    items = _unwrap(schema.get("items"))
    item_kind = "object" if "$ref" in items or items.get("type") == "object" else str(items.get("type", ""))
    want = _Want(name, vocabulary, frozenset(words(name)), required, item_kind, tool_terms)
    explicit = ev.pairs.get(name.lower())
    if explicit is not None:
        return _coerce(explicit, kind)
    if isinstance(schema.get("enum"), list):
        return _enum(cast(list[JsonValue], schema["enum"]), schema, ev, required)
    fillers: dict[str, Callable[[_Want, Evidence], object]] = {
        "string": _string, "integer": _number, "number": _number, "boolean": _boolean,
        "array": _array, "object": _object,
    }  # fmt: skip
    value = fillers.get(kind, _string)(want, ev)
    if value is _MISSING and required:
        value = _last_resort(kind, ev)
    if kind == "integer" and isinstance(value, float):
        return int(value) if value.is_integer() else _MISSING
    return value


def _coerce(text: str, kind: str) -> object:
    try:
        if kind == "integer":
            return int(float(text))
        if kind == "number":
            return float(re.sub(r"[^\d.\-]", "", text))
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
        if isinstance(option, str) and words(option) and {stem(w) for w in words(option)} <= said:
            return option
    if "default" in schema or not required:
        return _MISSING
    return options[0] if options else _MISSING


def _string(want: _Want, ev: Evidence) -> object:
    literal = _literal_for(want, ev)
    if literal is not None:
        return literal
    if want.says(NAMING) and want.says(FILE | TABLE | TEXT):
        return _source_name(ev)
    if frozenset(terms(want.name)) & LABEL:
        # A title or an audience is a short label, never a whole document.
        return ev.take(ev.quoted) or (_first_sentence(ev.instruction) if want.required else _MISSING)
    if want.says(TABLE):
        return _source_text(want, ev, table=True)
    if want.says(COLUMN):
        return _column(want, ev)
    if want.says(TEXT):
        return _source_text(want, ev, table=False)
    if want.says(QUERY) and want.required:
        return ev.take(ev.quoted) or ev.instruction.strip()
    if want.says(CONTEXT) and want.required:
        return "\n".join(c.text for c in ev.context) or _MISSING
    return _MISSING


def _literal_for(want: _Want, ev: Evidence) -> str | None:
    addressed = bool(want.raw) and want.raw <= ADDRESSEE
    checks = ((EMAIL, ev.emails, addressed), (URL, ev.urls, False), (FILE, ev.files, False), (DATE, ev.dates, False))
    for group, values, forced in checks:
        if (forced or want.says(group)) and values:
            return ev.take(values)
    if want.says(IDENTIFIER) and ev.ids:
        return ev.take(ev.ids)
    return None


def _source_name(ev: Evidence) -> object:
    chosen = ev.chosen[-1] if ev.chosen else next((s for s in ev.sources if s.observed < 0), None)
    return _MISSING if chosen is None else chosen.name


def _source_text(want: _Want, ev: Evidence, table: bool) -> object:
    best: tuple[float, Source] | None = None
    for source in ev.sources:
        named = bool(frozenset(terms(source.name)) & want.vocabulary)
        score = _source_score(source, want, ev, table)
        if score > 0 and (want.required or named) and (best is None or score > best[0]):
            best = (score, source)
    if best is None:
        return _MISSING
    ev.chosen.append(best[1])
    return best[1].content


def _source_score(source: Source, want: _Want, ev: Evidence, table: bool) -> float:
    names = frozenset(terms(source.name))
    score = 3.0 * bool(names & want.vocabulary) + 2.0 * bool(names & ev.instruction_terms)
    if table:
        score += 2.0 if source.tabular else 0.0
    else:
        score += 1.0 if source.text and not source.tabular else 0.5 * bool(source.content)
    if source.observed >= 0:
        # Newer tool outputs outrank older ones, and an output outranks an input of the same fit.
        score += 0.5 + 0.01 * source.observed
    return score if source.content else 0.0


def _fitting_columns(want: _Want, ev: Evidence) -> list[ColumnMention]:
    mentions = [m for m in mentioned_columns(ev) if m.header not in ev.used]
    own = [m for m in mentions if m.stems & want.vocabulary]
    if want.says(NUMERIC):
        mentions = [m for m in mentions if m.numeric is not False]
    elif want.says(KEYS):
        mentions = [m for m in mentions if m.numeric is not True]
    return own + [m for m in mentions if m not in own]


def _column(want: _Want, ev: Evidence) -> object:
    fitting = _fitting_columns(want, ev)
    if not want.required:
        fitting = [m for m in fitting if m.stems & want.vocabulary]
    quoted = [q for q in ev.quoted if q not in ev.used and any(q == m.header for m in mentioned_columns(ev))]
    chosen = quoted[0] if quoted else (fitting[0].header if fitting else None)
    if chosen is None:
        return _MISSING
    ev.used.add(chosen)
    return chosen


def _money(ev: Evidence) -> list[tuple[str, int]]:
    masked = ev.masked or ev.instruction
    return [(t, p) for t, p in ev.numbers if _CURRENCY.search(masked[max(0, p - 5) : p + len(t) + 5])]


def _number(want: _Want, ev: Evidence) -> object:
    if want.says(MONEY):
        # An amount of money is a number written with its currency.
        for text, _ in _money(ev):
            if text not in ev.used:
                ev.used.add(text)
                return float(text.replace(",", ""))
    for text, position in ev.numbers:
        if text not in ev.used and ev.near(position) & want.vocabulary:
            ev.used.add(text)
            return float(text.replace(",", ""))
    if want.says(COUNT):
        counts = [n for n, _ in ev.numbers if n.isdigit() and int(n) < 1000]
        taken = ev.take(counts)
        return _MISSING if taken is None else float(taken)
    return _MISSING


def _boolean(want: _Want, ev: Evidence) -> object:
    named = frozenset(terms(want.name))
    return True if named and named <= ev.instruction_terms else _MISSING


def _array(want: _Want, ev: Evidence) -> object:
    carried = _carried(want.name, ev, list)
    if carried is not _MISSING or want.items == "object":
        return carried if carried is not _MISSING else (_rows(want, ev) if want.required else _MISSING)
    if want.says(COLUMN):
        headers = [m.header for m in _fitting_columns(want, ev)]
        ev.used.update(headers)
        return headers or _MISSING
    if (want.says(EMAIL) or (want.raw and want.raw <= ADDRESSEE)) and ev.emails:
        return list(ev.emails)
    unused = [q for q in ev.quoted if q not in ev.used]
    if unused and want.required:
        ev.used.update(unused)
        return unused
    if want.says(QUERY) and want.required:
        # The subject words of the instruction: not stop words, and not the words the tool uses of itself.
        found = [w for w in words(ev.instruction)
                 if w not in STOPWORDS and len(w) > 2 and not w.isdigit() and stem(w) not in want.tool_terms]
        return sorted(set(found), key=found.index)[:8]  # fmt: skip
    return _MISSING


def _carried(name: str, ev: Evidence, kind: type) -> object:
    """The value an earlier output or input carries under the argument's own name (lists from all of them)."""
    found = [s.data[name] for s in ev.sources if isinstance(s.data, dict) and isinstance(s.data.get(name), kind)]
    if not found:
        return _MISSING
    if kind is not list:
        return found[0]
    merged: list[JsonValue] = []
    for items in found:
        if isinstance(items, list):
            merged.extend(i for i in items if i not in merged)
    return merged


def _rows(want: _Want, ev: Evidence) -> object:
    for source in ev.sources:
        data = source.data
        if data is None and source.text.lstrip().startswith("["):
            try:
                data = json.loads(source.text)
            except json.JSONDecodeError:
                continue
        if isinstance(data, dict) and isinstance(data.get("rows"), list):
            data = data["rows"]
        if isinstance(data, list) and data and isinstance(data[0], dict):
            return data
    return _MISSING


def _object(want: _Want, ev: Evidence) -> object:
    carried = _carried(want.name, ev, dict)
    if carried is not _MISSING:
        return carried
    if want.says(TEXT | FILE) and want.required:
        documents = {s.name: s.content for s in ev.sources if s.observed < 0 and s.text}
        return documents or _MISSING
    for source in ev.sources:
        names = frozenset(terms(source.name))
        wanted = want.vocabulary | (ev.instruction_terms if want.required else frozenset())
        if isinstance(source.data, dict) and names & wanted:
            return source.data
    return _MISSING


def _first_sentence(text: str) -> str:
    sentence = text.strip().split("\n", 1)[0].split(". ", 1)[0]
    return sentence[:120]


def _last_resort(kind: str, ev: Evidence) -> object:
    if kind == "string":
        return ev.take(ev.quoted) or ev.instruction.strip()[:200] or _MISSING
    if kind in ("number", "integer"):
        text = ev.take([n for n, _ in ev.numbers])
        return _MISSING if text is None else float(text.replace(",", ""))
    if kind == "boolean":
        return False
    if kind == "array":
        return []
    return _MISSING
