"""Intake: normalise a goal before planning.

Finds the intent and task type, entities (dates, ISO weeks, customer and order
ids, amounts, product names found in attached data), the language, and runs the
policy check. When the goal is too ambiguous to plan, it produces the clarifying
question the run asks its user.
"""

from __future__ import annotations

import re
from dataclasses import asdict, dataclass, field

from agentrt.contracts import Goal, GoalRejected, JsonObject

__all__ = ["IntakeReport", "normalise_goal"]

_TASK_TYPES: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("investigation", ("investigate", "incident", "outage", "root cause", "why did", "debug", "diagnose")),
    ("triage", ("triage", "route", "routing", "classify", "tickets", "ticket", "assign")),
    ("report", ("summary", "summarise", "summarize", "report", "weekly", "monthly", "overview", "recap")),
    ("drafting", ("draft", "write", "mail", "email", "memo", "reply", "letter")),
    ("analysis", ("compute", "calculate", "compare", "analyse", "analyze", "trend", "how many", "total")),
    ("question", ("what", "which", "who", "when", "where", "how", "?")),
)

_ENTITY_PATTERNS: dict[str, re.Pattern[str]] = {
    "dates": re.compile(r"\b\d{4}-\d{2}-\d{2}\b"),
    "weeks": re.compile(r"\b\d{4}-W\d{2}\b"),
    "order_ids": re.compile(r"\b(?:ORD|ord|order)[-#\s]?\d{3,}\b|#\d{4,}\b"),
    "customer_ids": re.compile(r"\b(?:CUST|cust|customer|C)[-#]\d{2,}\b"),
    "amounts": re.compile(r"(?:[$€£]\s?\d[\d,]*(?:\.\d+)?|\b\d[\d,]*(?:\.\d+)?\s?(?:USD|EUR|GBP)\b)"),
}

_STOPWORDS = {
    "en": {"the", "and", "to", "of", "for", "a", "with", "in", "on", "is", "what", "team"},
    "de": {"der", "die", "das", "und", "für", "mit", "zu", "ist", "den", "eine"},
    "fr": {"le", "la", "les", "et", "pour", "avec", "de", "des", "une", "est"},
    "es": {"el", "la", "los", "y", "para", "con", "de", "una", "es", "las"},
}

_FORBIDDEN = (
    re.compile(r"(?i)\b(?:drop|delete|wipe|truncate)\s+(?:all|every|the\s+(?:whole|entire))\b"),
    re.compile(r"(?i)\b(?:exfiltrate|steal|dox)\b"),
    re.compile(r"(?i)\bignore (?:all|your|previous) (?:instructions|rules)\b"),
)

_VAGUE = re.compile(
    r"(?i)^(?:do|fix|handle|check|help|sort|make)\s+(?:it|this|that|things|stuff)(?:\s+(?:now|please|asap))?[.!]*$"
)
_DATA_REFERENCE = re.compile(r"(?i)\b(?:attached|the (?:file|csv|data|spreadsheet|logs?|tickets|docs?))\b")


@dataclass(frozen=True)
class IntakeReport:
    """What intake learned about a goal."""

    intent: str
    task_type: str
    language: str
    entities: dict[str, list[str]] = field(default_factory=dict)
    products: list[str] = field(default_factory=list)
    question: str | None = None

    def as_json(self) -> JsonObject:
        """Return the report as a JSON object for the run state."""
        return asdict(self)


def normalise_goal(goal: Goal) -> IntakeReport:
    """Normalise a goal.

    Raises:
        GoalRejected: The goal fails the policy check.
    """
    text = goal.text
    for pattern in _FORBIDDEN:
        if pattern.search(text):
            raise GoalRejected(f"goal refused by policy: {pattern.pattern!r} matched", rule="forbidden-action")
    lowered = text.lower()
    task_type = next((name for name, words in _TASK_TYPES if any(w in lowered for w in words)), "general")
    entities = {name: sorted(set(p.findall(text))) for name, p in _ENTITY_PATTERNS.items()}
    return IntakeReport(
        intent=_intent(text),
        task_type=task_type,
        language=_language(lowered),
        entities={k: v for k, v in entities.items() if v},
        products=_products(goal),
        question=_clarifying_question(goal, task_type),
    )


def _intent(text: str) -> str:
    first = re.split(r"[.;\n]", text.strip(), maxsplit=1)[0]
    return first[:200]


def _language(lowered: str) -> str:
    words = set(re.findall(r"[a-zäöüßéèàçñ]+", lowered))
    scores = {lang: len(words & stop) for lang, stop in _STOPWORDS.items()}
    best = max(scores, key=lambda k: scores[k])
    return best if scores[best] > 0 else "en"


def _products(goal: Goal) -> list[str]:
    # Product names are whatever values a "product" column of an attached table holds
    # and the goal mentions.
    found: set[str] = set()
    lowered = goal.text.lower()
    for attachment in goal.attachments:
        if not attachment.name.endswith(".csv"):
            continue
        lines = attachment.content.splitlines()
        if not lines:
            continue
        header = [h.strip().lower() for h in lines[0].split(",")]
        if "product" not in header:
            continue
        col = header.index("product")
        for line in lines[1:]:
            cells = line.split(",")
            if len(cells) > col and cells[col].strip() and cells[col].strip().lower() in lowered:
                found.add(cells[col].strip())
    return sorted(found)


def _clarifying_question(goal: Goal, task_type: str) -> str | None:
    text = goal.text.strip()
    if _VAGUE.match(text) or (task_type == "general" and len(text.split()) < 3):
        return (
            f"Your goal {text!r} does not say what result you want. What should the run produce, and from which data?"
        )
    if _DATA_REFERENCE.search(text) and not goal.attachments:
        return "The goal refers to attached data, but nothing is attached. Which file should the run use?"
    return None
