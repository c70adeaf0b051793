"""The actor host: runs any service object as a Ray actor, with the codec at the boundary.

A service is a plain Python object whose public methods take one contract and
return one contract (sync or async). :func:`spawn` starts it as a Ray actor;
:class:`ServiceClient` calls it, encoding requests and decoding replies with the
msgpack codec, so nothing but contracts crosses the boundary. The same client
works against a service in this process (:class:`LocalTransport`), which is how
services are unit-tested without Ray.
"""

from __future__ import annotations

import asyncio
import inspect
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Literal, Protocol, TypeVar

import ray
from pydantic import BaseModel, ConfigDict, Field

from contracts import ActorLost, Contract, ContractError, NotFound, decode, decode_as, encode

__all__ = [
    "ActorOptions",
    "LocalTransport",
    "RayTransport",
    "ServiceClient",
    "ServiceHost",
    "Transport",
    "spawn",
]

T = TypeVar("T", bound=Contract)


class ActorOptions(BaseModel):
    """Ray options for one service actor."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    name: str | None = None
    namespace: str | None = None
    num_cpus: float = Field(default=0.0, ge=0)
    max_restarts: int = Field(default=-1, ge=-1)
    max_task_retries: int = Field(default=0, ge=-1)
    max_concurrency: int = Field(default=64, ge=1)
    lifetime: Literal["detached", "non_detached"] | None = None
    get_if_exists: bool = False
    scheduling_strategy: str | None = None
    resources: dict[str, float] = Field(default_factory=dict)

    def ray_options(self) -> dict[str, Any]:
        """Return the keyword options for ``ActorClass.options``."""
        opts: dict[str, Any] = {
            "num_cpus": self.num_cpus,
            "max_restarts": self.max_restarts,
            "max_task_retries": self.max_task_retries,
            "max_concurrency": self.max_concurrency,
        }
        for key in ("name", "namespace", "lifetime", "scheduling_strategy"):
            value = getattr(self, key)
            if value is not None:
                opts[key] = value
        if self.resources:
            opts["resources"] = dict(self.resources)
        if self.get_if_exists:
            opts["get_if_exists"] = True
        return opts


def _public_method(service: object, method: str) -> Callable[[Contract], Any]:
    if method.startswith("_"):
        raise NotFound(f"{type(service).__name__} has no public method {method!r}", method=method)
    fn = getattr(service, method, None)
    if fn is None or not callable(fn):
        raise NotFound(f"{type(service).__name__} has no public method {method!r}", method=method)
    return fn  # type: ignore[no-any-return]


async def _dispatch(service: object, method: str, payload: bytes) -> bytes:
    request = decode(payload)
    result = _public_method(service, method)(request)
    if inspect.isawaitable(result):
        result = await result
    if not isinstance(result, Contract):
        raise ContractError(f"{type(service).__name__}.{method} returned {type(result).__name__}, not a contract")
    return encode(result)


class ServiceHost:
    """The Ray actor class that hosts one service object.

    Args:
        factory: Builds the service inside the actor process (re-run on restart).
    """

    def __init__(self, factory: Callable[[], object]) -> None:
        self._service = factory()
        self._start_task: asyncio.Future[Any] | None = None

    async def call(self, method: str, payload: bytes) -> bytes:
        """Decode a request, run ``service.method`` on it and encode the reply."""
        await self._ensure_started()
        return await _dispatch(self._service, method, payload)

    async def ping(self) -> str:
        """Liveness probe; returns the id of the node the actor runs on."""
        await self._ensure_started()
        return str(ray.get_runtime_context().get_node_id())

    async def _ensure_started(self) -> None:
        # A service may need its event loop to start (background sweeps, resumes);
        # every call waits on the same start so it runs once.
        start = getattr(self._service, "start", None)
        if start is None or not inspect.iscoroutinefunction(start):
            return
        if self._start_task is None:
            self._start_task = asyncio.ensure_future(start())
        await self._start_task


_REMOTE_HOST = ray.remote(ServiceHost)


def spawn(factory: Callable[[], object], options: ActorOptions | None = None) -> ray.actor.ActorHandle:
    """Start ``factory()`` as a service actor and return its Ray handle."""
    opts = (options or ActorOptions()).ray_options()
    return _REMOTE_HOST.options(**opts).remote(factory)  # type: ignore[attr-defined,no-any-return]


class Transport(Protocol):
    """Carries an encoded request to a service and brings back the encoded reply."""

    async def send(self, method: str, payload: bytes) -> bytes:
        """Deliver a request."""
        ...

    async def ready(self) -> None:
        """Return once the service can take requests."""
        ...


@dataclass
class LocalTransport:
    """Calls a service in this process, through the codec, as an actor would be called."""

    service: object

    async def send(self, method: str, payload: bytes) -> bytes:
        """Deliver a request in-process."""
        return await _dispatch(self.service, method, payload)

    async def ready(self) -> None:
        """An in-process service is always ready."""


@dataclass
class RayTransport:
    """Calls a service actor through its Ray handle."""

    handle: ray.actor.ActorHandle
    timeout_s: float | None = None

    async def send(self, method: str, payload: bytes) -> bytes:
        """Deliver a request to the actor; re-raise the service's own error type."""
        ref = self.handle.call.remote(method, payload)
        try:
            if self.timeout_s is None:
                return await ref  # type: ignore[no-any-return]
            return await asyncio.wait_for(ref, self.timeout_s)  # type: ignore[arg-type]
        except ray.exceptions.RayTaskError as exc:
            cause = exc.cause
            if isinstance(cause, BaseException):
                raise cause from None
            raise
        except ray.exceptions.RayActorError as exc:
            raise ActorLost(f"actor serving {method!r} was lost: {type(exc).__name__}", method=method) from None

    async def ready(self, timeout_s: float = 60.0) -> None:
        """Wait until the actor answers (after a restart, its constructor has run again)."""
        loop = asyncio.get_running_loop()
        end = loop.time() + timeout_s
        while True:
            try:
                await asyncio.wait_for(self.handle.ping.remote(), max(0.1, end - loop.time()))  # type: ignore[arg-type]
                return
            except (ray.exceptions.RayActorError, TimeoutError) as exc:
                if loop.time() >= end:
                    raise ActorLost(f"actor did not come back within {timeout_s}s", cause=type(exc).__name__) from None
                await asyncio.sleep(0.2)


@dataclass
class ServiceClient:
    """Typed calls to a service over a transport."""

    transport: Transport
    label: str = field(default="service")

    async def call(self, method: str, request: Contract, expect: type[T]) -> T:
        """Send ``request`` to ``method`` and decode a reply of type ``expect``."""
        reply = await self.transport.send(method, encode(request))
        return decode_as(reply, expect)
