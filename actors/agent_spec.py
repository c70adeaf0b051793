"""What an agent is: :class:`AgentSpec`, its role, instructions, tools, output and loop limits."""

from __future__ import annotations

import re
from dataclasses import dataclass

from agentrt.actors.tool import Tool
from agentrt.actors.tool_registry import ToolRegistry
from agentrt.contracts import ConfigError, JsonObject

__all__ = ["AgentSpec"]

_NAME = re.compile(r"^[A-Za-z][A-Za-z0-9_\-]{0,63}$")


@dataclass(frozen=True, slots=True)
class AgentSpec:
    """What an agent is: its role, instructions, tools, output artifact and loop limits.

    Args:
        role: Role name (``researcher``, ``analyst``...), put on every result.
        instructions: The system instructions.
        tools: The tools it may use (a step's ``allowed_tools`` can narrow them further); plain typed
            functions are wrapped as read tools with default settings.
        output: Name of the artifact that holds the final answer.
        output_media_type: Media type of that artifact.
        verifies: True for a verifying (QA) role: its final answer is a ``QAVerdict``.
        output_schema: JSON Schema the ``data`` of its final answer must match, if any.
        max_turns: Most model calls per step attempt (the assignment's ``budget.max_steps`` may lower it).
        max_repairs: How many unusable model turns (invalid arguments, malformed tool calls,
            unknown tools) are answered with the error and a request to try again before the step fails.
        max_parallel_tools: Most tool calls of one turn run at once.
        max_input_chars: Longest artifact or context text put in the brief.
        max_observation_chars: Longest string of a tool output shown to the model.
        memory_hits: Memory records recalled into the context (when the agent has memory).
    """

    role: str
    instructions: str
    tools: tuple[Tool, ...] = ()
    output: str = "answer"
    output_media_type: str = "text/plain"
    verifies: bool = False
    output_schema: JsonObject | None = None
    max_turns: int = 16
    max_repairs: int = 2
    max_parallel_tools: int = 4
    max_input_chars: int = 200_000
    max_observation_chars: int = 20_000
    memory_hits: int = 4

    def __post_init__(self) -> None:
        object.__setattr__(self, "tools", tuple(t if isinstance(t, Tool) else Tool(t) for t in self.tools))
        for label, value in (("role", self.role), ("output", self.output)):
            if not _NAME.match(value):
                raise ConfigError(f"agent {label} {value!r} is not a valid name", field=label)
        limits = (self.max_turns, self.max_parallel_tools, self.max_input_chars, self.max_observation_chars)
        if min(limits) < 1 or self.max_repairs < 0 or self.memory_hits < 0:
            raise ConfigError(f"agent {self.role}: limits must be positive", field="limits")
        ToolRegistry(self.tools)  # raises ConfigError on duplicate names or unknown fallbacks
