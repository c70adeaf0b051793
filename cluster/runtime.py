"""The composition root: one configuration names every part; ``connect`` wires them on Ray or in this process.

Actors, all in the runtime's namespace and named so they read well in the Ray dashboard:

* ``agentrt-memory``: the memory service;
* ``agentrt-supervisor``: the supervisor service, which starts the specialist replicas;
* ``agentrt-<role>-<n>-<fingerprint>``: specialist replicas, spread over the nodes; the
  fingerprint names the configuration they were built from, so a replica built from
  other tools or roles is never reused.

With ``detached`` (the default) they outlive the client that created them, and a
second client finds them again by name. A client whose configuration differs from
the running one has its configuration applied (the supervisor drains and is replaced,
with new replicas) or, for parts that hold state or with ``on_change="refuse"``, gets
a :class:`~agentrt.contracts.ConfigError` naming every difference.

``connect(config, local=True)`` builds the very same parts as objects in this process,
over the in-process transport: the way to test your own agents without Ray.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import sys
import time
from collections.abc import Callable, Coroutine
from dataclasses import dataclass, field
from pathlib import Path
from types import TracebackType
from typing import TYPE_CHECKING, Any, Literal, TypeVar, cast

import ray
import structlog
from pydantic import BaseModel, ConfigDict, Field, field_validator

from agentrt.actors import BatchingEventSink, Tool, configure_logging
from agentrt.actors.credentials import OPERATOR, RUNTIME, KeyRing, Principal, Signer
from agentrt.actors.host import ActorOptions, RayTransport, ServiceClient, spawn
from agentrt.actors.proxy import memory_proxy, recorder_proxy, replica_proxy, supervisor_proxy
from agentrt.actors.tool import ship_by_value
from agentrt.actors.transport import port_methods
from agentrt.cluster import parts
from agentrt.cluster.data_lock import hold_data_dir, holder_of
from agentrt.cluster.live import AUTH_HINT, read_record
from agentrt.cluster.settings import DEFAULT_NAMESPACE, ModelSettings
from agentrt.contracts import (
    ConfigError,
    Contract,
    DrainRuntime,
    EventRecorder,
    ManifestQuery,
    MemoryRef,
    ReplicaRef,
    RuntimeManifest,
    SupervisorRef,
    decode_as,
    encode,
)
from agentrt.memory import MemoryService
from agentrt.specialists.factory import build_specialist
from agentrt.specialists.roles import RoleCatalog, RoleSpec
from agentrt.supervisor.config import SupervisorConfig
from agentrt.supervisor.proposals import reach_of
from agentrt.supervisor.service import SupervisorService

if TYPE_CHECKING:
    from agentrt.cluster.client import Client
    from agentrt.cluster.local_runtime import LocalRuntime

__all__ = ["MEMORY_ACTOR", "SUPERVISOR_ACTOR", "Runtime", "RuntimeConfig", "connect", "replica_name"]

_log = structlog.get_logger(__name__)

Q = TypeVar("Q", bound=Contract)
R = TypeVar("R", bound=Contract)

SUPERVISOR_ACTOR = "agentrt-supervisor"
MEMORY_ACTOR = "agentrt-memory"
_REPLICA_PREFIX = "agentrt-"


def replica_name(role: str, index: int, fingerprint: str) -> str:
    """The actor name of a specialist replica built from the configuration ``fingerprint``."""
    return f"agentrt-{role}-{index}-{fingerprint}"


class RuntimeConfig(BaseModel):
    """Every part of the runtime, and where and how it runs.

    Parts are plain values or your own objects; objects travel to the actors that use
    them (they must pickle, as anything defined in a module or a script does).

    Attributes:
        address: Ray cluster to join (``auto``, ``host:6379``, ``ray://host:10001``); None joins the
            runtime ``agentrt serve`` keeps up for this data directory, else starts a local cluster.
        namespace: Ray namespace of the named actors.
        data_dir: Checkpoints, traces, memory, the write ledger and the outbox.
        model: The specialists' chat model: :class:`ModelSettings`, a provider spec (``offline``,
            ``openai:gpt-4.1-mini``: endpoint, key and prices from the settings), a ``ChatModel``
            object, or a factory returning one (called where the model runs).
        role_models: A model (same forms) per role name, over ``model``.
        policy: The policy of every specialist: the path of a policy file (YAML, see
            ``agentrt.actors.policy_file``; re-read when it changes), a ``PolicyGate``, or a factory
            ``(role: RoleSpec, tools: tuple[Tool, ...]) -> PolicyGate``; None applies the shipped policy
            file: reads run, writes wait for a person, no destination is taken from untrusted content.
        tools: Your own tools (made with ``agentrt.tool``); roles name them like built-in tools.
        tool_modules: Importable modules of your own tools: each exposes ``TOOLS``, a sequence of tools.
        roles: Your own roles (:class:`~agentrt.specialists.roles.RoleSpec`), added to the built-ins.
        roles_file: Roles to load from a JSON or YAML file.
        workflows: Workflow files to load.
        run_store: A factory ``(data_dir) -> RunStore`` of the supervisor's checkpoints and traces;
            None keeps them in SQLite under ``data_dir``.
        memory_store: A factory ``(MemoryConfig) -> service`` of the memory (the memory API, e.g. a
            :class:`~agentrt.memory.MemoryService` subclass); None uses the SQLite and FAISS memory.
        embedder: The memory's embedder: ``hashing`` (default, no model), ``minilm`` (the packaged
            all-MiniLM-L6-v2 sentence-transformers model, ``agentrt[minilm]``) or an embedder config.
        event_sinks: Where every trace event also goes (objects with ``async emit(event)``, or
            factories of them), besides the run store.
        metrics: The supervisor's metrics (a ``RuntimeMetrics`` object or class); None exports
            Ray metrics (Prometheus, the dashboard) on Ray and counts nothing locally.
        replicas: Replicas per role (default: each role's own).
        on_change: What joining a runtime that runs another configuration does: ``apply`` it
            (the running supervisor drains and is replaced, with new replicas), ``refuse`` with a
            ConfigError naming the differences, or ``join`` the running runtime as it is.
        drain_timeout_s: Longest wait for in-flight runs before the parts are replaced.
        detached: Actors outlive the client that created them; without, every actor this
            connection started is stopped when it shuts down (or its process exits).
        supervisor: Supervisor settings.
        num_cpus: Logical CPUs of a local cluster this runtime starts.
        include_dashboard: Start the Ray dashboard with a local cluster.
        spread: Spread specialist replicas over the nodes.
        service_resources: Custom Ray resources the memory and supervisor actors require, to pin
            them to a node (e.g. ``{"agentrt_head": 0.01}`` with the head started with that resource).
    """

    model_config = ConfigDict(frozen=True, extra="forbid", arbitrary_types_allowed=True)

    address: str | None = None
    namespace: str = DEFAULT_NAMESPACE
    data_dir: Path = Field(default_factory=lambda: Path.home() / ".agentrt")
    model: Any = ModelSettings()
    role_models: dict[str, Any] = Field(default_factory=dict)
    policy: Any = None
    tools: tuple[Tool, ...] = ()
    tool_modules: tuple[str, ...] = ()
    roles: tuple[RoleSpec, ...] = ()
    roles_file: Path | None = None
    workflows: tuple[Path, ...] = ()
    run_store: Any = None
    memory_store: Any = None
    embedder: Any = "hashing"
    event_sinks: tuple[Any, ...] = ()
    metrics: Any = None
    replicas: dict[str, int] = Field(default_factory=dict)
    on_change: Literal["apply", "refuse", "join"] = "apply"
    drain_timeout_s: float = Field(default=60.0, gt=0, le=3600)
    detached: bool = True
    supervisor: SupervisorConfig = SupervisorConfig()
    num_cpus: int | None = None
    include_dashboard: bool = True
    spread: bool = True
    service_resources: dict[str, float] = Field(default_factory=dict)

    @field_validator("model", mode="after")
    @classmethod
    def _model_spec(cls, value: object) -> object:
        return ModelSettings().from_spec(value) if isinstance(value, str) else value

    @field_validator("role_models", mode="after")
    @classmethod
    def _role_model_specs(cls, value: dict[str, object]) -> dict[str, object]:
        return {role: ModelSettings().from_spec(m) if isinstance(m, str) else m for role, m in value.items()}

    def role_catalog(self) -> RoleCatalog:
        """The role catalog: built-ins, the roles file, then ``roles``."""
        return parts.role_catalog(self)

    def manifest(self) -> RuntimeManifest:
        """Digests of every part (what a running runtime is compared by)."""
        return parts.manifest_of(self)

    def options(self, name: str, **extra: object) -> ActorOptions:
        """Actor options for one of the runtime's actors."""
        return ActorOptions(
            name=name,
            namespace=self.namespace,
            lifetime="detached" if self.detached else None,
            get_if_exists=True,
            max_restarts=-1,
            **extra,
        )


def _remote(handle: object) -> Any:
    """A service actor's handle, whose methods (``call``, ``ping``) Ray makes at run time."""
    return handle


def _client(name: str, namespace: str, keyring: KeyRing | None) -> ServiceClient:
    """A client of a named service actor, its calls signed as the runtime's own."""
    signer = Signer(keyring, RUNTIME) if keyring is not None else None
    return ServiceClient(RayTransport(ray.get_actor(name, namespace=namespace), signer=signer), label=name)


def _call_sync(
    handle: object, method: Callable[[Any, Q], Coroutine[Any, Any, R]], request: Q, keyring: KeyRing | None
) -> R:
    """Call a port method of the supervisor actor from synchronous code (``SupervisorRef.manifest``, ...)."""
    declared = port_methods(SupervisorRef)[method.__name__]
    payload = encode(request)
    credential = ""
    if keyring is not None and declared.name != "manifest":  # the manifest is open to any caller
        credential = keyring.credential(OPERATOR, declared.name, payload)
    reply = decode_as(ray.get(_remote(handle).call.remote(declared.name, payload, credential)), declared.reply)
    return cast(R, reply)


@dataclass(frozen=True)
class MemoryFactory:
    """Builds the memory service inside its actor."""

    config: RuntimeConfig

    def __call__(self) -> object:
        configure_logging()
        return build_memory(self.config)


def build_memory(config: RuntimeConfig) -> object:
    """The memory service of a configuration (the configured store, else SQLite and FAISS)."""
    memory_config = parts.memory_config(config)
    if config.memory_store is not None:
        return config.memory_store(memory_config)
    return MemoryService(memory_config)


def build_replica(
    config: RuntimeConfig,
    role: str,
    events: EventRecorder,
    memory: MemoryRef,
    agent_id: str,
    tools: tuple[Tool, ...] | None = None,
) -> object:
    """One specialist replica of a role, built from the configuration's parts (``tools``: the user's, resolved)."""
    spec = parts.role_catalog(config).get(role)
    catalog = parts.catalog_for(config, tools)
    missing = [name for name in spec.tools if name not in catalog]
    if missing:
        raise ConfigError(f"role {role} names unknown tools {missing}", role=role)
    tools = tuple(catalog[name] for name in spec.tools)
    return build_specialist(
        spec,
        parts.build_model(parts.role_model(config, role)),
        catalog=catalog,
        events=BatchingEventSink(events),
        memory=memory,
        policy=parts.build_policy(config, spec, tools),
        ledger_path=config.data_dir / "ledger.sqlite",
        agent_id=agent_id,
    )


@dataclass(frozen=True)
class SpecialistFactory:
    """Builds one specialist replica inside its actor."""

    config: RuntimeConfig
    role: str
    index: int
    fingerprint: str
    tools: tuple[Tool, ...]
    keyring: KeyRing | None = None

    def __call__(self) -> object:
        configure_logging()
        cfg = self.config
        node = ray.get_runtime_context().get_node_id()[:8]
        name = replica_name(self.role, self.index, self.fingerprint)
        return build_replica(
            cfg,
            self.role,
            recorder_proxy(_client(SUPERVISOR_ACTOR, cfg.namespace, self.keyring)),
            memory_proxy(_client(MEMORY_ACTOR, cfg.namespace, self.keyring)),
            f"{name}@{node}",
            self.tools,
        )


def _exists(name: str, namespace: str) -> bool:
    try:
        ray.get_actor(name, namespace=namespace)
    except ValueError:
        return False
    return True


async def _gone(name: str, namespace: str, timeout_s: float = 10.0) -> None:
    end = time.monotonic() + timeout_s
    while _exists(name, namespace) and time.monotonic() < end:
        await asyncio.sleep(0.05)


def _alive(node_id: str) -> bool:
    listed: list[dict[str, Any]] = ray.nodes()  # type: ignore[no-untyped-call]
    return any(n["NodeID"] == node_id and n.get("Alive") for n in listed)


def _spread_node(index: int) -> str | None:
    listed: list[dict[str, Any]] = ray.nodes()  # type: ignore[no-untyped-call]
    nodes = sorted(n["NodeID"] for n in listed if n.get("Alive") and n.get("Resources", {}).get("CPU", 0) > 0)
    return nodes[index % len(nodes)] if nodes else None


@dataclass
class RayReplicaSource:
    """Starts specialist replicas as named Ray actors (implements supervisor.pools.ReplicaSource)."""

    config: RuntimeConfig
    fingerprint: str
    tools: tuple[Tool, ...] = ()
    keyring: KeyRing | None = None
    handles: dict[tuple[str, int], ray.actor.ActorHandle[Any]] = field(default_factory=dict)

    async def start_replica(self, role: str, index: int) -> ReplicaRef:
        """Start (or find) the replica actor and return a client of it."""
        name = replica_name(role, index, self.fingerprint)
        # Room beyond the role's steps for the pings, lookups and drains that come meanwhile.
        steps = parts.role_catalog(self.config).get(role).concurrency
        options = self.config.options(name, max_concurrency=max(32, steps + 16))
        if self.config.spread:
            # Replica i goes to the i-th live node (round robin): Ray's own SPREAD is best effort
            # and may put a whole pool on one node.
            options = options.model_copy(update={"node_affinity": _spread_node(index)})
        if self.config.detached:
            # Replicas outlive a supervisor restart (a non-detached actor dies with its creator),
            # so the steps they run survive it; Runtime.stop_actors removes them.
            options = options.model_copy(update={"lifetime": "detached"})
        factory = SpecialistFactory(self.config, role, index, self.fingerprint, self.tools, self.keyring)
        existed = _exists(name, self.config.namespace)
        handle = spawn(factory, ReplicaRef, options, self.keyring)
        node = await _remote(handle).ping.remote()
        wanted = options.node_affinity
        if not existed and wanted is not None and node != wanted and _alive(wanted):
            # A soft affinity that fell back while the node lives: place the new replica once more.
            _log.warning("replica placed off its node; placing it again", replica=name, node=node, wanted=wanted)
            ray.kill(handle)
            await _gone(name, self.config.namespace)
            handle = spawn(factory, ReplicaRef, options, self.keyring)
            await _remote(handle).ping.remote()
        self.handles[(role, index)] = handle
        signer = Signer(self.keyring, RUNTIME) if self.keyring is not None else None
        return replica_proxy(ServiceClient(RayTransport(handle, signer=signer), label=name))

    async def stop_replica(self, role: str, index: int) -> None:
        """Stop the replica actor."""
        handle = self.handles.pop((role, index), None)
        if handle is not None:
            ray.kill(handle)


def build_supervisor(
    config: RuntimeConfig,
    source: object,
    memory: object,
    manifest: RuntimeManifest,
    default_metrics: object | None,
    tools: tuple[Tool, ...] | None = None,
) -> SupervisorService:
    """The supervisor service of a configuration over a replica source and a memory client.

    ``tools`` are the user's tools, resolved (None resolves them from the configuration).

    Raises:
        ConfigError: Another runtime's supervisor holds the data directory.
    """
    hold_data_dir(config.data_dir)
    roles = parts.role_catalog(config)
    sinks, metrics = parts.sinks_and_metrics(config)
    planner = parts.build_model(parts.role_model(config, "planner")) if config.supervisor.planner == "model" else None
    catalog = parts.catalog_for(config, tools)
    gates = {r.name: parts.build_policy(config, r, tuple(catalog[n] for n in r.tools if n in catalog)) for r in roles}
    return SupervisorService(
        parts.build_run_store(config),
        source,  # type: ignore[arg-type]
        roles=roles,
        workflows=parts.workflow_catalog(config),
        memory=memory,  # type: ignore[arg-type]
        config=config.supervisor,
        metrics=metrics if metrics is not None else default_metrics,  # type: ignore[arg-type]
        replicas=parts.replicas_of(config, roles),
        planner_model=planner,
        manifest=manifest,
        sinks=sinks,
        reach=reach_of(roles, {name: t.writes for name, t in catalog.items()}, gates),
        offline_roles=parts.offline_roles(config, roles),
    )


@dataclass(frozen=True)
class SupervisorFactory:
    """Builds the supervisor service inside its actor."""

    config: RuntimeConfig
    manifest: RuntimeManifest
    tools: tuple[Tool, ...]
    keyring: KeyRing | None = None

    def __call__(self) -> SupervisorService:
        from agentrt.cluster.metrics import RayMetrics  # noqa: PLC0415  (metric objects live in this process)

        configure_logging()
        cfg = self.config
        return build_supervisor(
            cfg,
            RayReplicaSource(cfg, self.manifest.fingerprint, self.tools, self.keyring),
            memory_proxy(_client(MEMORY_ACTOR, cfg.namespace, self.keyring)),
            self.manifest,
            RayMetrics(),
            self.tools,
        )


def _named_actors(namespace: str) -> list[str]:
    listed = ray.util.list_named_actors(all_namespaces=True)
    return [a["name"] for a in listed if a.get("namespace") == namespace]


def _replicas_in(namespace: str, keep_fingerprint: str | None = None) -> list[str]:
    services = {SUPERVISOR_ACTOR, MEMORY_ACTOR}
    return [
        n
        for n in _named_actors(namespace)
        if n.startswith(_REPLICA_PREFIX)
        and n not in services
        and (keep_fingerprint is None or not n.endswith(f"-{keep_fingerprint}"))
    ]


def _kill_named(names: list[str], namespace: str) -> None:
    for name in names:
        with contextlib.suppress(ValueError):
            ray.kill(ray.get_actor(name, namespace=namespace), no_restart=True)
    end = time.monotonic() + 30
    while time.monotonic() < end and set(names) & set(_named_actors(namespace)):
        time.sleep(0.1)


@dataclass
class Runtime:
    """A connection to the runtime's actors.

    Use it as a context manager, or call :meth:`shutdown` when done.
    """

    config: RuntimeConfig
    supervisor_handle: object
    memory_handle: object
    started_ray: bool
    manifest: RuntimeManifest
    created: tuple[str, ...] = ()
    notice: str = ""
    applied: tuple[str, ...] = ()
    keyring: KeyRing | None = None

    def __enter__(self) -> Runtime:
        return self

    def __exit__(self, kind: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None) -> None:
        self.shutdown()

    def _signer(self, principal: Principal) -> Signer | None:
        return Signer(self.keyring, principal) if self.keyring is not None else None

    @property
    def supervisor(self) -> SupervisorRef:
        """A client of the supervisor actor, acting as this runtime's operator."""
        transport = RayTransport(self.supervisor_handle, signer=self._signer(OPERATOR))  # type: ignore[arg-type]
        return supervisor_proxy(ServiceClient(transport, label=SUPERVISOR_ACTOR))

    def supervisor_for(self, tenant: str) -> SupervisorRef:
        """A client of the supervisor actor that acts for one tenant only (what a tenant's client uses)."""
        transport = RayTransport(self.supervisor_handle, signer=self._signer(Principal("tenant", tenant)))  # type: ignore[arg-type]
        return supervisor_proxy(ServiceClient(transport, label=SUPERVISOR_ACTOR))

    @property
    def memory(self) -> MemoryRef:
        """A client of the memory actor, acting as this runtime's operator."""
        transport = RayTransport(self.memory_handle, signer=self._signer(OPERATOR))  # type: ignore[arg-type]
        return memory_proxy(ServiceClient(transport, label=MEMORY_ACTOR))

    def client(self, tenant: str | None = None, user: str | None = None) -> Client:
        """A client of this runtime for a tenant and user (closing it leaves the runtime up)."""
        from agentrt.cluster.client import Client  # noqa: PLC0415  (the client imports this module lazily)

        return Client(tenant=tenant, user=user, runtime=self)

    def stop_actors(self) -> None:
        """Kill the runtime's actors: every specialist replica, the supervisor and the memory."""
        namespace = self.config.namespace
        _kill_named(_replicas_in(namespace), namespace)
        for handle in (self.supervisor_handle, self.memory_handle):
            with contextlib.suppress(Exception):
                ray.kill(_remote(handle), no_restart=True)

    def shutdown(self) -> None:
        """Disconnect; a local cluster this runtime started stops.

        Without ``detached``, the actors this connection created are stopped first.
        """
        if not self.config.detached and self.created and ray.is_initialized():
            self.stop_actors()
        if self.started_ray and ray.is_initialized():
            ray.shutdown()


def resolve_address(config: RuntimeConfig) -> tuple[str | None, str]:
    """Where to join: the configured address, ``RAY_ADDRESS``, else the served runtime of the data directory.

    Returns the address (None: start a local cluster) and where it came from.
    """
    if config.address:
        return config.address, "address"
    if os.environ.get("RAY_ADDRESS"):
        return os.environ["RAY_ADDRESS"], "RAY_ADDRESS"
    record = read_record(config.data_dir)
    if record is not None and record.namespace == config.namespace:
        return record.address, f"the runtime served from {config.data_dir}"
    return None, ""


def _present_token_if_any() -> None:
    """Join in token mode when a token is at hand and the mode is not set.

    A local cluster Ray starts turns token authentication on by default and keeps its token in
    ``~/.ray/auth_token``; a process joining it by address must present it, which Ray does not do
    by itself. A cluster without authentication admits a token-mode client too.
    """
    if os.environ.get("RAY_AUTH_MODE"):
        return
    from ray._private.authentication import authentication_token_setup  # noqa: PLC0415  (no public switch)

    authentication_token_setup.maybe_enable_token_auth_if_token_available(warn_if_disabled=False)


def _init_ray(config: RuntimeConfig) -> tuple[bool, str]:
    if ray.is_initialized():
        return False, ""
    address, origin = resolve_address(config)
    if address is not None:
        _present_token_if_any()
    local = {} if address else {"num_cpus": config.num_cpus, "include_dashboard": config.include_dashboard}
    try:
        ray.init(address=address, namespace=config.namespace, log_to_driver=False, **local)  # type: ignore[arg-type]
    except (ConnectionError, RuntimeError, ValueError, ray.exceptions.RayError) as exc:
        where = f"{address} (from {origin})" if address else "a local cluster"
        raise ConnectionError(f"cannot join Ray at {where}: {exc}; {AUTH_HINT}") from None
    if address is None:
        return (
            True,
            "no agentrt runtime is up: started a local Ray cluster for this process "
            "(`agentrt start` keeps one up for every command)",
        )
    return False, ""


def _running_manifest(handle: object, keyring: KeyRing | None) -> RuntimeManifest:
    try:
        return _call_sync(handle, SupervisorRef.manifest, ManifestQuery(), keyring)
    except Exception:  # noqa: BLE001  (a supervisor without manifests runs an unknown configuration)
        return RuntimeManifest(fingerprint="unknown")


def _reconcile(config: RuntimeConfig, wanted: RuntimeManifest, keyring: KeyRing) -> tuple[str, ...]:
    """Compare with a running supervisor; replace it when allowed. Returns the applied differences."""
    try:
        handle = ray.get_actor(SUPERVISOR_ACTOR, namespace=config.namespace)
    except ValueError:
        return ()
    if config.on_change == "join":
        return ()
    changes = parts.differences(_running_manifest(handle, keyring), wanted)
    if not changes:
        return ()
    blocked = parts.refused(changes) if config.on_change == "apply" else changes
    if blocked:
        why = "holds state" if config.on_change == "apply" else "on_change='refuse'"
        raise ConfigError(
            f"the runtime running in namespace {config.namespace!r} differs from this configuration "
            f"({why}): {'; '.join(blocked)}. Stop it (`agentrt stop`), use another namespace or data_dir, "
            "or join it as it is (on_change='join')",
            differences="; ".join(blocked),
        )
    with contextlib.suppress(Exception):
        _call_sync(handle, SupervisorRef.drain, DrainRuntime(timeout_s=config.drain_timeout_s), keyring)
    _kill_named([SUPERVISOR_ACTOR], config.namespace)
    return tuple(changes)


def connect(config: RuntimeConfig | None = None, *, local: bool = False) -> Runtime | LocalRuntime:
    """Wire the configured parts and return the runtime.

    Args:
        config: The runtime's parts and placement (defaults: offline model, built-in roles and tools).
        local: Build everything in this process over the in-process transport (no Ray): the same
            supervisor, specialists, tools, policy, memory and stores, for tests and notebooks.

    Raises:
        ConfigError: A part is malformed, or the running runtime differs in a part that cannot be
            replaced (or ``on_change="refuse"``); the message names every difference.
        ConnectionError: The Ray cluster cannot be joined; the message says what to try.
    """
    config = config or RuntimeConfig()
    if local:
        from agentrt.cluster.local_runtime import LocalRuntime  # noqa: PLC0415

        return LocalRuntime.start(config)
    return connect_ray(config)


def connect_ray(config: RuntimeConfig) -> Runtime:
    """Start or join Ray, reconcile with a running runtime, get or create its actors; wait until they answer."""
    wanted = config.manifest()  # malformed parts fail here, before anything starts
    started, notice = _init_ray(config)
    config.data_dir.mkdir(parents=True, exist_ok=True)
    config.data_dir.chmod(0o700)  # run state, memory and keys: readable by the runtime only
    if SUPERVISOR_ACTOR not in _named_actors(config.namespace):
        holder = holder_of(config.data_dir)
        if holder is not None:
            raise ConfigError(
                f"{config.data_dir} is in use by another agentrt runtime ({holder}), not this cluster's namespace "
                f"{config.namespace!r}: join that one (`agentrt start` keeps one up for every command, or give its "
                "address), or use another AGENTRT_DATA_DIR",
                data_dir=str(config.data_dir),
            )
    keyring = KeyRing.for_data_dir(config.data_dir)
    applied = _reconcile(config, wanted, keyring)
    before = set(_named_actors(config.namespace))
    pinned = {"resources": dict(config.service_resources)} if config.service_resources else {}
    memory = spawn(MemoryFactory(config), MemoryRef, config.options(MEMORY_ACTOR, max_concurrency=64, **pinned),
                   keyring)  # fmt: skip
    ray.get(_remote(memory).ping.remote())
    # The user's tools are resolved here and travel by value: a tool module need not be
    # installed on the nodes, and a changed module reaches new replicas.
    for module in parts.tool_module_objects(config):
        ray.cloudpickle.register_pickle_by_value(module)  # type: ignore[no-untyped-call]
        ship_by_value(module.__name__)
    supervisor = spawn(
        SupervisorFactory(config, wanted, parts.user_tools(config), keyring),
        SupervisorRef,
        config.options(SUPERVISOR_ACTOR, max_concurrency=256, **pinned),
        keyring,
        ("manifest",),  # what configuration runs is no tenant's data; a client of another data dir may ask
    )
    ray.get(_remote(supervisor).ping.remote())
    running = wanted if config.on_change != "join" else _running_manifest(supervisor, keyring)
    if SUPERVISOR_ACTOR not in before:
        # A new supervisor: replicas of any other configuration are stale.
        _kill_named(_replicas_in(config.namespace, keep_fingerprint=running.fingerprint), config.namespace)
    created = tuple(sorted({SUPERVISOR_ACTOR, MEMORY_ACTOR} - before))
    if notice:
        print(f"agentrt: {notice}", file=sys.stderr)
    return Runtime(config, supervisor, memory, started, running, created, notice, applied, keyring)
