"""Shared fixtures: one local Ray cluster per test session."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest

os.environ.setdefault("RAY_DEDUP_LOGS", "0")
os.environ.setdefault("RAY_USAGE_STATS_ENABLED", "0")
os.environ.setdefault("RAY_AUTH_MODE", "disabled")

REPO_ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture(scope="session")
def ray_cluster() -> Iterator[None]:
    """Start a local Ray cluster once per session (fixed logical CPUs) and shut it down at the end."""
    import ray

    if not ray.is_initialized():
        ray.init(
            num_cpus=8,
            include_dashboard=False,
            namespace="agentrt-tests",
            log_to_driver=False,
            configure_logging=False,
            # Workers import test-defined services as tests.<package>.<module>.
            runtime_env={"env_vars": {"PYTHONPATH": str(REPO_ROOT)}},
            _system_config={"metrics_report_interval_ms": 1000},  # app metrics reach /metrics within a second
        )
    yield
    ray.shutdown()
