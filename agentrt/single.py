"""One agent, no supervisor: an :class:`~agentrt.actors.agent.AgentService` asked one thing.

The agent loop of every specialist, used on its own: the model calls the agent's tools
through the policy gate (writes held for approval unless the gate allows them) until it
answers. No Ray, no plan, no QA::

    from agentrt import AgentSpec, ask, tool

    @tool
    def lookup_order(order_id: str) -> dict[str, str]:
        \"\"\"Look up the shipping status of an order by its id.\"\"\"
        return {"order_id": order_id, "status": "shipped"}

    result = ask(AgentSpec(role="orders", instructions="Report order status.", tools=(lookup_order,)),
                 "Look up the shipping status of order ORD-1234")
    print(result.summary)
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterable
from pathlib import Path

from agentrt.actors.agent import AgentService
from agentrt.actors.agent_spec import AgentSpec
from agentrt.actors.offline.model import OfflineModel
from agentrt.cluster.attachments import attachment_from_path
from agentrt.contracts import (
    Artifact,
    Budget,
    ChatModel,
    Identity,
    PolicyGate,
    Step,
    TaskAssignment,
    TaskResult,
    new_id,
)

__all__ = ["aask", "ask"]


def _inputs(data: Iterable[Path | str | Artifact]) -> tuple[Artifact, ...]:
    found: list[Artifact] = []
    for item in data:
        if isinstance(item, Artifact):
            found.append(item)
            continue
        attachment = attachment_from_path(Path(item))
        stem = Path(attachment.name).stem.replace(" ", "_") or "input"
        found.append(Artifact(name=stem, media_type=attachment.media_type, text=attachment.content))
    return tuple(found)


async def aask(
    agent: AgentSpec,
    instruction: str,
    *,
    model: ChatModel | None = None,
    policy: PolicyGate | None = None,
    data: Iterable[Path | str | Artifact] = (),
    tenant: str = "default",
    user: str = "user",
    budget: Budget | None = None,
) -> TaskResult:
    """Run one agent on one instruction and return its result (async).

    Args:
        agent: The agent: role, instructions, tools.
        instruction: What to do.
        model: The chat model (default: the offline model).
        policy: The gate every tool call passes (default: allow everything).
        data: Files (or artifacts) the agent works on.
        tenant: Tenant the call is made for.
        user: User the call is made by.
        budget: Limits of the call.
    """
    run_id = new_id("run")
    step = Step(id="s1", role=agent.role, instruction=instruction)
    assignment = TaskAssignment(
        run_id=run_id,
        step=step,
        caller=Identity(tenant=tenant, agent=agent.role, role="agent", user=user, run_id=run_id),
        goal_text=instruction,
        inputs=_inputs(data),
        budget=budget or Budget(),
    )
    return await AgentService(agent, model or OfflineModel(), policy).run(assignment)


def ask(
    agent: AgentSpec,
    instruction: str,
    *,
    model: ChatModel | None = None,
    policy: PolicyGate | None = None,
    data: Iterable[Path | str | Artifact] = (),
    tenant: str = "default",
    user: str = "user",
    budget: Budget | None = None,
) -> TaskResult:
    """Run one agent on one instruction and return its result (see :func:`aask`)."""
    return asyncio.run(aask(agent, instruction, model=model, policy=policy, data=data, tenant=tenant, user=user,
                            budget=budget))
