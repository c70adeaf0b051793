"""The offline model: a deterministic, rule-based stand-in for an LLM. No network, not an LLM.

Each turn it reads the conversation the agent loop built (the task brief of
:mod:`agentrt.actors.task_brief`, then tool calls and their results) and either calls
one more tool or gives the final answer:

1. The instruction's content words (stemmed) are matched against every offered
   tool's name, description and argument schema by TF-IDF
   (:class:`~agentrt.actors.offline._text_match.ToolIndex`).
2. Among tools not used yet, the best one that still matches a word of the
   instruction no used tool has covered is called, if its arguments can be
   filled (:mod:`agentrt.actors.offline._argument_fill`) from the instruction's literals,
   the input artifacts, earlier tool outputs and the context.
3. When no tool is left that way, it answers: a first line ``[offline model]``
   and a summary of what the tool outputs said. Asked for a response format (a
   role's output schema), it answers with one JSON object of that schema, filling
   each field from the tool outputs it read: ``answer`` with the document a tool
   produced (else the summary), ``facts``, ``follow_ups``, ``passed`` and
   ``defects`` with what the tool outputs reported under those names; a required
   field it has no evidence for is left out, so the answer fails validation
   rather than invent a verdict.

Nothing in it knows any particular tool or goal: a new tool with a good
description is usable as soon as it is registered. Every reply is marked
``offline=True`` with model name ``agentrt-offline``; token counts are
estimates (four characters a token) and cost nothing.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass

from agentrt.actors.offline._argument_fill import fill_arguments
from agentrt.actors.offline._evidence import Evidence
from agentrt.actors.offline._text_match import ToolIndex, ToolMatch, terms
from agentrt.actors.task_brief import TaskBrief, read_observation
from agentrt.contracts import ChatMessage, JsonObject, JsonValue, ModelReply, ResponseFormat, ToolCall, ToolSpec, Usage

__all__ = ["OFFLINE_LABEL", "OFFLINE_MODEL_NAME", "OfflineModel"]

OFFLINE_MODEL_NAME = "agentrt-offline"
OFFLINE_LABEL = "[offline model]"
_TEXT_KEYS = ("text", "draft", "body", "summary", "answer", "markdown", "content", "report")
# Where the offline model looks, in a tool's output, for each field of an answer's items.
_ALIASES: dict[str, tuple[str, ...]] = {
    "follow_ups": ("follow_ups", "follow_up"),
    "claim": ("claim", "detail", "message"),
    "evidence": ("evidence", "where", "quote"),
    "category": ("category", "kind"),
    "label": ("label", "key", "name"),
}


@dataclass(frozen=True, slots=True)
class _Observation:
    tool: str
    ok: bool
    output: JsonValue


class OfflineModel:
    """Chooses tools by matching the instruction against their descriptions; answers by summarising outputs.

    Args:
        min_share: A further tool is called only if its score on still-uncovered words is at least this
            share of the first tool's score, so a stray shared word does not trigger an unrelated tool.
        max_text_chars: Longest tool-output text quoted in the final answer.
    """

    def __init__(self, min_share: float = 0.25, max_text_chars: int = 4000) -> None:
        self.min_share = min_share
        self.max_text_chars = max_text_chars

    async def complete(
        self, messages: Sequence[ChatMessage], tools: Sequence[ToolSpec], *,
        response_format: ResponseFormat | None = None,
    ) -> ModelReply:  # fmt: skip
        """Return the next turn: one tool call, or the final answer (in the response format, if given)."""
        brief = TaskBrief.find(messages)
        observations = _observations(messages)
        said = _argument_terms(messages)
        call = self._next_call(brief, observations, tools, said, turn=len(observations) + 1)
        if call is not None:
            return self._reply(messages, tools, tool_calls=(call,))
        text = self._answer(brief, observations)
        if response_format is not None:
            text = json.dumps(_structured(text, observations, response_format.json_schema), ensure_ascii=False)
        return self._reply(messages, tools, text=text)

    def _next_call(
        self, brief: TaskBrief, observations: list[_Observation], tools: Sequence[ToolSpec],
        said: frozenset[str], turn: int,
    ) -> ToolCall | None:  # fmt: skip
        index = ToolIndex(tools)
        query = frozenset(terms(brief.instruction))
        used = [o.tool for o in observations]
        # What earlier calls matched, or passed on as argument values, is done; a further tool
        # must answer the rest through its name or description, not only an argument's example.
        covered = (frozenset().union(*(index.terms_of(t) for t in used)) | said) & query
        first = index.rank(query)
        bar = self.min_share * first[0].score if first and used else 0.0
        outputs = [(o.tool, o.output) for o in observations if o.ok]
        ranked = index.rank(query - covered, exclude=used, min_weight=1.0 if used else 0.0)
        for match in _in_asked_order(ranked, brief.instruction, bar):
            evidence = Evidence.build(brief.instruction, brief.artifacts, outputs, brief.context)
            arguments = fill_arguments(match.spec, evidence)
            if arguments is not None:
                return ToolCall(id=f"call-offline-{turn}", tool=match.spec.name, arguments=arguments)
        return None

    def _answer(self, brief: TaskBrief, observations: list[_Observation]) -> str:
        lines = [f"{OFFLINE_LABEL} {_first_line(brief.instruction)}".rstrip()]
        done = [o for o in observations if o.ok]
        failed = [o for o in observations if not o.ok]
        for observation in done:
            lines.extend(self._summary(observation.tool, observation.output))
        for observation in failed:
            lines.append(f"- {observation.tool} failed: {_error_text(observation.output)}")
        if not observations:
            lines.append("No tool fitted the instruction; answering from the inputs.")
            lines.extend(f"- input {a.name} ({a.media_type}): {_clip(a.text or json.dumps(a.data), 300)}"
                         for a in brief.artifacts)  # fmt: skip
            lines.extend(f"- context ({c.source}): {_clip(c.text, 300)}" for c in brief.context[:5])
        return "\n".join(lines)

    def _summary(self, tool: str, output: JsonValue) -> list[str]:
        if isinstance(output, str):
            return [f"{tool}:", _clip(output, self.max_text_chars)]
        if not isinstance(output, dict):
            return [f"- {tool}: {_clip(json.dumps(output, ensure_ascii=False), 500)}"]
        lines = [f"{tool}:"]
        for key, value in output.items():
            if key in _TEXT_KEYS and isinstance(value, str):
                lines.append(_clip(value, self.max_text_chars))
            elif isinstance(value, list):
                lines.append(f"- {key}: {_list_summary(value)}")
            elif isinstance(value, dict):
                lines.append(f"- {key}: {_clip(json.dumps(value, ensure_ascii=False), 300)}")
            else:
                lines.append(f"- {key}: {value}")
        return lines

    def _reply(
        self, messages: Sequence[ChatMessage], tools: Sequence[ToolSpec], text: str = "",
        tool_calls: tuple[ToolCall, ...] = (),
    ) -> ModelReply:  # fmt: skip
        prompt = sum(len(m.content) for m in messages) + sum(len(json.dumps(t.parameters)) for t in tools)
        completion = len(text) + sum(len(json.dumps(c.arguments)) for c in tool_calls)
        usage = Usage(prompt_tokens=prompt // 4 + 1, completion_tokens=completion // 4 + 1)
        return ModelReply(text=text, tool_calls=tool_calls, usage=usage, model=OFFLINE_MODEL_NAME, offline=True)


def _structured(summary: str, observations: list[_Observation], schema: JsonObject) -> JsonObject:
    outputs = [o.output for o in observations if o.ok and isinstance(o.output, dict)]
    props = schema.get("properties")
    body: JsonObject = {}
    for name, spec in props.items() if isinstance(props, dict) else ():
        if name in ("answer", "summary"):
            documents = [o.get("text") for o in outputs if isinstance(o.get("text"), str) and o.get("text")]
            body[name] = documents[-1] if documents and name == "answer" else summary
        elif name == "data":
            if outputs:
                body[name] = outputs[-1]
        elif isinstance(spec, dict) and spec.get("type") == "array":
            items = [i for o in outputs for key in _ALIASES.get(name, (name,)) for i in _as_list(o.get(key))]
            item_schema = _resolve(spec.get("items"), schema)
            filled: list[JsonValue] = [f for f in (_fill(i, item_schema) for i in items) if f is not None]
            limit = spec.get("maxItems")
            if filled:
                body[name] = filled[: limit if isinstance(limit, int) else None]
        elif isinstance(spec, dict) and spec.get("type") == "boolean":
            found = [o[name] for o in outputs if isinstance(o.get(name), bool)]
            if found:
                body[name] = found[-1]
    return body


def _as_list(value: JsonValue) -> list[JsonValue]:
    return value if isinstance(value, list) else []


def _resolve(spec: JsonValue, root: JsonObject) -> JsonObject:
    if isinstance(spec, dict) and isinstance(spec.get("$ref"), str):
        defs = root.get("$defs")
        name = spec["$ref"].rsplit("/", 1)[-1]  # type: ignore[union-attr]
        found = defs.get(name) if isinstance(defs, dict) else None
        return found if isinstance(found, dict) else {}
    return spec if isinstance(spec, dict) else {}


def _fill(item: JsonValue, schema: JsonObject) -> JsonObject | None:
    if not isinstance(item, dict):
        return None
    props = schema.get("properties")
    required = schema.get("required")
    filled: JsonObject = {}
    for field in props if isinstance(props, dict) else ():
        if field == "kind":
            continue
        value = next((item[k] for k in _ALIASES.get(field, (field,)) if item.get(k) not in (None, "")), None)
        if value is not None:
            filled[field] = value if isinstance(value, bool | int | float) else str(value)[:2000]
    missing = [r for r in required if r not in filled] if isinstance(required, list) else []
    return None if missing else filled


def _in_asked_order(ranked: list[ToolMatch], instruction: str, bar: float) -> list[ToolMatch]:
    # Tools about as relevant as the best one run in the order the instruction asks for them,
    # so "translate the notes, then count the words" translates first.
    ranked = [m for m in ranked if m.score >= bar]
    if not ranked:
        return []
    order = {t: i for i, t in reversed(list(enumerate(terms(instruction))))}
    close = [m for m in ranked if m.score >= 0.5 * ranked[0].score]
    close.sort(key=lambda m: (min(order.get(t, len(order)) for t in m.matched), -m.score))
    return close + [m for m in ranked if m not in close]


def _argument_terms(messages: Sequence[ChatMessage]) -> frozenset[str]:
    found: set[str] = set()
    for message in messages:
        for call in message.tool_calls:
            for value in call.arguments.values():
                items = value if isinstance(value, list) else [value]
                for item in items:
                    if isinstance(item, str) and len(item) <= 80:
                        found.update(terms(item))
    return frozenset(found)


def _observations(messages: Sequence[ChatMessage]) -> list[_Observation]:
    names = {c.id: c.tool for m in messages if m.role == "assistant" for c in m.tool_calls}
    found: list[_Observation] = []
    for message in messages:
        if message.role != "tool":
            continue
        tool = message.name or names.get(message.tool_call_id or "", "tool")
        content = read_observation(message.content)
        try:
            body = json.loads(content)
        except json.JSONDecodeError:
            found.append(_Observation(tool, True, content))
            continue
        if isinstance(body, dict) and "ok" in body:
            ok = bool(body["ok"])
            found.append(_Observation(tool, ok, body.get("output") if ok else body.get("error")))
        else:
            found.append(_Observation(tool, True, body))
    return found


def _first_line(text: str) -> str:
    return _clip(text.strip().split("\n", 1)[0], 200)


def _clip(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _error_text(error: JsonValue) -> str:
    if isinstance(error, dict):
        return f"{error.get('type', 'error')}: {error.get('message', '')}"
    return str(error)


def _list_summary(items: list[JsonValue]) -> str:
    if not items:
        return "none"
    shown = "; ".join(_clip(_item_text(i), 160) for i in items[:5])
    more = f" (+{len(items) - 5} more)" if len(items) > 5 else ""
    return f"{shown}{more}"


def _item_text(item: JsonValue) -> str:
    if isinstance(item, dict):
        return ", ".join(f"{k}={v}" for k, v in item.items() if not isinstance(v, (dict, list)))
    return str(item)
