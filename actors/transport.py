"""Typed calls to a service over a transport, and the in-process transport; no Ray here.

A service is a plain Python object whose public methods take one contract and
return one contract (sync or async). :class:`ServiceClient` calls it, encoding
requests and decoding replies with the msgpack codec, so nothing but contracts
crosses the boundary. :class:`LocalTransport` delivers to a service in this
process through the same codec, which is how services are tested (and embedded)
without Ray; :mod:`agentrt.actors.host` carries the same bytes to a Ray actor.
"""

from __future__ import annotations

import inspect
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Literal, Protocol, TypeVar

from pydantic import BaseModel, ConfigDict, Field

from agentrt.contracts import Contract, ContractError, NotFound, decode, decode_as, encode

__all__ = ["ActorOptions", "LocalTransport", "ServiceClient", "Transport", "dispatch"]

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
    node_affinity: str | None = None
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
        if self.node_affinity is not None:
            # Soft: the actor goes to that node while it is alive, elsewhere once it is gone.
            from ray.util.scheduling_strategies import NodeAffinitySchedulingStrategy

            opts["scheduling_strategy"] = NodeAffinitySchedulingStrategy(self.node_affinity, soft=True)
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


async def dispatch(service: object, method: str, payload: bytes) -> bytes:
    """Decode a request, run ``service.method`` on it (awaiting it when async) and encode the reply contract.

    Raises:
        NotFound: The service has no such public method.
        ContractError: The method returned something that is not a contract.
    """
    request = decode(payload)
    result = _public_method(service, method)(request)
    if inspect.isawaitable(result):
        result = await result
    if not isinstance(result, Contract):
        raise ContractError(f"{type(service).__name__}.{method} returned {type(result).__name__}, not a contract")
    return encode(result)


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
        return await dispatch(self.service, method, payload)

    async def ready(self) -> None:
        """An in-process service is always ready."""


@dataclass
class ServiceClient:
    """Typed calls to a service over a transport."""

    transport: Transport
    label: str = field(default="service")

    async def call(self, method: str, request: Contract, expect: type[T]) -> T:
        """Send ``request`` to ``method`` and decode a reply of type ``expect``."""
        reply = await self.transport.send(method, encode(request))
        return decode_as(reply, expect)
