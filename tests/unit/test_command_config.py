"""The command line names the runtime's parts and a run's budget exactly as the Python API does."""

from __future__ import annotations

from pathlib import Path

import pytest

from agentrt.cluster.cli import build_parser
from agentrt.cluster.command_config import budget_from_args, config_from_args, workflow_name
from agentrt.contracts import ConfigError

REPO = Path(__file__).resolve().parent.parent.parent
WORKFLOW = REPO / "examples" / "triage" / "workflow.yaml"
ROLES = REPO / "examples" / "triage" / "roles.yaml"


def test_run_flags_become_parts_and_a_budget(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("AGENTRT_DATA_DIR", str(tmp_path))
    monkeypatch.setenv("OPENAI_BASE_URL", "http://127.0.0.1:9/v1")
    monkeypatch.setenv("AGENTRT_PROMPT_USD_PER_1K", "0.5")
    args = build_parser().parse_args([
        "run", "Refund order 42", "--workflow", str(WORKFLOW), "--roles", str(ROLES), "--tools",
        "tests.fixtures.order_tools", "--model", "openai:gpt-4.1-mini", "--max-tokens", "5000", "--max-cost", "0.25",
        "--max-steps", "6", "--timeout", "90",
    ])
    config = config_from_args(args)
    assert config.workflows == (WORKFLOW,) and config.roles_file == ROLES
    assert config.tool_modules == ("tests.fixtures.order_tools",) and config.on_change == "apply"
    assert (config.model.model, config.model.prompt_usd_per_1k, config.data_dir) == ("gpt-4.1-mini", 0.5, tmp_path)
    assert workflow_name(args) == "ticket-triage"
    budget = budget_from_args(args)
    assert budget is not None
    assert (budget.max_tokens, budget.max_cost_usd, budget.max_steps, budget.max_wall_s) == (5000, 0.25, 6, 90.0)


def test_a_command_without_parts_joins_what_runs_and_names_are_names() -> None:
    args = build_parser().parse_args(["run", "Prepare the weekly sales summary", "--workflow", "weekly"])
    assert config_from_args(args).on_change == "join"
    assert workflow_name(args) == "weekly" and budget_from_args(args) is None


def test_bad_flags_are_config_errors_before_anything_connects(tmp_path: Path) -> None:
    parser = build_parser()
    with pytest.raises(ConfigError, match="max_cost_usd"):
        budget_from_args(parser.parse_args(["run", "goal text", "--max-cost", "-1"]))
    with pytest.raises(ConfigError, match="no workflow file"):
        workflow_name(parser.parse_args(["run", "goal text", "--workflow", str(tmp_path / "missing.yaml")]))
    with pytest.raises(ConfigError, match="unknown model spec"):
        config_from_args(parser.parse_args(["run", "goal text", "--model", "gpt-5"]))
