"""The agent: one role's act-observe loop over a chat model and its tools, as a plain async service.

:class:`AgentService` runs a :class:`~contracts.TaskAssignment` to a
:class:`~contracts.TaskResult`: it briefs the model (:mod:`actors.task_brief`),
lets it call tools through the policy gate and the tool runner, feeds the
results back, and stops at the final answer, a pause for approval, or a limit
(turns, tokens, cost, wall time). Failures within the rules come back as a
FAILED result with an :class:`~contracts.ErrorInfo`, never as an exception.

In one process::

    agent = AgentService(AgentSpec(role="analyst", instructions="...", tools=(mean_of_column,)), OfflineModel())
    result = await agent.run(assignment)

As a Ray actor (the factory is pickled, so pass configuration, not live objects)::

    handle = spawn(lambda: AgentService(spec, OfflineModel(), ledger=WriteLedger(path)), ActorOptions(max_restarts=2))
    result = await RemoteSpecialist.of(handle).run(assignment)
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from actors._step_run import AgentParts, StepRun
from actors.event_sinks import DiscardingSink
from actors.policy import AllowAll
from actors.tool import Tool
from actors.tool_registry import ToolRegistry
from actors.tool_runner import ToolRunner
from actors.write_ledger import WriteLedger
from contracts import ChatModel, ConfigError, EventSink, MemoryRef, PolicyGate, TaskAssignment, TaskResult, new_id

__all__ = ["AgentService", "AgentSpec"]

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


class AgentService:
    """Runs assignments for one role.

    Args:
        spec: The role.
        model: The chat model (OpenAI-compatible, offline or scripted).
        policy: The gate every tool call passes; allows everything when None.
        events: Where trace events go; dropped when None.
        memory: Long-term memory recalled into the step's context; none when None.
        ledger: Completed writes (give a file path to survive restarts); in-process when None.
        agent_id: This agent's id on results and events; generated from the role when None.
        seed: Seed of retry jitter, for reproducible runs.
    """

    def __init__(
        self,
        spec: AgentSpec,
        model: ChatModel,
        policy: PolicyGate | None = None,
        events: EventSink | None = None,
        memory: MemoryRef | None = None,
        *,
        ledger: WriteLedger | None = None,
        agent_id: str | None = None,
        seed: int | None = None,
    ) -> None:
        self.spec = spec
        self.agent_id = agent_id or new_id(spec.role)
        self._parts = AgentParts(
            spec=spec,
            model=model,
            runner=ToolRunner(ToolRegistry(spec.tools), ledger, seed=seed),
            gate=policy if policy is not None else AllowAll(),
            sink=events if events is not None else DiscardingSink(),
            memory=memory,
            agent_id=self.agent_id,
        )

    async def run(self, assignment: TaskAssignment) -> TaskResult:
        """Run one step attempt to a result: SUCCEEDED, FAILED (with the error) or NEEDS_APPROVAL."""
        return await StepRun(self._parts, assignment).execute()
