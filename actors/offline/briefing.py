"""Step briefs: instructions that name what the attached data and documents hold.

A specialist (and the offline model above all) works best when its instruction
names the columns and terms it should use. The briefing profiles the attached
tables (numeric, period and key columns) and documents (their headings), and
words each step's instruction with the parts that fit the goal: the metric the
goal is about, the period to compare and the dimension to break it down by; the
terms to look up; the title, audience and format of a draft.
"""

from __future__ import annotations

import csv
import io
import re
from dataclasses import dataclass

from agentrt.contracts import Attachment, Goal

__all__ = ["TableProfile", "brief", "profile_table"]

_PERIOD_NAMES = ("week", "month", "period", "quarter", "date", "day")
_MONEY_HINTS = ("revenue", "sales", "amount", "total", "price", "value", "cost")
_WORD = re.compile(r"[a-z]+")
_SUFFIX = re.compile(r"(?:ly|ies|es|s|ed|ing)$")
_LEADING_VERB = re.compile(r"(?i)^(?:please\s+)?(?:prepare|draft|write|create|make|produce|compile|build|send|give)\s+")
_AUDIENCE = tuple(
    re.compile(rf"(?i)\b{word}\s+((?:the|our|my)\s+[a-z][a-z \-]{{1,40}}?)(?:\s*(?:[,.;]|$| and | with | about ))")
    for word in ("to", "for")
)
_NOT_AUDIENCE = re.compile(r"(?i)\b(?:week|month|quarter|year|day|latest|period|time)\b")


@dataclass(frozen=True)
class TableProfile:
    """What a table holds."""

    name: str
    numeric: tuple[str, ...]
    keys: tuple[str, ...]
    period: str | None


def _stems(text: str) -> set[str]:
    return {_SUFFIX.sub("", w)[:6] for w in _WORD.findall(text.lower()) if len(w) > 2}


def profile_table(attachment: Attachment) -> TableProfile | None:
    """Profile a CSV attachment: numeric columns, key columns (few distinct values), the period column."""
    if not attachment.name.lower().endswith(".csv"):
        return None
    rows = list(csv.DictReader(io.StringIO(attachment.content[:200_000])))
    if not rows:
        return None
    headers = [h for h in rows[0] if h]

    def numeric(h: str) -> bool:
        try:
            return all(float(r[h].replace(",", "")) is not None for r in rows[:50] if r.get(h))
        except ValueError:
            return False

    period = next((h for p in _PERIOD_NAMES for h in headers if h.lower() == p), None)
    nums = tuple(h for h in headers if h != period and numeric(h))
    keys = tuple(
        h for h in headers if h not in nums and h.lower() not in _PERIOD_NAMES and 1 < len({r[h] for r in rows}) <= 20
    )
    return TableProfile(attachment.name, nums, keys, period)


def _headings(goal: Goal) -> list[str]:
    found = []
    for a in goal.attachments:
        if a.media_type in ("text/markdown", "text/plain"):
            found += [m.strip() for m in re.findall(r"^#{2,4}\s+(.+)$", a.content, flags=re.M)]
    return found


def _metric(profile: TableProfile, goal: Goal) -> str | None:
    said = _stems(goal.text)
    named = [h for h in profile.numeric if _stems(h) & said]
    money = [h for h in profile.numeric if any(k in h.lower() for k in _MONEY_HINTS)]
    chosen = named or money or list(profile.numeric)
    return chosen[0] if chosen else None


def _analysis_brief(clause: str, goal: Goal) -> str:
    parts = [clause]
    for a in goal.attachments:
        if a.media_type == "text/x-log" or a.name.endswith(".log"):
            parts.append(f"count errors by service in {a.name}")
        profile = profile_table(a)
        if profile is None:
            continue
        metric = _metric(profile, goal)
        said = _stems(goal.text)
        key = next((k for k in profile.keys if _stems(k) & said), min(profile.keys, key=len) if profile.keys else None)
        if metric and profile.period:
            by = f" by {key}" if key else ""
            parts.append(f"compare {metric} {profile.period} over {profile.period}{by} in {a.name}")
        elif metric:
            parts.append(f"aggregate {metric}" + (f" by {key}" if key else "") + f" in {a.name}")
    return ": ".join(parts[:1]) + ("; " + "; ".join(parts[1:]) if len(parts) > 1 else "")


def _research_brief(clause: str, goal: Goal) -> str:
    said = _stems(goal.text)
    for a in goal.attachments:
        profile = profile_table(a)
        if profile is not None:
            said |= _stems(" ".join(filter(None, (_metric(profile, goal), profile.period))))
    terms = [h for h in _headings(goal) if _stems(h) & said]
    if not terms:
        return clause
    quoted = ", ".join(f'"{t}"' for t in terms[:6])
    return f"{clause}. Define the terms {quoted} from the documents"


_VERB_FIRST = re.compile(
    r"(?i)^(?:please\s+)?(?:prepare|report|write|draft|create|summari[sz]e|compile|produce|build|make|give|send)\b"
)


def _title(goal: Goal) -> str:
    clauses = [c.strip() for c in re.split(r"(?i),\s+|\s+and\s+|[.;:?!](?:\s|$)|\n", goal.text) if c.strip()]
    first = next((c for c in clauses if _VERB_FIRST.match(c)), clauses[0] if clauses else "")
    noun = _LEADING_VERB.sub("", first).strip()
    noun = re.sub(r"(?i)^report\s+", "", noun)
    noun = re.sub(
        r"(?i)\s+(?:in|from|using|with|as|for)\s+(?:\S+\.\w{2,4}\b|the latest|an? |the (?:team|reader)).*$", "", noun
    )
    noun = re.sub(r"(?i)^(?:the|a|an|our)\s+", "", noun)
    return (noun[:1].upper() + noun[1:])[:80] or "Summary"


def _compose_brief(clause: str, goal: Goal) -> str:
    found = (m.group(1).strip() for pattern in _AUDIENCE for m in pattern.finditer(goal.text + "."))
    audience = next((a for a in found if not _NOT_AUDIENCE.search(a)), "the reader")
    lowered = goal.text.lower()
    kind = "email" if re.search(r"\b(?:e-?mail|mail)\b", lowered) else ("markdown" if "report" in lowered else "text")
    return f'{clause} as {kind} with the title "{_title(goal)}" for the audience "{audience}"'


def brief(stage: int, clause: str, goal: Goal) -> str:
    """Word the instruction of a step of ``stage`` (see specialists.roles.Stage) for this goal's data."""
    if stage == 0:
        return _research_brief(clause, goal)
    if stage == 1:
        return _analysis_brief(clause, goal)
    if stage == 2:
        return _compose_brief(clause, goal)
    return clause
