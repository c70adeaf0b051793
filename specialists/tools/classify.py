"""Text classification by keyword rules given as arguments, and entity extraction by regular expressions.

Rules map each label to keywords or phrases; a text scores one point per
distinct keyword it contains (whole words, case-insensitive). Entities are
order ids, customer ids, dates and money amounts, plus any named patterns the
caller adds.
"""

from __future__ import annotations

import re
from datetime import datetime

from pydantic import JsonValue

from agentrt.contracts import ToolArgumentError
from agentrt.specialists.tools._frozen import FrozenModel
from agentrt.specialists.tools.evidence import Fact

__all__ = [
    "Amount",
    "Classification",
    "Entities",
    "RecordClassification",
    "classify_records",
    "classify_text",
    "extract_entities",
]

_ORDER = re.compile(
    r"\b(?:ORD|ORDER)[-_#]?\d{3,}\b|\border\s*(?:#|no\.?|number|id)?\s*:?\s*#?(\d{4,})\b", re.IGNORECASE
)
_CUSTOMER = re.compile(
    r"\b(?:CUST|CUS|CID)[-_#]?\d{3,}\b|\bcustomer\s*(?:#|no\.?|number|id)\s*:?\s*#?([A-Z0-9-]{3,})\b", re.IGNORECASE
)
_MONTHS = "jan|feb|mar|apr|may|jun|jul|aug|sep|sept|oct|nov|dec"
_DATES = (
    (re.compile(r"\b\d{4}-\d{2}-\d{2}\b"), ("%Y-%m-%d",)),
    (re.compile(r"\b\d{1,2}/\d{1,2}/\d{4}\b"), ("%m/%d/%Y",)),
    (
        re.compile(rf"\b(?:{_MONTHS})[a-z]*\.? \d{{1,2}}(?:st|nd|rd|th)?,? \d{{4}}\b", re.IGNORECASE),
        ("%B %d %Y", "%b %d %Y"),
    ),
    (
        re.compile(rf"\b\d{{1,2}}(?:st|nd|rd|th)? (?:{_MONTHS})[a-z]*\.? \d{{4}}\b", re.IGNORECASE),
        ("%d %B %Y", "%d %b %Y"),
    ),
)
_AMOUNT = re.compile(
    r"(?P<pre>[$€£]|\b(?:USD|EUR|GBP)\s?)(?P<a>\d{1,3}(?:,\d{3})+(?:\.\d+)?|\d+(?:\.\d+)?)"
    r"|(?P<b>\d{1,3}(?:,\d{3})+(?:\.\d+)?|\d+(?:\.\d+)?)\s?(?P<post>USD|EUR|GBP|dollars|euros)\b"
)
_CURRENCY = {"$": "USD", "€": "EUR", "£": "GBP", "DOLLARS": "USD", "EUROS": "EUR"}


class Classification(FrozenModel):
    """The chosen label, its confidence (share of all keyword points, 3 decimals), its keywords, every score."""

    label: str
    confidence: float
    matched_keywords: list[str]
    scores: dict[str, int]


def _keyword_pattern(keyword: str) -> re.Pattern[str]:
    words = r"\s+".join(re.escape(w) for w in keyword.split())
    return re.compile(rf"(?<!\w){words}(?!\w)", re.IGNORECASE)


def classify_text(text: str, labels: dict[str, list[str]], default_label: str = "other") -> Classification:
    """Classify a text into one of the given labels by keyword rules, with a confidence and the matched keywords.

    Each label scores one point per distinct keyword or phrase found in the text.
    The best label wins (ties go to the label listed first); confidence is its
    share of all points. With no keyword found the default label is returned
    with confidence 0.

    Args:
        text: The text to classify.
        labels: Label to its keywords, e.g. ``{"refund": ["refund", "money back"], "bug": ["error", "crash"]}``.
        default_label: The label when no keyword matches.
    """
    if not labels:
        raise ToolArgumentError("labels must name at least one label with keywords", field="labels")
    matched = {
        label: sorted({k for k in keywords if k.strip() and _keyword_pattern(k).search(text)})
        for label, keywords in labels.items()
    }
    scores = {label: len(found) for label, found in matched.items()}
    total = sum(scores.values())
    if total == 0:
        return Classification(label=default_label, confidence=0.0, matched_keywords=[], scores=scores)
    best = max(scores, key=lambda label: scores[label])  # max keeps the first of equal scores
    return Classification(
        label=best, confidence=round(scores[best] / total, 3), matched_keywords=matched[best], scores=scores
    )


class RecordClassification(FrozenModel):
    """The classification of one record, named by its id."""

    id: str
    classification: Classification


def classify_records(
    records: list[dict[str, JsonValue]],
    labels: dict[str, list[str]],
    text_fields: list[str] | None = None,
    id_field: str = "id",
    default_label: str = "other",
) -> list[RecordClassification]:
    """Classify each record (e.g. support tickets) into one of the given labels by keyword rules over its text fields.

    Args:
        records: JSON objects, e.g. tickets with ``id``, ``subject`` and ``body``.
        labels: Label to its keywords.
        text_fields: Fields whose text is classified; by default every string field except the id.
        id_field: Field that names each record.
        default_label: The label when no keyword matches.
    """
    results = []
    for position, record in enumerate(records):
        fields = text_fields or [k for k, v in record.items() if isinstance(v, str) and k != id_field]
        text = "\n".join(str(record.get(field, "")) for field in fields)
        name = str(record.get(id_field, position))
        results.append(RecordClassification(id=name, classification=classify_text(text, labels, default_label)))
    return results


class Amount(FrozenModel):
    """A money amount as written, its value and its currency code."""

    text: str
    value: float
    currency: str


class Entities(FrozenModel):
    """What a text names: order ids, customer ids, dates (ISO when they can be read), amounts, and custom patterns.

    The amounts are also given as facts, for drafting and checking.
    """

    order_ids: list[str]
    customer_ids: list[str]
    dates: list[str]
    amounts: list[Amount]
    custom: dict[str, list[str]]
    facts: list[Fact] = []


def _ids(pattern: re.Pattern[str], text: str) -> list[str]:
    # "order #482913" and "ORD-482913" are one order: keyed by digits, the prefixed spelling wins.
    found: dict[str, str] = {}
    for match in pattern.finditer(text):
        spelled = (match.group(1) or match.group(0)).upper()
        key = re.sub(r"\D", "", spelled) or spelled
        if key not in found or not spelled[:1].isdigit():
            found[key] = spelled
    return list(found.values())


def _iso(text: str, formats: tuple[str, ...]) -> str:
    cleaned = re.sub(r"(\d)(st|nd|rd|th)", r"\1", text).replace(",", "").replace(".", "")
    for fmt in formats:
        try:
            return datetime.strptime(cleaned, fmt).date().isoformat()
        except ValueError:
            continue
    return text


def _dates(text: str) -> list[str]:
    found = [(m.start(), _iso(m.group(0), formats)) for pattern, formats in _DATES for m in pattern.finditer(text)]
    return list(dict.fromkeys(d for _, d in sorted(found)))


def _amounts(text: str) -> list[Amount]:
    amounts = []
    for m in _AMOUNT.finditer(text):
        digits = (m.group("a") or m.group("b")).replace(",", "")
        mark = (m.group("pre") or m.group("post") or "").strip().upper()
        amounts.append(Amount(text=m.group(0).strip(), value=float(digits), currency=_CURRENCY.get(mark, mark)))
    return amounts


def extract_entities(text: str, patterns: dict[str, str] | None = None) -> Entities:
    """Extract entities from a text by regex: order ids, customer ids, dates, money amounts, and named custom patterns.

    Args:
        text: The text to search.
        patterns: Extra entity kinds by name to a regular expression, e.g. ``{"ticket_ids": "TCK-\\\\d+"}``.
    """
    custom = {}
    for name, expression in (patterns or {}).items():
        try:
            custom[name] = list(dict.fromkeys(m.group(0) for m in re.finditer(expression, text)))
        except re.error as exc:
            raise ToolArgumentError(
                f"pattern {name!r} is not a valid regular expression: {exc}", field="patterns"
            ) from None
    orders, amounts = _ids(_ORDER, text), _amounts(text)
    about = f" ({', '.join(orders)})" if orders else ""
    return Entities(
        order_ids=orders,
        customer_ids=_ids(_CUSTOMER, text),
        dates=_dates(text),
        amounts=amounts,
        custom=custom,
        facts=[Fact(label=f"Amount{about}: {a.text}", value=a.value, unit=a.currency, source="text") for a in amounts],
    )
