"""Redaction of personal data and secrets before anything is logged, traced or persisted.

Recognised: API keys and tokens (common vendor prefixes, JWTs, bearer tokens,
``key=value`` secrets), IBANs (mod-97 checked), payment card numbers (Luhn
checked), email addresses and phone numbers. Each match is replaced by a
``[REDACTED:KIND]`` marker so the text stays readable.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass

from agentrt.contracts import JsonValue

__all__ = ["Redaction", "redact", "redact_json"]


@dataclass(frozen=True, slots=True)
class Redaction:
    """A redacted text with how many matches were replaced, by kind."""

    text: str
    count: int
    kinds: tuple[str, ...]


def _luhn_ok(digits: str) -> bool:
    total = 0
    for i, ch in enumerate(reversed(digits)):
        d = ord(ch) - 48
        if i % 2 == 1:
            d = d * 2 - 9 if d > 4 else d * 2
        total += d
    return total % 10 == 0


def _card_ok(match: re.Match[str]) -> bool:
    digits = re.sub(r"\D", "", match.group(0))
    return 13 <= len(digits) <= 19 and _luhn_ok(digits)


def _iban_ok(match: re.Match[str]) -> bool:
    raw = re.sub(r"\s", "", match.group(0)).upper()
    if not 15 <= len(raw) <= 34:
        return False
    moved = raw[4:] + raw[:4]
    number = "".join(str(int(ch, 36)) for ch in moved)
    return int(number) % 97 == 1


def _phone_ok(match: re.Match[str]) -> bool:
    raw = match.group(0)
    digits = re.sub(r"\D", "", raw)
    # A bare run of digits is far more often an id or an amount than a phone number.
    formatted = raw.startswith("+") or len(digits) != len(raw)
    return formatted and 9 <= len(digits) <= 15


def _always(match: re.Match[str]) -> bool:
    return True


_SECRET_PREFIXES = (
    r"sk-(?:proj-|ant-)?[A-Za-z0-9_\-]{16,}",
    r"(?:sk|pk|rk)_(?:live|test)_[A-Za-z0-9]{16,}",
    r"gh[pousr]_[A-Za-z0-9]{30,}",
    r"github_pat_[A-Za-z0-9_]{30,}",
    r"xox[abposr]-[A-Za-z0-9\-]{10,}",
    r"AKIA[0-9A-Z]{16}",
    r"AIza[0-9A-Za-z_\-]{35}",
    r"glpat-[A-Za-z0-9_\-]{20,}",
    r"eyJ[A-Za-z0-9_\-]{8,}\.eyJ[A-Za-z0-9_\-]{8,}\.[A-Za-z0-9_\-]{8,}",
)

_RULES: tuple[tuple[str, re.Pattern[str], Callable[[re.Match[str]], bool]], ...] = (
    ("SECRET", re.compile(r"\b(?:" + "|".join(_SECRET_PREFIXES) + r")"), _always),
    ("SECRET", re.compile(r"(?i)\bbearer\s+[A-Za-z0-9_\-.=+/]{12,}"), _always),
    (
        "SECRET",
        re.compile(
            r"(?i)(?<![A-Za-z0-9])(?:api[_\- ]?key|secret|password|passwd|token|access[_\- ]?key)"
            r"(?:\s*(?:is|=|:)\s*)[\"']?[^\s\"',;]{6,}"
        ),
        _always,
    ),
    ("IBAN", re.compile(r"\b[A-Z]{2}\d{2}(?:[ ]?[A-Z0-9]{4}){2,7}(?:[ ]?[A-Z0-9]{1,4})?\b"), _iban_ok),
    ("CARD", re.compile(r"(?<![\d\-+])\d(?:[ \-]?\d){12,18}(?![\d\-])"), _card_ok),
    ("EMAIL", re.compile(r"(?i)\b[a-z0-9._%+\-]+@[a-z0-9.\-]+\.[a-z]{2,}\b"), _always),
    ("PHONE", re.compile(r"(?<![\w\-])\+?\(?\d{1,4}\)?(?:[ .\-]?\(?\d{2,4}\)?){2,5}(?![\w\-])"), _phone_ok),
)


def redact(text: str) -> Redaction:
    """Replace personal data and secrets in ``text`` with ``[REDACTED:KIND]`` markers."""
    count = 0
    kinds: list[str] = []
    for kind, pattern, accept in _RULES:

        def substitute(match: re.Match[str], kind: str = kind, accept: Callable[[re.Match[str]], bool] = accept) -> str:
            nonlocal count
            if not accept(match):
                return match.group(0)
            count += 1
            if kind not in kinds:
                kinds.append(kind)
            return f"[REDACTED:{kind}]"

        text = pattern.sub(substitute, text)
    return Redaction(text=text, count=count, kinds=tuple(kinds))


def redact_json(value: JsonValue) -> tuple[JsonValue, int]:
    """Redact every string (keys included) inside a JSON value; return it with the match count."""
    if isinstance(value, str):
        r = redact(value)
        return r.text, r.count
    if isinstance(value, list):
        items = [redact_json(v) for v in value]
        return [v for v, _ in items], sum(n for _, n in items)
    if isinstance(value, dict):
        out: dict[str, JsonValue] = {}
        total = 0
        for key, item in value.items():
            k = redact(key)
            v, n = redact_json(item)
            out[k.text] = v
            total += k.count + n
        return out, total
    return value, 0
