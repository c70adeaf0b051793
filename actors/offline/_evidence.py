"""What the offline model can fill tool arguments from: the instruction's literals, artifacts and context."""

from __future__ import annotations

import json
import re
from collections.abc import Sequence
from dataclasses import dataclass, field

from agentrt.actors.offline._text_match import terms
from agentrt.contracts import Artifact, ContextItem, JsonValue

__all__ = ["Evidence", "Source"]

_QUOTED = re.compile(r'"([^"\n]{1,300})"|“([^”\n]{1,300})”|`([^`\n]{1,300})`|(?<![\w])\'([^\'\n]{1,300})\'(?![\w])')
_PAIR = re.compile(
    r"\b([A-Za-z][\w \-]{0,40}?)\s*[=:]\s*"
    r"(?:\"([^\"]*)\"|'([^']*)'|([$€£]?-?\d{1,3}(?:,\d{3})+(?:\.\d+)?|[^\s,;]+))"
)
_DATE = re.compile(r"\b\d{4}-\d{2}-\d{2}(?:[T ]\d{2}:\d{2}(?::\d{2})?Z?)?\b|\b\d{4}-W\d{2}\b")
_EMAIL = re.compile(r"\b[A-Za-z0-9._%+\-]+@[A-Za-z0-9.\-]+\.[A-Za-z]{2,}\b")
_URL = re.compile(r"\bhttps?://[^\s\"'<>)]+")
_FILE = re.compile(r"\b[\w\-.]+\.(?:csv|tsv|json|jsonl|txt|md|pdf|xlsx|xls|docx|html|yaml|yml|log|parquet|xml)\b")
_ID = re.compile(r"\b[A-Za-z]{1,12}[-_]\d[\w\-]*\b|(?<![\w#])#\d{3,}\b")
_NUMBER = re.compile(
    # 1,249.00 is one number (thousands separators); otherwise a digit run not glued to a word.
    r"(?<![\w.\-])-?\d{1,3}(?:,\d{3})+(?:\.\d+)?(?![\w.]*\w)|(?<![\w.\-,])-?\d+(?:\.\d+)?(?![\w.,]*\w)"
)
_TABULAR = ("csv", "tab-separated", "tsv", "spreadsheet", "excel")


@dataclass(frozen=True, slots=True)
class Source:
    """A text or data the model may pass to a tool: an input artifact or an earlier tool output."""

    name: str
    media_type: str
    text: str
    data: JsonValue
    observed: int = -1

    @property
    def tabular(self) -> bool:
        """Whether it looks like a table (CSV, TSV or JSON rows)."""
        if isinstance(self.data, list) and self.data and isinstance(self.data[0], dict):
            return True
        if isinstance(self.data, dict):
            return isinstance(self.data.get("rows"), list)
        if any(t in self.media_type for t in _TABULAR):
            return True
        first = self.text.strip().split("\n", 1)[0]
        return bool(first) and (first.count(",") >= 1 or first.count("\t") >= 1) and "\n" in self.text.strip()

    @property
    def content(self) -> str:
        """The text, or the data as JSON when there is no text."""
        if self.text:
            return self.text
        return "" if self.data is None else json.dumps(self.data, ensure_ascii=False)

    @property
    def headers(self) -> tuple[str, ...]:
        """Column names (CSV header row, or the keys of JSON rows)."""
        rows = self.data if isinstance(self.data, list) else None
        if rows and isinstance(rows[0], dict):
            return tuple(rows[0])
        if isinstance(self.data, dict):
            return tuple(self.data)
        first = self.text.strip().split("\n", 1)[0]
        for sep in ("\t", ";", ","):
            if sep in first:
                return tuple(h.strip().strip('"') for h in first.split(sep) if h.strip())
        return ()


@dataclass(slots=True)
class Evidence:
    """Everything the offline model knows for one turn, with the instruction's literals extracted."""

    instruction: str
    sources: tuple[Source, ...] = ()
    context: tuple[ContextItem, ...] = ()
    quoted: list[str] = field(default_factory=list)
    pairs: dict[str, str] = field(default_factory=dict)
    dates: list[str] = field(default_factory=list)
    emails: list[str] = field(default_factory=list)
    urls: list[str] = field(default_factory=list)
    files: list[str] = field(default_factory=list)
    ids: list[str] = field(default_factory=list)
    numbers: list[tuple[str, int]] = field(default_factory=list)
    used: set[str] = field(default_factory=set)
    masked: str = ""
    chosen: list[Source] = field(default_factory=list)

    @classmethod
    def build(
        cls,
        instruction: str,
        artifacts: Sequence[Artifact] = (),
        outputs: Sequence[tuple[str, JsonValue]] = (),
        context: Sequence[ContextItem] = (),
    ) -> Evidence:
        """Extract literals from the instruction; order sources newest tool output first, then inputs."""
        observed = [_observed_source(name, output, i) for i, (name, output) in enumerate(outputs)]
        inputs = [Source(a.name, a.media_type, a.text, a.data) for a in artifacts]
        evidence = cls(instruction, tuple([*reversed(observed), *inputs]), tuple(context))
        evidence._extract(instruction)
        return evidence

    @property
    def instruction_terms(self) -> frozenset[str]:
        """Stemmed content words of the instruction."""
        return frozenset(terms(self.instruction))

    def take(self, values: Sequence[str]) -> str | None:
        """Return the first value not yet used, marking it used."""
        for value in values:
            if value not in self.used:
                self.used.add(value)
                return value
        return None

    def _extract(self, text: str) -> None:
        self.quoted = [next(g for g in m.groups() if g) for m in _QUOTED.finditer(text)]
        for match in _PAIR.finditer(text):
            value = next((g for g in match.groups()[1:] if g is not None), "")
            self.pairs[_key(match.group(1))] = value
            # "Find the first error of service=x": the key is the word right before the sign.
            self.pairs.setdefault(_key(match.group(1).split()[-1]), value)
        self.dates = _DATE.findall(text)
        self.emails = _EMAIL.findall(text)
        self.urls = _URL.findall(text)
        self.files = [f for f in _FILE.findall(text) if "@" not in f and not f.startswith("http")]
        self.ids = [i for i in _ID.findall(text) if not _DATE.fullmatch(i)]
        masked = _DATE.sub(" ", _ID.sub(" ", _EMAIL.sub(" ", _URL.sub(" ", text))))
        self.numbers = [(m.group(0), m.start()) for m in _NUMBER.finditer(masked)]
        self.masked = masked

    def near(self, position: int, span: int = 24) -> frozenset[str]:
        """Stemmed words around a position of the (literal-masked) instruction."""
        masked = self.masked or self.instruction
        return frozenset(terms(masked[max(0, position - span) : position + span]))


def _key(raw: str) -> str:
    return re.sub(r"[\s\-]+", "_", raw.strip().lower())


def _observed_source(name: str, output: JsonValue, index: int) -> Source:
    if isinstance(output, str):
        return Source(name, "text/plain", output, output, index)
    text = ""
    if isinstance(output, dict):
        for key in ("text", "draft", "body", "content", "summary", "answer", "markdown", "csv", "table_csv"):
            if isinstance(output.get(key), str):
                text = str(output[key])
                break
    return Source(name, "application/json", text, output, index)
