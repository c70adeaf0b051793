"""The one convention by which a step reaches a model: the task brief.

The agent loop sends one user message per step. It carries the step's
instruction as plain text, then a fenced block whose info string is
``inputs`` holding one JSON object::

    Compute the average price in the sales table.

    ```inputs
    {"goal": "...", "acceptance": ["..."],
     "artifacts": {"sales": {"media_type": "text/csv", "text": "region,price\\n...", "data": null}},
     "context": [{"source": "memory:rec-1", "text": "...", "priority": 3}]}
    ```

``artifacts`` maps each input artifact's name to its media type, text and
data (texts longer than the brief's limit are clipped and marked
``"clipped": true``; tools can read the complete artifact through
:class:`~agentrt.actors.tool.ToolContext`). ``context`` lists context items, most
important first. The JSON is written on one line, so the first line that
starts with three backticks after the opening fence closes the block.

Each tool's answer goes back as a ``tool`` message (``tool_call_id`` and
``name`` set) whose content is one JSON object: ``{"ok": true, "output": ...}``
or ``{"ok": false, "error": {"type": ..., "message": ..., "field": ...}}``
(:func:`observation_message`).

An LLM reads the brief as text; :class:`~agentrt.actors.offline.model.OfflineModel`
parses it with :meth:`TaskBrief.parse`.
"""

from __future__ import annotations

import json
import re
from collections.abc import Sequence
from dataclasses import dataclass

from pydantic import ValidationError

from agentrt.actors.provenance import fence as fenced
from agentrt.actors.provenance import origin_of
from agentrt.actors.provenance import unfence as unfenced
from agentrt.contracts import Artifact, ChatMessage, ContextItem, JsonValue, TaskAssignment, ToolResult

__all__ = ["INPUTS_FENCE", "TaskBrief", "clip_json", "observation_message", "read_observation"]

INPUTS_FENCE = "inputs"
"""The info string of the fenced block that carries the inputs."""

_BLOCK = re.compile(r"\n*Inputs:\n```" + INPUTS_FENCE + r"\n(?P<body>.*?)\n```[ \t]*(?:\n|$)", re.DOTALL)


@dataclass(frozen=True, slots=True)
class TaskBrief:
    """A step as the model sees it: the instruction, the goal, input artifacts and context.

    Args:
        instruction: What the step must do.
        goal: The run's goal, for orientation.
        acceptance: What the result must satisfy.
        artifacts: Input artifacts (outputs of earlier steps, attachments).
        context: Context items, most important first.
    """

    instruction: str
    goal: str = ""
    acceptance: tuple[str, ...] = ()
    artifacts: tuple[Artifact, ...] = ()
    context: tuple[ContextItem, ...] = ()

    @classmethod
    def from_assignment(
        cls, assignment: TaskAssignment, extra_context: Sequence[ContextItem] = ()
    ) -> TaskBrief:
        """Build the brief of an assignment, adding ``extra_context`` (e.g. memory hits) to its context."""
        context = sorted((*assignment.context, *extra_context), key=lambda c: c.priority)
        return cls(
            instruction=assignment.step.instruction,
            goal=assignment.goal_text,
            acceptance=assignment.step.acceptance,
            artifacts=assignment.inputs,
            context=tuple(context),
        )

    def render(self, max_chars: int = 200_000) -> str:
        """Return the user message text: the instruction, then the fenced ``inputs`` block."""
        artifacts = {a.name: _artifact_entry(a, max_chars) for a in self.artifacts}
        context = [
            {"source": c.source, "origin": origin_of(c.source), "text": _clip(c.text, max_chars)[0],
             "priority": c.priority}
            for c in self.context
        ]  # fmt: skip
        body = {"goal": self.goal, "acceptance": list(self.acceptance), "artifacts": artifacts, "context": context}
        block = json.dumps(body, ensure_ascii=False, separators=(",", ":"))
        return f"{self.instruction}\n\nInputs:\n```{INPUTS_FENCE}\n{block}\n```\n"

    def message(self, max_chars: int = 200_000) -> ChatMessage:
        """Return the brief as a user chat message."""
        return ChatMessage(role="user", content=self.render(max_chars))

    @classmethod
    def parse(cls, text: str) -> TaskBrief:
        """Read a brief back from message text; text without an inputs block is all instruction."""
        match = _BLOCK.search(text)
        if match is None:
            return cls(instruction=text.strip())
        instruction = (text[: match.start()] + text[match.end() :]).strip()
        try:
            body = json.loads(match.group("body"))
        except json.JSONDecodeError:
            return cls(instruction=text.strip())
        if not isinstance(body, dict):
            return cls(instruction=instruction)
        return cls(
            instruction=instruction,
            goal=str(body.get("goal") or ""),
            acceptance=tuple(str(a) for a in body.get("acceptance") or ()),
            artifacts=_parse_artifacts(body.get("artifacts")),
            context=_parse_context(body.get("context")),
        )

    @classmethod
    def find(cls, messages: Sequence[ChatMessage]) -> TaskBrief:
        """Return the brief of a conversation: the first user message (an empty brief when there is none)."""
        for message in messages:
            if message.role == "user":
                return cls.parse(message.content)
        return cls(instruction="")


def _clip(text: str, max_chars: int) -> tuple[str, bool]:
    if len(text) <= max_chars:
        return text, False
    return text[:max_chars], True


def _artifact_entry(artifact: Artifact, max_chars: int) -> dict[str, object]:
    text, clipped = _clip(artifact.text, max_chars)
    entry: dict[str, object] = {"media_type": artifact.media_type,
                                "origin": "step_output" if artifact.produced_by else "user",
                                "text": text, "data": artifact.data}  # fmt: skip
    if clipped:
        entry["clipped"] = True
    if artifact.produced_by:
        entry["produced_by"] = artifact.produced_by
    return entry


def _parse_artifacts(raw: object) -> tuple[Artifact, ...]:
    if not isinstance(raw, dict):
        return ()
    found: list[Artifact] = []
    for name, entry in raw.items():
        if not isinstance(entry, dict):
            continue
        try:
            found.append(
                Artifact(
                    name=name,
                    media_type=str(entry.get("media_type") or "text/plain"),
                    text=str(entry.get("text") or ""),
                    data=entry.get("data"),
                )
            )
        except ValidationError:
            continue
    return tuple(found)


def _parse_context(raw: object) -> tuple[ContextItem, ...]:
    if not isinstance(raw, list):
        return ()
    found: list[ContextItem] = []
    for entry in raw:
        if isinstance(entry, dict):
            try:
                found.append(ContextItem(source=str(entry.get("source", "")), text=str(entry.get("text", "")),
                                         priority=int(entry.get("priority", 5))))  # fmt: skip
            except (ValidationError, TypeError, ValueError):
                continue
    return tuple(found)


def observation_message(result: ToolResult, max_chars: int = 20_000, fence: str = "") -> ChatMessage:
    """The tool message that tells the model how a call ended (strings longer than ``max_chars`` clipped).

    With a ``fence`` (the run's random boundary) the JSON is wrapped as untrusted data from ``tool:<name>``
    (:func:`~agentrt.actors.provenance.fence`); :func:`read_observation` reads either form back.
    """
    if result.ok:
        body: JsonValue = {"ok": True, "output": clip_json(result.output, max_chars)}
    else:
        error = result.error
        body = {"ok": False, "error": {"type": error.type if error else "ToolError",
                                       "message": error.message if error else "",
                                       "field": error.field if error else None}}  # fmt: skip
    content = json.dumps(body, ensure_ascii=False)
    if fence:
        content = fenced(content, f"tool:{result.tool}", fence)
    return ChatMessage(role="tool", tool_call_id=result.call_id, name=result.tool, content=content)


def read_observation(content: str) -> str:
    """The JSON text of a tool message, its data fence removed."""
    return unfenced(content)


def clip_json(value: JsonValue, max_chars: int, max_items: int = 200) -> JsonValue:
    """Clip every string of a JSON value to ``max_chars`` and every list to ``max_items``."""
    if isinstance(value, str):
        return value if len(value) <= max_chars else value[:max_chars] + "…[clipped]"
    if isinstance(value, list):
        return [clip_json(v, max_chars, max_items) for v in value[:max_items]]
    if isinstance(value, dict):
        return {k: clip_json(v, max_chars, max_items) for k, v in value.items()}
    return value
