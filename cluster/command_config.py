"""The runtime configuration of an ``agentrt`` command: the environment, then the command's flags.

``--tools MODULE``, ``--roles FILE``, ``--workflow FILE`` and ``--model SPEC`` name parts,
exactly as ``RuntimeConfig(tool_modules=..., roles_file=..., workflows=..., model=...)`` does;
a command given any of them asks the running runtime for them (applied, or refused with
the difference named). A command given none joins whatever runtime is up as it is.
"""

from __future__ import annotations

import argparse
import os
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from agentrt.cluster.settings import settings_from_env
from agentrt.contracts import Budget, ConfigError

__all__ = [
    "BUDGET_ARGUMENTS",
    "PART_ARGUMENTS",
    "budget_from_args",
    "config_from_args",
    "names_parts",
    "workflow_name",
]

_WORKFLOW_SUFFIXES = (".yaml", ".yml", ".json")

PART_ARGUMENTS: tuple[tuple[tuple[str, ...], dict[str, Any]], ...] = (
    (("--tools",), {"action": "append", "default": [], "metavar": "MODULE",
                    "help": "importable module of your tools (it defines TOOLS); repeatable"}),
    (("--roles",), {"type": Path, "metavar": "FILE", "help": "roles file (YAML or JSON) to add"}),
    (("--model",), {"metavar": "SPEC", "help": "model of the specialists: offline, or openai:<model name>"}),
)

BUDGET_ARGUMENTS: tuple[tuple[tuple[str, ...], dict[str, Any]], ...] = (
    (("--max-tokens",), {"type": int, "metavar": "N", "help": "stop the run after N model tokens"}),
    (("--max-cost",), {"type": float, "metavar": "USD", "help": "stop the run once it has cost USD dollars"}),
    (("--max-steps",), {"type": int, "metavar": "N", "help": "most plan steps the run may run"}),
    (("--timeout",), {"type": float, "metavar": "SECONDS", "help": "longest wall time of the run"}),
)


def _workflow_files(args: argparse.Namespace) -> tuple[Path, ...]:
    values = getattr(args, "workflow", None)
    items = values if isinstance(values, list) else [values] if values else []
    return tuple(Path(v) for v in items if Path(v).suffix in _WORKFLOW_SUFFIXES)


def workflow_name(args: argparse.Namespace) -> str | None:
    """The workflow a run follows: ``--workflow`` as a name, or the name inside a workflow file."""
    value = getattr(args, "workflow", None)
    if not value:
        return None
    path = Path(value)
    if path.suffix not in _WORKFLOW_SUFFIXES:
        return str(value)
    from agentrt.cluster.config_files import read_document  # noqa: PLC0415

    if not path.is_file():
        raise ConfigError(f"no workflow file {path}", path=str(path))
    document = read_document(path)
    name = document.get("name") if isinstance(document, dict) else None
    if not isinstance(name, str):
        raise ConfigError(f"{path}: a workflow file needs a name", path=str(path))
    return name


def names_parts(args: argparse.Namespace) -> bool:
    """Whether the command names any part of the runtime."""
    return bool(getattr(args, "tools", None) or getattr(args, "roles", None) or getattr(args, "model", None)
                or _workflow_files(args))


def config_from_args(args: argparse.Namespace, **overrides: Any) -> Any:
    """The ``RuntimeConfig`` of a command: environment settings, the command's parts, then ``overrides``."""
    from agentrt.cluster.runtime import RuntimeConfig  # noqa: PLC0415  (imports Ray)

    fields: dict[str, Any] = settings_from_env(os.environ).runtime_fields()
    if getattr(args, "address", None):
        fields["address"] = args.address
    if getattr(args, "tools", None):
        fields["tool_modules"] = tuple(args.tools)
    if getattr(args, "roles", None):
        fields["roles_file"] = args.roles
    workflows = _workflow_files(args)
    if workflows:
        fields["workflows"] = workflows
    if getattr(args, "model", None):
        fields["model"] = fields["model"].from_spec(args.model)
    fields["on_change"] = "apply" if names_parts(args) else "join"
    return RuntimeConfig(**(fields | overrides))


def budget_from_args(args: argparse.Namespace) -> Budget | None:
    """The run's budget from the budget flags (None when none was given)."""
    given = {name: getattr(args, attr, None) for name, attr in (
        ("max_tokens", "max_tokens"), ("max_cost_usd", "max_cost"), ("max_steps", "max_steps"),
        ("max_wall_s", "timeout"))}
    given = {k: v for k, v in given.items() if v is not None}
    if not given:
        return None
    try:
        return Budget(**given)
    except ValidationError as exc:
        first = exc.errors()[0]
        raise ConfigError(f"invalid budget: {first['loc'][0]}: {first['msg']}", field=str(first["loc"][0])) from None
