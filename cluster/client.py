"""The Python client: submit goals, follow runs, decide approvals, scale pools.

::

    from agentrt.cluster import Client

    client = Client(tenant="acme")                       # starts or joins Ray (RAY_ADDRESS)
    run = client.submit("Prepare the weekly sales summary and draft the mail to the team",
                        data=["sales.csv", "metrics.md"])
    for event in run.events():                           # live, until the run ends
        print(event.type, event.data)
    state = run.result(timeout=600)                      # raises RunFailed, RunCancelled or ResultTimeout
    print(state.output)

The synchronous client runs the asynchronous one (:class:`~agentrt.cluster.async_client.AsyncClient`)
on a private event loop thread; use that one directly from async code.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from pathlib import Path
from types import TracebackType

from agentrt.cluster._loop import LoopThread
from agentrt.cluster.async_client import AsyncClient, AsyncRunHandle, SupervisorLink
from agentrt.contracts import Ack, Attachment, Budget, Goal, RunEvent, RunState, RunSummary, SupervisorRef

__all__ = ["Client", "RunHandle"]


class RunHandle:
    """One run, seen through a synchronous :class:`Client`."""

    def __init__(self, inner: AsyncRunHandle, loop: LoopThread) -> None:
        self._inner = inner
        self._loop = loop

    def __repr__(self) -> str:
        return f"RunHandle(run_id={self.run_id!r}, tenant={self.tenant!r})"

    @property
    def run_id(self) -> str:
        """The run's id."""
        return self._inner.run_id

    @property
    def tenant(self) -> str:
        """The tenant owning the run."""
        return self._inner.tenant

    def status(self) -> RunState:
        """The run's current state."""
        return self._loop.run(self._inner.status())

    def events(self, after_seq: int = -1) -> Iterator[RunEvent]:
        """Yield trace events as they are recorded, until the run ends."""
        return self._loop.iterate(self._inner.events(after_seq))

    def trace(self) -> list[RunEvent]:
        """Every trace event recorded so far, in order."""
        return self._loop.run(self._inner.trace())

    def result(self, timeout: float | None = None) -> RunState:
        """Wait for the run to end and return its final state.

        Raises:
            RunFailed: The run ended FAILED.
            RunCancelled: The run was cancelled.
            ResultTimeout: The run had not ended within ``timeout`` seconds; it goes on.
        """
        return self._loop.run(self._inner.result(timeout))

    def cancel(self, reason: str = "") -> RunSummary:
        """Cancel the run."""
        return self._loop.run(self._inner.cancel(reason))


class Client:
    """Talks to the agentrt supervisor for one tenant and user (synchronous).

    Args:
        address: Ray cluster to join; None uses ``RAY_ADDRESS``, else the runtime ``agentrt serve``
            keeps up for the data directory, else starts a local cluster.
        tenant: Tenant the client acts for (``AGENTRT_TENANT`` or ``default`` when None).
        user: User the client acts as (``AGENTRT_USER`` or the login name when None).
        runtime: An already connected runtime; the client does not shut it down.
        supervisor: A client of the supervisor service to use directly.
        operator: Act as the runtime's operator (pool scaling, draining), not for the tenant only.
    """

    def __init__(
        self,
        address: str | None = None,
        tenant: str | None = None,
        user: str | None = None,
        runtime: SupervisorLink | None = None,
        supervisor: SupervisorRef | None = None,
        operator: bool = False,
    ) -> None:
        self.aio = AsyncClient(address, tenant, user, runtime, supervisor, operator)
        self._loop = LoopThread()

    def __enter__(self) -> Client:
        return self

    def __exit__(self, kind: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None) -> None:
        self.close()

    @property
    def tenant(self) -> str:
        """The tenant the client acts for."""
        return self.aio.tenant

    @property
    def user(self) -> str:
        """The user the client acts as."""
        return self.aio.user

    def close(self) -> None:
        """Stop the client's event loop and release a runtime connection it opened."""
        self._loop.close()
        self.aio.close()

    def submit(
        self,
        goal: str | Goal,
        data: Iterable[Path | str | Attachment] = (),
        workflow: str | None = None,
        constraints: Iterable[str] = (),
        acceptance: Iterable[str] = (),
        budget: Budget | None = None,
    ) -> RunHandle:
        """Submit a goal (text plus files to attach, or a ready :class:`Goal`) and return a handle on its run."""
        inner = self._loop.run(self.aio.submit(goal, data, workflow, constraints, acceptance, budget))
        return RunHandle(inner, self._loop)

    def run(self, run_id: str) -> RunHandle:
        """A handle on an existing run of this client's tenant."""
        return RunHandle(self.aio.run(run_id), self._loop)

    def runs(self) -> tuple[RunSummary, ...]:
        """The tenant's runs, newest first."""
        return self._loop.run(self.aio.runs())

    def approve(self, request_id: str, reason: str = "") -> RunSummary:
        """Approve a pending approval request."""
        return self._loop.run(self.aio.approve(request_id, reason))

    def reject(self, request_id: str, reason: str) -> RunSummary:
        """Reject a pending approval request."""
        return self._loop.run(self.aio.reject(request_id, reason))

    def answer(self, run_id: str, request_id: str, text: str) -> RunSummary:
        """Answer a run's clarifying question."""
        return self._loop.run(self.aio.answer(run_id, request_id, text))

    def scale(self, role: str, replicas: int) -> Ack:
        """Set the number of replicas of a specialist role's pool."""
        return self._loop.run(self.aio.scale(role, replicas))
