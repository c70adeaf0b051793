"""agentrt supervisor: intake, planning, scheduling over specialist pools, replanning, checkpoints."""

from __future__ import annotations

from agentrt.supervisor.checkpoints import SQLiteRunStore
from agentrt.supervisor.config import SupervisorConfig
from agentrt.supervisor.intake import IntakeReport, normalise_goal
from agentrt.supervisor.local import LocalReplicaSource
from agentrt.supervisor.metrics import NullMetrics, RuntimeMetrics
from agentrt.supervisor.model_planner import ModelPlanner, PlanOutcome
from agentrt.supervisor.planner import RulePlanner, StepTemplate, WorkflowCatalog, WorkflowSpec
from agentrt.supervisor.pools import Autoscale, PoolStats, ReplicaSource, SpecialistPool
from agentrt.supervisor.service import SupervisorService

__all__ = [
    "Autoscale",
    "IntakeReport",
    "LocalReplicaSource",
    "ModelPlanner",
    "NullMetrics",
    "PlanOutcome",
    "PoolStats",
    "ReplicaSource",
    "RulePlanner",
    "RuntimeMetrics",
    "SQLiteRunStore",
    "SpecialistPool",
    "StepTemplate",
    "SupervisorConfig",
    "SupervisorService",
    "WorkflowCatalog",
    "WorkflowSpec",
    "normalise_goal",
]
