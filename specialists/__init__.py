"""agentrt specialists: the researcher, analyst, writer and QA roles, their tools, and the specialist service."""

from __future__ import annotations

from agentrt.specialists.factory import approval_policy, build_specialist, tool_catalog
from agentrt.specialists.outbox import outbox_tools
from agentrt.specialists.roles import BUILTIN_ROLES, RoleCatalog, RoleSpec, Stage
from agentrt.specialists.service import SpecialistService

__all__ = [
    "BUILTIN_ROLES",
    "RoleCatalog",
    "RoleSpec",
    "SpecialistService",
    "Stage",
    "approval_policy",
    "build_specialist",
    "outbox_tools",
    "tool_catalog",
]
