"""The runtime on Ray: start or join a cluster and create (or find) the runtime's named actors.

Actors, all in the runtime's namespace and named so they read well in the Ray dashboard:

* ``agentrt-memory``: the memory service;
* ``agentrt-supervisor``: the supervisor service, which starts the specialist replicas;
* ``agentrt-<role>-<n>``: specialist replicas, spread over the nodes.

With ``detached`` (the default) they outlive the client that created them, and a
second client finds them again by name.
"""

from __future__ import annotations

import importlib
import os
from dataclasses import dataclass, field
from pathlib import Path

import ray
from pydantic import BaseModel, ConfigDict, Field

from actors import (
    ActorOptions,
    OfflineModel,
    OpenAIChatModel,
    RayTransport,
    RemoteEventSink,
    ServiceClient,
    Tool,
    configure_logging,
    spawn,
)
from cluster.config_files import load_roles, load_workflow
from cluster.settings import DEFAULT_NAMESPACE, ModelSettings
from contracts import ChatModel, ConfigError, SpecialistRef
from memory import MemoryClient, MemoryConfig, MemoryService
from specialists.factory import build_specialist, tool_catalog
from specialists.roles import RoleCatalog
from specialists.service import SpecialistClient
from supervisor.config import SupervisorConfig
from supervisor.planner import WorkflowCatalog
from supervisor.service import SupervisorService

__all__ = ["MEMORY_ACTOR", "SUPERVISOR_ACTOR", "Runtime", "RuntimeConfig", "connect", "replica_name"]

SUPERVISOR_ACTOR = "agentrt-supervisor"
MEMORY_ACTOR = "agentrt-memory"


def replica_name(role: str, index: int) -> str:
    """The actor name of a specialist replica."""
    return f"agentrt-{role}-{index}"


class RuntimeConfig(BaseModel):
    """Where and how the runtime runs.

    Attributes:
        address: Ray cluster to join; None starts a local cluster.
        namespace: Ray namespace of the named actors.
        data_dir: Checkpoints, traces, memory, the write ledger and the outbox.
        model: The specialists' chat model (offline by default).
        replicas: Replicas per role (default: each role's own).
        detached: Actors outlive the client that created them.
        roles_file: Extra roles (JSON or YAML) to load.
        tool_modules: Importable modules of your own tools: each exposes ``TOOLS``, a sequence of
            ``actors.Tool`` (made with ``@tool``); roles name them like built-in tools.
        workflows: Workflow files to load.
        supervisor: Supervisor settings.
        num_cpus: Logical CPUs of a local cluster this runtime starts.
        include_dashboard: Start the Ray dashboard with a local cluster.
        spread: Spread specialist replicas over the nodes.
        service_resources: Custom Ray resources the memory and supervisor actors require, to pin
            them to a node (e.g. ``{"agentrt_head": 0.01}`` with the head started with that resource),
            so that losing a worker node never takes them down.
    """

    model_config = ConfigDict(frozen=True, extra="forbid")

    address: str | None = None
    namespace: str = DEFAULT_NAMESPACE
    data_dir: Path = Field(default_factory=lambda: Path.home() / ".agentrt")
    model: ModelSettings = ModelSettings()
    replicas: dict[str, int] = Field(default_factory=dict)
    detached: bool = True
    roles_file: Path | None = None
    tool_modules: tuple[str, ...] = ()
    workflows: tuple[Path, ...] = ()
    supervisor: SupervisorConfig = SupervisorConfig()
    num_cpus: int | None = None
    include_dashboard: bool = True
    spread: bool = True
    service_resources: dict[str, float] = Field(default_factory=dict)

    def roles(self) -> RoleCatalog:
        """The role catalog: built-ins plus the roles file."""
        catalog = RoleCatalog()
        if self.roles_file is not None:
            load_roles(catalog, self.roles_file)
        return catalog

    def options(self, name: str, **extra: object) -> ActorOptions:
        """Actor options for one of the runtime's actors."""
        return ActorOptions(
            name=name,
            namespace=self.namespace,
            lifetime="detached" if self.detached else None,
            get_if_exists=True,
            max_restarts=-1,
            **extra,  # type: ignore[arg-type]
        )


def _client(name: str, namespace: str) -> ServiceClient:
    return ServiceClient(RayTransport(ray.get_actor(name, namespace=namespace)), label=name)


def _user_tools(modules: tuple[str, ...]) -> tuple[Tool, ...]:
    found: list[Tool] = []
    for name in modules:
        tools = getattr(importlib.import_module(name), "TOOLS", None)
        if tools is None or not all(isinstance(t, Tool) for t in tools):
            raise ConfigError(f"tool module {name} must define TOOLS, a sequence of actors.Tool", module=name)
        found.extend(tools)
    return tuple(found)


def _chat_model(settings: ModelSettings) -> ChatModel:
    openai = settings.openai_config()
    return OfflineModel() if openai is None else OpenAIChatModel(openai)


@dataclass(frozen=True)
class MemoryFactory:
    """Builds the memory service inside its actor."""

    config: RuntimeConfig

    def __call__(self) -> MemoryService:
        configure_logging()
        return MemoryService(
            MemoryConfig(
                data_dir=self.config.data_dir / "memory", default_allowed_categories=("general", "run_summary")
            )
        )


@dataclass(frozen=True)
class SpecialistFactory:
    """Builds one specialist replica inside its actor."""

    config: RuntimeConfig
    role: str
    index: int

    def __call__(self) -> object:
        configure_logging()
        cfg = self.config
        node = ray.get_runtime_context().get_node_id()[:8]
        return build_specialist(
            cfg.roles().get(self.role),
            _chat_model(cfg.model),
            catalog=tool_catalog(cfg.data_dir / "outbox", extra=_user_tools(cfg.tool_modules)),
            events=RemoteEventSink(_client(SUPERVISOR_ACTOR, cfg.namespace), method="record"),
            memory=MemoryClient(_client(MEMORY_ACTOR, cfg.namespace)),
            ledger_path=cfg.data_dir / "ledger.sqlite",
            agent_id=f"{replica_name(self.role, self.index)}@{node}",
        )


@dataclass
class RayReplicaSource:
    """Starts specialist replicas as named Ray actors (implements supervisor.pools.ReplicaSource)."""

    config: RuntimeConfig
    handles: dict[tuple[str, int], object] = field(default_factory=dict)

    async def start_replica(self, role: str, index: int) -> SpecialistRef:
        """Start (or find) the replica actor and return a client of it."""
        strategy = "SPREAD" if self.config.spread else None
        options = self.config.options(replica_name(role, index), scheduling_strategy=strategy, max_concurrency=32)
        # Replicas outlive a supervisor restart (a non-detached actor dies with its creator),
        # so the steps they run survive it; Runtime.stop_actors removes them.
        options = options.model_copy(update={"lifetime": "detached"})
        handle = spawn(SpecialistFactory(self.config, role, index), options)
        await handle.ping.remote()  # type: ignore[attr-defined]
        self.handles[(role, index)] = handle
        return SpecialistClient(ServiceClient(RayTransport(handle), label=replica_name(role, index)))

    async def stop_replica(self, role: str, index: int) -> None:
        """Stop the replica actor."""
        handle = self.handles.pop((role, index), None)
        if handle is not None:
            ray.kill(handle)


@dataclass(frozen=True)
class SupervisorFactory:
    """Builds the supervisor service inside its actor."""

    config: RuntimeConfig

    def __call__(self) -> SupervisorService:
        from cluster.metrics import RayMetrics  # noqa: PLC0415  (metric objects live in this process)

        configure_logging()
        cfg = self.config
        workflows = WorkflowCatalog()
        for path in cfg.workflows:
            load_workflow(workflows, path)
        roles = cfg.roles()
        replicas = {r.name: cfg.replicas.get(r.name, r.replicas) for r in roles}
        return SupervisorService(
            cfg.data_dir / "runs.sqlite",
            RayReplicaSource(cfg),
            roles=roles,
            workflows=workflows,
            memory=MemoryClient(_client(MEMORY_ACTOR, cfg.namespace)),
            config=cfg.supervisor,
            metrics=RayMetrics(),
            replicas=replicas,
            planner_model=_chat_model(cfg.model) if cfg.supervisor.planner == "model" else None,
        )


@dataclass
class Runtime:
    """A connection to the runtime's actors."""

    config: RuntimeConfig
    supervisor_handle: object
    memory_handle: object
    started_ray: bool

    @property
    def supervisor(self) -> ServiceClient:
        """A client of the supervisor actor."""
        return ServiceClient(RayTransport(self.supervisor_handle), label=SUPERVISOR_ACTOR)  # type: ignore[arg-type]

    @property
    def memory(self) -> MemoryClient:
        """A client of the memory actor."""
        return MemoryClient(ServiceClient(RayTransport(self.memory_handle), label=MEMORY_ACTOR))  # type: ignore[arg-type]

    def stop_actors(self) -> None:
        """Kill the runtime's actors (specialist replicas included)."""
        for role in self.config.roles():
            for index in range(256):
                try:
                    ray.kill(ray.get_actor(replica_name(role.name, index), namespace=self.config.namespace))
                except ValueError:
                    break
        for handle in (self.supervisor_handle, self.memory_handle):
            ray.kill(handle)  # type: ignore[arg-type]

    def shutdown(self) -> None:
        """Disconnect; a local cluster this runtime started stops, with its non-detached actors."""
        if self.started_ray:
            ray.shutdown()


def connect(config: RuntimeConfig) -> Runtime:
    """Start or join Ray and get (or create) the memory and supervisor actors; wait until they answer."""
    started = False
    if not ray.is_initialized():
        address = config.address or os.environ.get("RAY_ADDRESS") or None
        local = {} if address else {"num_cpus": config.num_cpus, "include_dashboard": config.include_dashboard}
        ray.init(address=address, namespace=config.namespace, log_to_driver=False, **local)  # type: ignore[arg-type]
        started = address is None
    config.data_dir.mkdir(parents=True, exist_ok=True)
    pinned = {"resources": dict(config.service_resources)} if config.service_resources else {}
    memory = spawn(MemoryFactory(config), config.options(MEMORY_ACTOR, max_concurrency=64, **pinned))
    ray.get(memory.ping.remote())  # type: ignore[attr-defined]
    supervisor = spawn(SupervisorFactory(config), config.options(SUPERVISOR_ACTOR, max_concurrency=256, **pinned))
    ray.get(supervisor.ping.remote())  # type: ignore[attr-defined]
    return Runtime(config, supervisor, memory, started)
