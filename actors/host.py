"""The actor host: runs any service object as a Ray actor, with the codec at the boundary.

:func:`spawn` starts a service (see :mod:`agentrt.actors.transport`) as a Ray
actor; :class:`RayTransport` carries encoded requests to it, so a
:class:`~agentrt.actors.transport.ServiceClient` calls an actor exactly as it
calls a service in this process. This module and ``agentrt.cluster`` are the
only places that import Ray.
"""

from __future__ import annotations

import asyncio
import inspect
import os
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import ray
from ray.util.scheduling_strategies import NodeAffinitySchedulingStrategy

from agentrt.actors.credentials import KeyRing, Signer, acting
from agentrt.actors.transport import ActorOptions, LocalTransport, ServiceClient, Transport, dispatch, port_methods
from agentrt.contracts import ActorLost

__all__ = [
    "ActorOptions",
    "LocalTransport",
    "RayTransport",
    "ServiceClient",
    "ServiceHost",
    "Transport",
    "spawn",
]


class ServiceHost:
    """The Ray actor class that hosts one service object.

    Args:
        factory: Builds the service inside the actor process (re-run on restart).
        port: The port Protocol the service implements; the actor answers only its methods.
        keyring: With one, every call must carry a valid credential (see
            :mod:`agentrt.actors.credentials`); the service sees its principal.
        open_methods: Methods anyone may call without a credential (what holds no tenant's data).
    """

    def __init__(
        self, factory: Callable[[], object], port: type, keyring: KeyRing | None = None,
        open_methods: tuple[str, ...] = (),
    ) -> None:  # fmt: skip
        port_methods(port)  # a port that is not one fails here, in the caller's spawn
        os.umask(0o077)  # what a service writes (stores, ledgers, outboxes) is readable by the runtime only
        self._keyring = keyring
        self._open = frozenset(open_methods)
        self._service = factory()
        self._port = port
        self._start_task: asyncio.Future[Any] | None = None

    async def call(self, method: str, payload: bytes, credential: str = "") -> bytes:
        """Verify the caller, decode a request, run the port method ``service.method`` on it, encode the reply.

        Raises:
            ForgedIdentity: The actor authenticates calls and this one's credential is missing or forged.
        """
        principal = None
        if self._keyring is not None and not (method in self._open and not credential):
            principal = self._keyring.verify(credential, method, payload)
        await self._ensure_started()
        with acting(principal):
            return await dispatch(self._service, self._port, method, payload)

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


def spawn(
    factory: Callable[[], object], port: type, options: ActorOptions | None = None, keyring: KeyRing | None = None,
    open_methods: tuple[str, ...] = (),
) -> ray.actor.ActorHandle[Any]:
    """Start ``factory()`` as a service actor serving ``port`` and return its Ray handle.

    With a ``keyring`` the actor takes only calls with a valid credential, except to ``open_methods``.

    Raises:
        TypeError: ``port`` is not a service port (see :func:`~agentrt.actors.transport.port_methods`).
    """
    port_methods(port)
    options = options or ActorOptions()
    opts = options.ray_options()
    if options.node_affinity is not None:
        # Soft: the actor goes to that node while it is alive, elsewhere once it is gone.
        opts["scheduling_strategy"] = NodeAffinitySchedulingStrategy(options.node_affinity, soft=True)
    remote: Any = _REMOTE_HOST  # ray.remote's stubs do not type .options(...).remote(...)
    handle: ray.actor.ActorHandle[Any] = remote.options(**opts).remote(factory, port, keyring, open_methods)
    return handle


@dataclass
class RayTransport:
    """Calls a service actor through its Ray handle."""

    handle: ray.actor.ActorHandle[Any]
    timeout_s: float | None = None
    signer: Signer | None = None

    async def send(self, method: str, payload: bytes) -> bytes:
        """Deliver a request to the actor (with the signer's credential); re-raise the service's own error type."""
        actor: Any = self.handle  # actor methods are made at run time
        ref = actor.call.remote(method, payload, self.signer.sign(method, payload) if self.signer else "")
        try:
            reply: bytes = await (ref if self.timeout_s is None else asyncio.wait_for(ref, self.timeout_s))
            return reply
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
                actor: Any = self.handle
                await asyncio.wait_for(actor.ping.remote(), max(0.1, end - loop.time()))
                return
            except (ray.exceptions.RayActorError, TimeoutError) as exc:
                if loop.time() >= end:
                    raise ActorLost(f"actor did not come back within {timeout_s}s", cause=type(exc).__name__) from None
                await asyncio.sleep(0.2)
