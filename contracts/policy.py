"""The policy gate's answer for an action."""

from __future__ import annotations

from typing import Literal

from agentrt.contracts._base import Contract

__all__ = ["PolicyDecision"]


class PolicyDecision(Contract):
    """Allow, deny (with the reason) or hold for a person's approval."""

    kind: Literal["policy_decision"] = "policy_decision"
    verdict: Literal["allow", "deny", "needs_approval"]
    reason: str = ""
