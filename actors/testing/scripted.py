"""A chat model for tests: replays a script of replies and records what it was asked.

Each scripted entry is one reply:

- a :class:`~agentrt.contracts.ModelReply`, used as is;
- a ``str``: a final answer with that text;
- a :class:`~agentrt.contracts.ToolCall` or a list of them: a turn that calls those tools
  (:func:`call` builds one tersely);
- an exception instance: raised by ``complete`` (e.g. a ``MalformedToolCall``).

It fails loudly: asking for more replies than scripted raises
:class:`~agentrt.contracts.UsageError` (``details['what'] == 'script_exhausted'``),
and :meth:`ScriptedModel.assert_exhausted` (called on leaving a ``with``
block) raises when replies were left unused::

    with ScriptedModel([call("add", a=1, b=2), "the sum is 3"]) as model:
        result = await AgentService(spec, model).run(assignment)
    assert model.requests[1].messages[-1].role == "tool"
"""

from __future__ import annotations

import itertools
from collections.abc import Sequence
from dataclasses import dataclass
from types import TracebackType

from agentrt.contracts import ChatMessage, JsonValue, ModelReply, ResponseFormat, ToolCall, ToolSpec, UsageError

__all__ = ["ScriptedModel", "ScriptedRequest", "call"]

ScriptEntry = ModelReply | str | ToolCall | Sequence[ToolCall] | Exception

_ids = itertools.count(1)


def call(tool: str, id: str | None = None, **arguments: JsonValue) -> ToolCall:
    """Return a tool call for a script: ``call("search", query="refunds")``."""
    return ToolCall(id=id or f"call-scripted-{next(_ids)}", tool=tool, arguments=arguments)


@dataclass(frozen=True, slots=True)
class ScriptedRequest:
    """One request the scripted model received."""

    messages: tuple[ChatMessage, ...]
    tools: tuple[ToolSpec, ...]
    response_format: ResponseFormat | None = None

    @property
    def tool_names(self) -> tuple[str, ...]:
        """Names of the tools offered."""
        return tuple(t.name for t in self.tools)


class ScriptedModel:
    """Replays scripted replies in order.

    Args:
        script: The replies, in order (see the module docstring for the shorthands).
        model: The model name put on replies.
    """

    def __init__(self, script: Sequence[ScriptEntry], model: str = "scripted") -> None:
        self.script: list[ScriptEntry] = list(script)
        self.model = model
        self.requests: list[ScriptedRequest] = []

    @property
    def remaining(self) -> int:
        """How many scripted replies are still unused."""
        return len(self.script) - len(self.requests)

    async def complete(
        self, messages: Sequence[ChatMessage], tools: Sequence[ToolSpec], *,
        response_format: ResponseFormat | None = None,
    ) -> ModelReply:  # fmt: skip
        """Record the request and return (or raise) the next scripted entry."""
        index = len(self.requests)
        self.requests.append(ScriptedRequest(tuple(messages), tuple(tools), response_format))
        if index >= len(self.script):
            raise UsageError(
                f"scripted model asked for reply {index + 1} but only {len(self.script)} were scripted; "
                f"last message: {messages[-1].content[:200] if messages else ''!r}",
                what="script_exhausted",
            )
        entry = self.script[index]
        if isinstance(entry, Exception):
            raise entry
        return self._reply(entry)

    def assert_exhausted(self) -> None:
        """Raise UsageError when scripted replies were left unused."""
        if self.remaining > 0:
            unused = self.script[len(self.requests) :]
            raise UsageError(
                f"{self.remaining} scripted replies were never requested: {unused!r}", what="script_unused"
            )

    def __enter__(self) -> ScriptedModel:
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        if exc_type is None:
            self.assert_exhausted()

    def _reply(self, entry: ScriptEntry) -> ModelReply:
        if isinstance(entry, ModelReply):
            return entry if entry.model else entry.model_copy(update={"model": self.model})
        if isinstance(entry, str):
            return ModelReply(text=entry, model=self.model)
        if isinstance(entry, ToolCall):
            return ModelReply(tool_calls=(entry,), model=self.model)
        calls = tuple(entry)  # type: ignore[arg-type]
        if not calls or not all(isinstance(c, ToolCall) for c in calls):
            raise UsageError(f"unusable script entry {entry!r}", what="script_entry")
        return ModelReply(tool_calls=calls, model=self.model)
