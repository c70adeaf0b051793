"""agentrt supervisor: intake, planning, scheduling over specialist pools, replanning, checkpoints."""

from __future__ import annotations

from supervisor.checkpoints import SQLiteRunStore
from supervisor.config import SupervisorConfig
from supervisor.intake import IntakeReport, normalise_goal
from supervisor.local import LocalReplicaSource
from supervisor.metrics import NullMetrics, RuntimeMetrics
from supervisor.model_planner import ModelPlanner, PlanOutcome
from supervisor.planner import RulePlanner, StepTemplate, WorkflowCatalog, WorkflowSpec
from supervisor.pools import Autoscale, PoolStats, ReplicaSource, SpecialistPool
from supervisor.service import SupervisorService

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
