"""The agent: one role's act-observe loop over a chat model and its tools, as a plain async service.

:class:`AgentService` runs a :class:`~agentrt.contracts.TaskAssignment` to a
:class:`~agentrt.contracts.TaskResult`: it briefs the model (:mod:`agentrt.actors.task_brief`),
lets it call tools through the policy gate and the tool runner, feeds the
results back, and stops at the final answer, a pause for approval, or a limit
(turns, tokens, cost, wall time). Failures within the rules come back as a
FAILED result with an :class:`~agentrt.contracts.ErrorInfo`, never as an exception.

In one process::

    agent = AgentService(AgentSpec(role="analyst", instructions="...", tools=(mean_of_column,)), OfflineModel())
    result = await agent.run(assignment)

As a Ray actor (the factory is pickled, so pass configuration, not live objects)::

    handle = spawn(lambda: AgentService(spec, OfflineModel(), ledger=WriteLedger(path)), SpecialistRef,
                   ActorOptions(max_restarts=2))
    result = await remote_specialist(handle).run(assignment)
"""

from __future__ import annotations

from agentrt.actors._answer import AnswerSchema, takes_response_format
from agentrt.actors._step_run import AgentParts, StepRun
from agentrt.actors.agent_spec import AgentSpec
from agentrt.actors.event_sinks import DiscardingSink
from agentrt.actors.policy import AllowAll
from agentrt.actors.tool_registry import ToolRegistry
from agentrt.actors.tool_runner import ToolRunner
from agentrt.actors.write_ledger import WriteLedger
from agentrt.contracts import (
    ChatModel,
    EventSink,
    MemoryRef,
    PolicyGate,
    RunEvent,
    TaskAssignment,
    TaskResult,
    new_id,
)

__all__ = ["AgentService", "AgentSpec"]


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
            answer=AnswerSchema(spec.output, verifies=spec.verifies, data_schema=spec.output_schema),
            structured=takes_response_format(model),
        )

    async def run(self, assignment: TaskAssignment) -> TaskResult:
        """Run one step attempt to a result: SUCCEEDED, FAILED (with the error) or NEEDS_APPROVAL.

        With a sink that batches (``take``), the step's trace events it has not sent yet travel
        with the result.
        """
        result = await StepRun(self._parts, assignment).execute()
        take = getattr(self._parts.sink, "take", None)
        if take is None:
            return result
        events: tuple[RunEvent, ...] = await take(assignment.run_id, assignment.step.id)
        return result.model_copy(update={"events": events}) if events else result
