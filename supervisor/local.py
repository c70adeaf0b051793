"""The in-process replica source: specialists built as objects in this process (tests, embedded use)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

from agentrt.contracts import SpecialistRef

__all__ = ["LocalReplicaSource"]


@dataclass
class LocalReplicaSource:
    """Builds replicas with ``build(role, index)`` and keeps them in this process.

    Args:
        build: Returns the specialist for a role's replica ``index``.
    """

    build: Callable[[str, int], SpecialistRef]
    replicas: dict[tuple[str, int], SpecialistRef] = field(default_factory=dict)

    async def start_replica(self, role: str, index: int) -> SpecialistRef:
        """Build (or return the already built) replica."""
        key = (role, index)
        if key not in self.replicas:
            self.replicas[key] = self.build(role, index)
        return self.replicas[key]

    async def stop_replica(self, role: str, index: int) -> None:
        """Forget a replica."""
        self.replicas.pop((role, index), None)
