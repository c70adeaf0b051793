"""Policy gates: every tool call is allowed, denied (with a reason) or held for a person's approval.

Two gates ship: :class:`AllowAll`, the default, and :class:`RuleGate`, an
ordered list of :class:`PolicyRule` (first match wins)::

    gate = RuleGate(
        [
            PolicyRule("deny", tools=("delete_table",), reason="deleting data is not allowed"),
            PolicyRule("needs_approval", writes=True, reason="writes need a person's approval"),
        ],
        tools=spec.tools,
    )

Any object with ``async check(caller, step, call) -> PolicyDecision`` is a
gate (:class:`~agentrt.contracts.PolicyGate`), so other rules plug in without touching
the agent loop.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Literal

from agentrt.actors.tool import Tool
from agentrt.contracts import ConfigError, Identity, PolicyDecision, Step, ToolCall, ToolSpec

__all__ = ["AllowAll", "PolicyRule", "RuleGate"]

Verdict = Literal["allow", "deny", "needs_approval"]


class AllowAll:
    """The default gate: every call may run."""

    async def check(self, caller: Identity, step: Step, call: ToolCall) -> PolicyDecision:
        """Allow the call."""
        return PolicyDecision(verdict="allow")


@dataclass(frozen=True, slots=True)
class PolicyRule:
    """One rule; every condition given must hold for the rule to match.

    Args:
        verdict: What to decide when the rule matches.
        tools: Tool names it applies to (empty: any tool).
        writes: True to match only write tools, False only read tools, None either.
        roles: Step roles it applies to (empty: any role).
        tenants: Tenants it applies to (empty: any tenant).
        reason: Told to the model (deny) or to the approver (needs_approval).
    """

    verdict: Verdict
    tools: tuple[str, ...] = ()
    writes: bool | None = None
    roles: tuple[str, ...] = ()
    tenants: tuple[str, ...] = ()
    reason: str = ""

    def __post_init__(self) -> None:
        if self.verdict not in ("allow", "deny", "needs_approval"):
            raise ConfigError(f"unknown policy verdict {self.verdict!r}", field="verdict")

    def matches(self, caller: Identity, step: Step, call: ToolCall, writes: bool) -> bool:
        """Whether the rule applies to this call."""
        return (
            (not self.tools or call.tool in self.tools)
            and (self.writes is None or self.writes == writes)
            and (not self.roles or step.role in self.roles)
            and (not self.tenants or caller.tenant in self.tenants)
        )


class RuleGate:
    """Decides by the first matching rule, else by ``default``.

    Args:
        rules: Checked in order.
        tools: The tools (or their specs) the gate will see, so rules can tell writes from reads.
        default: The verdict when no rule matches.
    """

    def __init__(
        self, rules: Sequence[PolicyRule], *, tools: Iterable[Tool | ToolSpec] = (), default: Verdict = "allow"
    ) -> None:
        self.rules = tuple(rules)
        self.default: Verdict = default
        self._writes = frozenset(t.name for t in tools if t.writes)

    async def check(self, caller: Identity, step: Step, call: ToolCall) -> PolicyDecision:
        """Return the verdict of the first matching rule."""
        writes = call.tool in self._writes
        for rule in self.rules:
            if rule.matches(caller, step, call, writes):
                return PolicyDecision(verdict=rule.verdict, reason=rule.reason or f"rule for {call.tool}")
        return PolicyDecision(verdict=self.default, reason="no rule matched")
