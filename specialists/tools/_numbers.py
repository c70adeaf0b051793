"""Numbers in prose: find them (with sign, currency, separators, scale, %, pp), format them, trace them."""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Literal

__all__ = ["NumberMention", "format_figure", "find_numbers", "numbers_in_sources", "traces_to"]

Kind = Literal["percent", "pp", "currency", "plain"]

# Dates, weeks, times, citation markers, list numbering and identifiers hold digits that are not figures.
_NOT_FIGURES = re.compile(
    r"\d{4}-\d{2}-\d{2}(?:[T ]\d{2}:\d{2}(?::\d{2}(?:\.\d+)?)?Z?)?"
    r"|\b\d{4}-W\d{1,2}\b|\bW\d{1,2}\b|\b\d{1,2}:\d{2}(?::\d{2})?\b"
    r"|\[\d+\]|^\s*\d+[.)]\s|\b[A-Za-z]+[-_#]?\d[\w-]*|\b\d+(?:st|nd|rd|th)\b",
    re.MULTILINE,
)
_NUMBER = re.compile(
    r"(?<![\w.,])(?P<sign>[+\-\u2212])?(?P<currency>[$€£])?(?P<sign2>[+\-\u2212])?"
    r"(?P<digits>\d{1,3}(?:,\d{3})+(?:\.\d+)?|\d+(?:\.\d+)?|\.\d+)(?![\d,]*\d)"
    r"(?P<scale>\s?(?:k|K|M|bn|thousand|million|billion)\b)?"
    r"(?P<unit>\s?%|\s?pp\b|\s?percentage points?\b|\s?percent\b|\s?(?:USD|EUR|GBP|dollars)\b)?"
)
_SCALES = {"k": 1e3, "thousand": 1e3, "M": 1e6, "million": 1e6, "bn": 1e9, "billion": 1e9}
_SYMBOLS = {"USD": "$", "$": "$", "EUR": "€", "€": "€", "GBP": "£", "£": "£"}
_CURRENCY_WORDS = ("USD", "EUR", "GBP", "dollars")
_EPSILON = 1e-9


@dataclass(frozen=True)
class NumberMention:
    """One number as written: its text, value (scale and sign applied), kind, precision and line."""

    text: str
    value: float
    kind: Kind
    decimals: int
    scale: float
    signed: bool
    line: int


def _kind(match: re.Match[str]) -> Kind:
    unit = (match.group("unit") or "").strip()
    if unit in ("%", "percent"):
        return "percent"
    if unit.startswith("p"):
        return "pp"
    if match.group("currency") or unit in _CURRENCY_WORDS:
        return "currency"
    return "plain"


def find_numbers(text: str) -> list[NumberMention]:
    """Every figure in ``text``, skipping digits that belong to dates, weeks, times, markers and identifiers."""
    masked = _NOT_FIGURES.sub(lambda m: " " * len(m.group(0)), text)
    mentions = []
    for match in _NUMBER.finditer(masked):
        digits = match.group("digits").replace(",", "")
        sign = match.group("sign") or match.group("sign2") or ""
        scale = _SCALES[(match.group("scale") or "").strip()] if match.group("scale") else 1.0
        value = float(digits) * scale * (-1 if sign in ("-", "\u2212") else 1)
        decimals = len(digits.split(".")[1]) if "." in digits else 0
        mentions.append(
            NumberMention(
                text=match.group(0).strip(),
                value=value,
                kind=_kind(match),
                decimals=decimals,
                scale=scale,
                signed=bool(sign),
                line=text.count("\n", 0, match.start()) + 1,
            )
        )
    return mentions


def numbers_in_sources(texts: Iterable[str]) -> list[float]:
    """All numbers a source text contains, read loosely (dates and identifiers included): they are grounded."""
    found: list[float] = []
    for text in texts:
        for match in _NUMBER.finditer(text):
            digits = float(match.group("digits").replace(",", ""))
            scale = _SCALES[match.group("scale").strip()] if match.group("scale") else 1.0
            negative = (match.group("sign") or match.group("sign2") or "") in ("-", "\u2212")
            found += [digits, digits * scale] + ([-digits, -digits * scale] if negative else [])
        found += [float(d) for d in re.findall(r"\d+(?:\.\d+)?", text)]
    return found


def _close(written: float, truth: float, mention: NumberMention) -> bool:
    # A figure written with d decimals (and a scale) stands for anything that rounds to it.
    tolerance = 0.5 * 10 ** (-mention.decimals) * mention.scale + _EPSILON * max(1.0, abs(truth))
    if mention.signed:
        return bool(abs(written - truth) <= tolerance)
    return bool(abs(abs(written) - abs(truth)) <= tolerance)


def traces_to(mention: NumberMention, values: Iterable[float]) -> bool:
    """True when the mention is one of ``values`` as rounded in the text; percents may be given as fractions."""
    for truth in values:
        candidates = (truth, truth * 100) if mention.kind in ("percent", "pp") else (truth,)
        if any(_close(mention.value, candidate, mention) for candidate in candidates):
            return True
    return False


def _grouped(value: float, decimals: int) -> str:
    return f"{abs(value):,.{decimals}f}"


def format_figure(value: float, unit: str = "", signed: bool = False) -> str:
    """Write a figure the one consistent way drafts use.

    Percent one decimal (``+4.2%``), percentage points one decimal (``+1.5 pp``),
    currencies two decimals with separators (``$10,049.04``, ``-$1,813.31``,
    ``1,200.00 CHF``), whole numbers with separators, other numbers two decimals.
    ``signed`` writes ``+`` before positive values, as changes are written.
    """
    sign = "-" if value < 0 else ("+" if signed and value > 0 else "")
    if unit == "%":
        return f"{sign}{abs(value):.1f}%"
    if unit == "pp":
        return f"{sign}{abs(value):.1f} pp"
    if unit in _SYMBOLS:
        return f"{sign}{_SYMBOLS[unit]}{_grouped(value, 2)}"
    if unit.isupper() and len(unit) == 3:
        return f"{sign}{_grouped(value, 2)} {unit}"
    decimals = 0 if float(value).is_integer() else 2
    return f"{sign}{_grouped(value, decimals)}" + (f" {unit}" if unit else "")
