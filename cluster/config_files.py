"""Reading the runtime's configuration files: roles and workflows, as JSON or YAML."""

from __future__ import annotations

import json
from pathlib import Path

import yaml

from agentrt.contracts import ConfigError
from agentrt.specialists.roles import RoleCatalog, RoleSpec
from agentrt.supervisor.planner import WorkflowCatalog, WorkflowSpec

__all__ = ["load_roles", "load_workflow", "read_document"]


def read_document(path: Path | str) -> object:
    """Parse a JSON or YAML file (by its extension).

    Raises:
        ConfigError: The file cannot be read or parsed.
    """
    try:
        text = Path(path).read_text(encoding="utf-8")
        return yaml.safe_load(text) if str(path).endswith((".yaml", ".yml")) else json.loads(text)
    except (OSError, ValueError, yaml.YAMLError) as exc:
        raise ConfigError(f"cannot read {path}: {exc}", path=str(path)) from None


def load_roles(catalog: RoleCatalog, path: Path | str) -> list[RoleSpec]:
    """Register the roles of a file (``{"roles": [...]}`` or a list) in a catalog."""
    raw = read_document(path)
    items = raw.get("roles", []) if isinstance(raw, dict) else raw
    if not isinstance(items, list):
        raise ConfigError(f"{path} holds no list of roles", path=str(path))
    try:
        return catalog.add_many(items)
    except ConfigError as exc:
        raise ConfigError(f"{path}: {exc}", path=str(path)) from None


def load_workflow(catalog: WorkflowCatalog, path: Path | str) -> WorkflowSpec:
    """Register the workflow of a file in a catalog."""
    try:
        return catalog.add(read_document(path))
    except ConfigError as exc:
        raise ConfigError(f"{path}: {exc}", path=str(path)) from None
