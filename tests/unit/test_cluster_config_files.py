"""Roles and workflow files: read as JSON or YAML, refused with a ConfigError naming the file when invalid."""

from __future__ import annotations

from pathlib import Path

import pytest

from agentrt.cluster.config_files import load_roles, load_workflow
from agentrt.contracts import ConfigError
from agentrt.specialists.roles import RoleCatalog
from agentrt.supervisor.planner import WorkflowCatalog

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"


def test_example_files_load() -> None:
    roles = RoleCatalog()
    assert [r.name for r in load_roles(roles, EXAMPLES / "triage" / "roles.yaml")] == ["billing"]
    assert "billing" in roles and "analyst" in roles
    workflow = load_workflow(WorkflowCatalog(), EXAMPLES / "triage" / "workflow.yaml")
    assert workflow.name == "ticket-triage" and workflow.steps[2].when is not None


def test_invalid_files_are_refused_and_register_nothing(tmp_path: Path) -> None:
    bad_role = tmp_path / "roles.json"
    bad_role.write_text('{"roles": [{"name": "ok", "description": "d", "instructions": "i"}, {"name": "9bad"}]}')
    roles = RoleCatalog()
    with pytest.raises(ConfigError, match="roles.json"):
        load_roles(roles, bad_role)
    assert "ok" not in roles
    broken = tmp_path / "flow.yaml"
    broken.write_text("name: [unclosed")
    with pytest.raises(ConfigError, match="flow.yaml"):
        load_workflow(WorkflowCatalog(), broken)
