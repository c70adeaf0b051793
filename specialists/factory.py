"""Building a role's specialist: its tools, its agent, its policy, behind the step ledger."""

from __future__ import annotations

from pathlib import Path

from agentrt.actors import AgentService, AgentSpec, Tool, WriteLedger, tool
from agentrt.actors.policy_file import PolicyFileGate
from agentrt.contracts import ChatModel, ConfigError, EventSink, MemoryRef, PolicyGate
from agentrt.specialists.outbox import outbox_tools
from agentrt.specialists.roles import RoleSpec
from agentrt.specialists.service import SpecialistService
from agentrt.specialists.tools.catalog import ALL_TOOLS

__all__ = ["approval_policy", "build_specialist", "tool_catalog"]


def tool_catalog(outbox_dir: Path | str | None = None, extra: tuple[Tool, ...] = ()) -> dict[str, Tool]:
    """Every tool a role may name: the built-in tools, the outbox writes, and ``extra`` (users' own)."""
    tools = [tool(fn) for fn in ALL_TOOLS]
    if outbox_dir is not None:
        tools.extend(outbox_tools(outbox_dir))
    tools.extend(extra)
    return {t.name: t for t in tools}


def approval_policy(tools: tuple[Tool, ...]) -> PolicyGate:
    """The default gate: the shipped policy file (``agentrt/actors/default_policy.yaml``).

    Reads run, every write waits for a person's approval, and no write or fetch takes its destination
    from untrusted content.
    """
    return PolicyFileGate(None, tools=tools)


def build_specialist(
    role: RoleSpec,
    model: ChatModel,
    *,
    catalog: dict[str, Tool],
    events: EventSink | None = None,
    memory: MemoryRef | None = None,
    policy: PolicyGate | None = None,
    ledger_path: Path | str | None = None,
    agent_id: str | None = None,
) -> SpecialistService:
    """Build the specialist service of a role.

    Raises:
        ConfigError: The role names a tool the catalog does not have.
    """
    missing = [name for name in role.tools if name not in catalog]
    if missing:
        raise ConfigError(f"role {role.name} names unknown tools {missing}", role=role.name)
    tools = tuple(catalog[name] for name in role.tools)
    spec = AgentSpec(role=role.name, instructions=role.instructions, tools=tools, output=role.output,
                     verifies=role.verifies, output_schema=role.output_schema, memory_hits=role.recall)  # fmt: skip
    agent = AgentService(
        spec,
        model,
        policy or approval_policy(tools),
        events,
        memory,
        ledger=WriteLedger(ledger_path) if ledger_path is not None else None,
        agent_id=agent_id,
    )
    return SpecialistService(role, agent)
