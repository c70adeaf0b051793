"""The runtime in one process: the same parts as on Ray, over the in-process transport.

``connect(config, local=True)`` returns a :class:`LocalRuntime`: the supervisor, one
specialist per replica, the memory, the stores and the sinks, all built from the
configuration exactly as the actors build them, and called through the codec
(every request and reply is encoded and decoded as it would be between actors).
The services run on one private event loop thread, so any number of clients,
sync or async, can use the runtime at once::

    with connect(RuntimeConfig(tools=(lookup_order,), roles=(billing,)), local=True) as runtime:
        with runtime.client(tenant="acme") as client:
            state = client.submit("Refund order 42").result(timeout=60)
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Coroutine
from dataclasses import dataclass, field
from types import TracebackType
from typing import TYPE_CHECKING, Any, TypeVar

from agentrt.actors.proxy import memory_proxy, recorder_proxy, replica_proxy, supervisor_proxy
from agentrt.actors.transport import LocalTransport, ServiceClient, dispatch
from agentrt.cluster._loop import LoopThread
from agentrt.cluster.data_lock import holder_of, release_data_dir
from agentrt.contracts import ConfigError, EventRecorder, MemoryRef, ReplicaRef, RuntimeManifest, SupervisorRef

if TYPE_CHECKING:
    from agentrt.cluster.client import Client
    from agentrt.cluster.runtime import RuntimeConfig
    from agentrt.supervisor.service import SupervisorService

__all__ = ["LocalRuntime", "LocalService", "LoopTransport", "serve_locally"]

T = TypeVar("T")


@dataclass
class LoopTransport:
    """Delivers requests to an in-process service on the event loop it lives on, from any thread or loop."""

    service: object
    port: type
    loop: asyncio.AbstractEventLoop

    async def send(self, method: str, payload: bytes) -> bytes:
        """Run the call on the service's loop and await its reply here."""
        future = asyncio.run_coroutine_threadsafe(dispatch(self.service, self.port, method, payload), self.loop)
        return await asyncio.wrap_future(future)

    async def ready(self) -> None:
        """An in-process service is always ready."""


async def _stop_tasks(service: object) -> None:
    tasks = [t for t in asyncio.all_tasks() if t is not asyncio.current_task()]
    for task in tasks:
        task.cancel()
    await asyncio.gather(*tasks, return_exceptions=True)
    stop = getattr(service, "stop", None)
    if stop is not None:
        await stop()


@dataclass
class LocalService:
    """One service object on a private event loop thread, callable from any thread or loop."""

    service: object
    port: type
    loop: LoopThread
    label: str = "service"

    @property
    def client(self) -> ServiceClient:
        """A client of the service's port (through the codec, as an actor is called)."""
        return ServiceClient(LoopTransport(self.service, self.port, self.loop.loop), label=self.label)

    def close(self) -> None:
        """Cancel the service's tasks, stop it (if it has ``stop``) and end the loop."""
        if not self.loop.closed:
            self.loop.run(_stop_tasks(self.service))
            self.loop.close()


def serve_locally(build: Callable[[], object], port: type, label: str = "service") -> LocalService:
    """Build a service on a private event loop thread (so its tasks live there) and return it served on ``port``."""
    loop = LoopThread(name=f"agentrt-local-{label}")

    async def make() -> object:
        return build()

    return LocalService(loop.run(make()), port, loop, label)


@dataclass
class _LocalReplicas:
    """Replicas built in this process from the configuration (a ``ReplicaSource``)."""

    config: RuntimeConfig
    memory: MemoryRef
    events: list[EventRecorder] = field(default_factory=list)
    live: dict[tuple[str, int], object] = field(default_factory=dict)

    async def start_replica(self, role: str, index: int) -> ReplicaRef:
        from agentrt.cluster.runtime import build_replica  # noqa: PLC0415  (runtime imports this module lazily)

        key = (role, index)
        if key not in self.live:
            self.live[key] = build_replica(self.config, role, self.events[0], self.memory, f"local-{role}-{index}")
        return replica_proxy(ServiceClient(LocalTransport(self.live[key], ReplicaRef), label=f"{role}-{index}"))

    async def stop_replica(self, role: str, index: int) -> None:
        self.live.pop((role, index), None)


@dataclass
class LocalRuntime:
    """The runtime's parts as objects in this process; use as a context manager or call :meth:`shutdown`."""

    config: RuntimeConfig
    manifest: RuntimeManifest
    service: SupervisorService
    memory_service: object
    loop: LoopThread
    notice: str = ""
    applied: tuple[str, ...] = ()

    @classmethod
    def start(cls, config: RuntimeConfig) -> LocalRuntime:
        """Build every part from ``config`` on a private event loop thread."""
        from agentrt.cluster.runtime import build_memory, build_supervisor  # noqa: PLC0415

        manifest = config.manifest()
        holder = holder_of(config.data_dir)
        if holder is not None:
            raise ConfigError(
                f"{config.data_dir} is in use by another agentrt runtime ({holder}); give this one its own data_dir",
                data_dir=str(config.data_dir),
            )
        config.data_dir.mkdir(parents=True, exist_ok=True)
        config.data_dir.chmod(0o700)  # run state, memory and keys: readable by the runtime only
        loop = LoopThread(name="agentrt-local-runtime")

        async def build() -> tuple[SupervisorService, object]:
            memory_service = build_memory(config)
            start = getattr(memory_service, "start", None)
            if start is not None:
                await start()
            memory = memory_proxy(ServiceClient(LocalTransport(memory_service, MemoryRef), label="memory"))
            replicas = _LocalReplicas(config, memory)
            service = build_supervisor(config, replicas, memory, manifest, None)
            replicas.events.append(
                recorder_proxy(ServiceClient(LocalTransport(service, SupervisorRef), label="supervisor"))
            )
            await service.start()
            return service, memory_service

        try:
            service, memory_service = loop.run(build())
        except BaseException:
            loop.run(_stop_tasks(None))  # the memory's sweep may have started before a part failed
            loop.close()
            release_data_dir(config.data_dir)
            raise
        return cls(config, manifest, service, memory_service, loop)

    def __enter__(self) -> LocalRuntime:
        return self

    def __exit__(self, kind: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None) -> None:
        self.shutdown()

    def run(self, coro: Coroutine[Any, Any, T]) -> T:
        """Run a coroutine on the runtime's loop (where its services live) and return its result."""
        return self.loop.run(coro)

    @property
    def supervisor(self) -> SupervisorRef:
        """A client of the supervisor service, usable from any thread or event loop."""
        return supervisor_proxy(
            ServiceClient(LoopTransport(self.service, SupervisorRef, self.loop.loop), label="supervisor")
        )

    @property
    def memory(self) -> MemoryRef:
        """A client of the memory service, usable from any thread or event loop."""
        return memory_proxy(
            ServiceClient(LoopTransport(self.memory_service, MemoryRef, self.loop.loop), label="memory")
        )

    def client(self, tenant: str | None = None, user: str | None = None) -> Client:
        """A client of this runtime for a tenant and user (closing it leaves the runtime up)."""
        from agentrt.cluster.client import Client  # noqa: PLC0415

        return Client(tenant=tenant, user=user, runtime=self)

    def shutdown(self) -> None:
        """Stop the runs' tasks, the memory and the loop; checkpoints stay in the data directory."""
        if not self.loop.closed:
            self.loop.run(_stop_tasks(self.memory_service))
            self.loop.run(self.service.stop())  # the run store commits what it holds
            self.loop.close()
        release_data_dir(self.config.data_dir)
