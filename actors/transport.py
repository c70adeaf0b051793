"""Typed calls to a service over a transport, and the in-process transport; no Ray here.

A service is a plain Python object that implements a port: a Protocol whose
methods each take one contract and return one contract (see
:func:`port_methods`). :class:`ServiceClient` calls it, encoding requests and
decoding replies with the msgpack codec, so nothing but contracts crosses the
boundary; the typed proxies of :mod:`agentrt.actors.proxy` call it by the port's
methods. A transport delivers only the port's methods, and only with the request
contract the port declares. :class:`LocalTransport` delivers to a service in this
process through the same codec, which is how services are tested (and embedded)
without Ray; :mod:`agentrt.actors.host` carries the same bytes to a Ray actor.
"""

from __future__ import annotations

import functools
import inspect
import typing
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Literal, Protocol, TypeVar, cast

from pydantic import BaseModel, ConfigDict, Field

from agentrt.contracts import Contract, ContractError, NotFound, decode, decode_as, encode

__all__ = ["ActorOptions", "LocalTransport", "PortMethod", "ServiceClient", "Transport", "dispatch", "port_methods"]

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
    """A node id to place the actor on while that node lives (spawn makes it a soft node affinity)."""
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


@dataclass(frozen=True)
class PortMethod:
    """One method of a service port: its name, request contract and reply contract."""

    name: str
    request: type[Contract]
    reply: type[Contract]


@functools.cache
def port_methods(port: type) -> Mapping[str, PortMethod]:
    """The service methods a port Protocol declares (inherited ones included).

    Raises:
        TypeError: ``port`` is not a Protocol, or a method does not take one contract and
            return one.
    """
    if not getattr(port, "_is_protocol", False):
        raise TypeError(f"{port.__name__} is not a Protocol")
    methods: dict[str, PortMethod] = {}
    for name in sorted(_members(port)):
        fn = getattr(port, name, None)
        if name.startswith("_") or not inspect.iscoroutinefunction(fn):
            raise TypeError(f"{port.__name__}.{name} is not an async method")
        hints = typing.get_type_hints(fn)
        params = [p for p in inspect.signature(fn).parameters if p != "self"]
        if len(params) != 1:
            raise TypeError(f"{port.__name__}.{name} must take one request contract, takes {params}")
        request, reply = hints.get(params[0]), hints.get("return")
        for kind, value in (("request", request), ("reply", reply)):
            if not (isinstance(value, type) and issubclass(value, Contract)):
                raise TypeError(f"{port.__name__}.{name}: its {kind} type {value!r} is not a contract")
        methods[name] = PortMethod(name, cast("type[Contract]", request), cast("type[Contract]", reply))
    return methods


def _members(port: type) -> set[str]:
    names: set[str] = set()
    for base in port.__mro__:
        if base in (typing.Protocol, typing.Generic, object) or not getattr(base, "_is_protocol", False):
            continue
        names.update(n for n in vars(base) if not n.startswith("_"))
    return names


async def dispatch(service: object, port: type, method: str, payload: bytes) -> bytes:
    """Decode a request, run the port method ``service.method`` on it (awaiting it when async), encode the reply.

    Raises:
        NotFound: The port has no such method (whatever else the service has).
        ContractError: The request is not the contract the method takes, or the method
            returned something that is not a contract.
    """
    declared = port_methods(port).get(method)
    if declared is None:
        raise NotFound(f"{port.__name__} has no method {method!r}", method=method)
    request = decode(payload)
    if not isinstance(request, declared.request):
        raise ContractError(f"{port.__name__}.{method} takes a {declared.request.__name__}, "
                            f"not {type(request).__name__}", method=method)  # fmt: skip
    fn = getattr(service, method, None)
    if fn is None or not callable(fn):
        raise NotFound(f"{type(service).__name__} does not implement {port.__name__}.{method}", method=method)
    result = fn(request)
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
    """Calls a service in this process, through the codec, as an actor would be called.

    Args:
        service: The service object.
        port: The port Protocol it serves; only its methods are delivered.
    """

    service: object
    port: type

    async def send(self, method: str, payload: bytes) -> bytes:
        """Deliver a request in-process."""
        return await dispatch(self.service, self.port, method, payload)

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
