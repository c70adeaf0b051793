"""agentrt actors: the actor host, models, the tool layer, the policy gate and the agent loop."""

from __future__ import annotations

from actors.host import ActorOptions, LocalTransport, RayTransport, ServiceClient, ServiceHost, Transport, spawn

__all__ = [
    "ActorOptions",
    "LocalTransport",
    "RayTransport",
    "ServiceClient",
    "ServiceHost",
    "Transport",
    "spawn",
]
