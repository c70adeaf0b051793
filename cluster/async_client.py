"""The asynchronous Python client: submit goals, follow runs, decide approvals, scale pools.

::

    client = AsyncClient(tenant="acme")                  # starts or joins Ray (RAY_ADDRESS)
    run = await client.submit("Prepare the weekly sales summary", data=["sales.csv", "metrics.md"])
    async for event in run.events():                     # live, until the run ends
        print(event.type, event.data)
    state = await run.result(timeout=600)                # RunFailed / RunCancelled / ResultTimeout

Every call is one typed request to the supervisor service (through its port,
``SupervisorRef``); the tenant and user of the client go with each of them. Waiting is
pushed, not polled: ``result()`` is a long poll (``SupervisorRef.wait``) the supervisor
answers when the run ends, and ``events()`` asks for the next page with ``wait_s``, answered
as soon as an event is appended.
"""

from __future__ import annotations

import asyncio
import os
import time
from collections.abc import AsyncIterator, Iterable
from pathlib import Path
from typing import Protocol, TypeVar

from pydantic import TypeAdapter, ValidationError

from agentrt.cluster.attachments import attachment_from_path
from agentrt.cluster.settings import settings_from_env
from agentrt.contracts import (
    TERMINAL_STATUSES,
    Ack,
    ApprovalDecision,
    Attachment,
    Budget,
    CancelRun,
    ClarificationAnswer,
    Contract,
    ContractError,
    EventsQuery,
    Goal,
    ResultTimeout,
    RunCancelled,
    RunEvent,
    RunFailed,
    RunQuery,
    RunState,
    RunStatus,
    RunSummary,
    ScalePool,
    SupervisorRef,
    TenantId,
    UserId,
    WaitQuery,
)

__all__ = ["AsyncClient", "AsyncRunHandle", "SupervisorLink"]

C = TypeVar("C", bound=Contract)

_PAGE = 1000
_TENANT: TypeAdapter[str] = TypeAdapter(TenantId)
_USER: TypeAdapter[str] = TypeAdapter(UserId)
_HOLD_S = 30.0  # longest one long poll is held; a client waiting longer asks again
_BUSY_MIN_S = 0.05
_BUSY_MAX_S = 1.0


class SupervisorLink(Protocol):
    """A connected runtime: whatever holds a client of the supervisor service (``agentrt.cluster.runtime.Runtime``)."""

    @property
    def supervisor(self) -> SupervisorRef:
        """The supervisor service."""
        ...

    def shutdown(self) -> None:
        """Release what the connection holds."""
        ...


def _build(cls: type[C], **fields: object) -> C:
    try:
        return cls.model_validate(fields)
    except ValidationError as exc:
        first = exc.errors()[0]
        where = ".".join(str(p) for p in first["loc"]) or cls.__name__
        raise ContractError(
            f"invalid {cls.__name__}: {where}: {first['msg']}; fix the value and retry", what=where
        ) from None


def _checked_id(adapter: TypeAdapter[str], value: str, what: str) -> str:
    try:
        return adapter.validate_python(value)
    except ValidationError:
        raise ContractError(
            f"invalid {what} {value!r}: use letters, digits and _ . : @ - (starting with a letter or digit)", what=what
        ) from None


def _connect(address: str | None) -> SupervisorLink:
    # Imported here: joining a cluster is only needed when no supervisor was handed in.
    from agentrt.cluster.runtime import RuntimeConfig, connect  # noqa: PLC0415

    # A plain client joins whatever runtime is up (served for this data directory, or at the address)
    # as it is; only a client given a configuration asks for its parts.
    fields = settings_from_env(os.environ).runtime_fields() | {"on_change": "join"}
    if address is not None:
        fields["address"] = address
    return connect(RuntimeConfig(**fields))


def _waiting_hint(state: RunState) -> str:
    if state.status == RunStatus.WAITING_APPROVAL and state.pending_approvals:
        ids = ", ".join(r.id for r in state.pending_approvals)
        first = state.pending_approvals[0].id
        return f"; it waits for approval of {ids}: `agentrt approve {first}` (or --reject) or client.approve({first!r})"
    if state.status == RunStatus.WAITING_INPUT and state.pending_question is not None:
        q = state.pending_question
        return f"; it asks {q.question!r}: `agentrt answer {state.run_id} {q.id} TEXT` or client.answer(...)"
    return ""


class AsyncRunHandle:
    """One run, seen by the client that submitted or found it.

    Args:
        client: The client to call through.
        run_id: The run.
        tenant: The tenant owning the run.
        submitted: The supervisor's answer to the submission, when this handle comes from one.
    """

    def __init__(self, client: AsyncClient, run_id: str, tenant: str, submitted: RunSummary | None = None) -> None:
        self._client = client
        self.run_id = run_id
        self.tenant = tenant
        self.submitted = submitted

    def __repr__(self) -> str:
        return f"AsyncRunHandle(run_id={self.run_id!r}, tenant={self.tenant!r})"

    async def status(self) -> RunState:
        """The run's current state."""
        return await self._client.supervisor.status(RunQuery(tenant=self.tenant, run_id=self.run_id))

    async def page(self, after_seq: int = -1, limit: int = _PAGE, wait_s: float = 0.0) -> tuple[RunEvent, ...]:
        """Trace events after ``after_seq``, at most ``limit`` of them; with none yet, wait up to ``wait_s`` for one."""
        query = _build(
            EventsQuery, tenant=self.tenant, run_id=self.run_id, after_seq=after_seq, limit=limit, wait_s=wait_s
        )
        return (await self._client.supervisor.events(query)).events

    async def trace(self) -> list[RunEvent]:
        """Every trace event recorded so far, in order."""
        events: list[RunEvent] = []
        while True:
            page = await self.page(events[-1].seq if events else -1)
            events.extend(page)
            if len(page) < _PAGE:
                return events

    async def events(self, after_seq: int = -1) -> AsyncIterator[RunEvent]:
        """Yield trace events as they are recorded, until the run ends (live; the supervisor answers each append)."""
        last, ended, pause = after_seq, False, _BUSY_MIN_S
        while True:
            asked = time.monotonic()
            page = await self.page(last, wait_s=0.0 if ended else _HOLD_S)
            for event in page:
                last = event.seq
                ended = ended or (event.type == "run_state" and event.data.get("to") in TERMINAL_STATUSES)
                yield event
            if page:
                pause = _BUSY_MIN_S
                continue
            if ended or (await self.status()).terminal:
                # The terminal transition may be followed by a last event or two: drain them.
                for event in await self.page(last):
                    yield event
                return
            if time.monotonic() - asked < _HOLD_S / 2:  # answered at once: the supervisor holds all the waits it may
                await asyncio.sleep(pause)
                pause = min(pause * 2, _BUSY_MAX_S)

    async def result(self, timeout: float | None = None) -> RunState:
        """Wait for the run to end and return its final state (the supervisor answers when it ends).

        Args:
            timeout: Seconds to wait; None waits as long as it takes.

        Raises:
            RunFailed: The run ended FAILED (``details['error']`` holds why).
            RunCancelled: The run was cancelled.
            ResultTimeout: The run had not ended in time; it goes on.
        """
        deadline = None if timeout is None else time.monotonic() + timeout
        pause = _BUSY_MIN_S
        while True:
            left = _HOLD_S if deadline is None else max(0.0, min(_HOLD_S, deadline - time.monotonic()))
            update = await self._client.supervisor.wait(
                WaitQuery(tenant=self.tenant, run_id=self.run_id, timeout_s=left)
            )
            state = update.state
            if state.terminal:
                return self._outcome(state)
            if deadline is not None and time.monotonic() >= deadline:
                raise ResultTimeout(
                    f"run {self.run_id} is still {state.status.value} after {timeout:g}s and goes on"
                    f"{_waiting_hint(state)}; "
                    f"wait again with result(timeout=...) or follow it with `agentrt status {self.run_id}`",
                    run_id=self.run_id,
                    status=state.status.value,
                    waited_s=timeout,
                )
            if update.busy:  # the supervisor holds as many waits as it may: ask again a little later
                await asyncio.sleep(pause if deadline is None else min(pause, max(0.0, deadline - time.monotonic())))
                pause = min(pause * 2, _BUSY_MAX_S)

    def _outcome(self, state: RunState) -> RunState:
        if state.status == RunStatus.FAILED:
            raise RunFailed(
                f"run {self.run_id} failed: {state.error or 'no reason recorded'}; "
                f"see what happened with `agentrt trace {self.run_id}`",
                run_id=self.run_id,
                error=state.error,
            )
        if state.status == RunStatus.CANCELLED:
            raise RunCancelled(
                f"run {self.run_id} was cancelled: {state.error or 'no reason recorded'}", run_id=self.run_id
            )
        return state

    async def cancel(self, reason: str = "") -> RunSummary:
        """Cancel the run (a finished run stays as it is)."""
        request = _build(CancelRun, tenant=self.tenant, run_id=self.run_id, reason=reason)
        return await self._client.supervisor.cancel(request)


class AsyncClient:
    """Talks to the agentrt supervisor for one tenant and user.

    Args:
        address: Ray cluster to join (``auto``, ``ray://host:10001``); None uses ``RAY_ADDRESS``, else
            the runtime ``agentrt serve`` keeps up for the data directory, else starts a local cluster.
            Ignored when ``runtime`` or ``supervisor`` is given.
        tenant: Tenant the client acts for (``AGENTRT_TENANT`` or ``default`` when None).
        user: User the client acts as (``AGENTRT_USER`` or the login name when None).
        runtime: An already connected runtime (``agentrt.cluster.runtime.connect``); the client does not shut it down.
        supervisor: The supervisor service to use directly: its proxy over an actor or an in-process
            transport (``agentrt.actors.proxy.supervisor_proxy``), or the service itself.
        operator: Act as the runtime's operator (pool scaling, draining) rather than for the tenant
            only; needs the runtime's key (its data directory).

    Raises:
        ContractError: The tenant or user is not a valid id.
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
        if tenant is None or user is None:
            env = settings_from_env(os.environ)
            tenant, user = tenant or env.tenant, user or env.user
        self.tenant = _checked_id(_TENANT, tenant, "tenant")
        self.user = _checked_id(_USER, user, "user")
        self._owned: SupervisorLink | None = None
        if supervisor is None:
            if runtime is None:
                runtime = self._owned = _connect(address)
            # A tenant's client acts for its tenant only; an operator's acts for the runtime.
            tenant_link = getattr(runtime, "supervisor_for", None)
            supervisor = runtime.supervisor if operator or tenant_link is None else tenant_link(self.tenant)
        self._supervisor = supervisor

    @property
    def supervisor(self) -> SupervisorRef:
        """The supervisor service this client calls."""
        return self._supervisor

    def close(self) -> None:
        """Release the runtime connection this client opened (none when it was handed one)."""
        if self._owned is not None:
            owned, self._owned = self._owned, None
            owned.shutdown()

    def goal(
        self,
        text: str,
        data: Iterable[Path | str | Attachment] = (),
        workflow: str | None = None,
        constraints: Iterable[str] = (),
        acceptance: Iterable[str] = (),
        budget: Budget | None = None,
    ) -> Goal:
        """Build this client's goal from text and files (paths are read; see ``agentrt.cluster.attachments``)."""
        attachments = tuple(d if isinstance(d, Attachment) else attachment_from_path(d) for d in data)
        names = [a.name for a in attachments]
        if len(set(names)) != len(names):
            raise ContractError(f"two attachments share a name in {names}; rename one", what="attachments")
        fields: dict[str, object] = {
            "text": text,
            "tenant": self.tenant,
            "user": self.user,
            "attachments": attachments,
            "workflow": workflow,
            "constraints": tuple(constraints),
            "acceptance_criteria": tuple(acceptance),
        }
        if budget is not None:
            fields["budget"] = budget
        return _build(Goal, **fields)

    async def submit(
        self,
        goal: str | Goal,
        data: Iterable[Path | str | Attachment] = (),
        workflow: str | None = None,
        constraints: Iterable[str] = (),
        acceptance: Iterable[str] = (),
        budget: Budget | None = None,
    ) -> AsyncRunHandle:
        """Submit a goal (text, or a ready :class:`Goal` used as it is) and return a handle on its run."""
        if not isinstance(goal, Goal):
            goal = self.goal(goal, data, workflow, constraints, acceptance, budget)
        summary = await self._supervisor.submit(goal)
        return AsyncRunHandle(self, summary.run_id, summary.tenant, summary)

    def run(self, run_id: str) -> AsyncRunHandle:
        """A handle on an existing run of this client's tenant."""
        return AsyncRunHandle(self, run_id, self.tenant)

    async def runs(self) -> tuple[RunSummary, ...]:
        """The tenant's runs, newest first."""
        return (await self._supervisor.runs(RunQuery(tenant=self.tenant))).runs

    async def approve(self, request_id: str, reason: str = "") -> RunSummary:
        """Approve a pending approval request; its run goes on."""
        return await self._decide(request_id, True, reason)

    async def reject(self, request_id: str, reason: str) -> RunSummary:
        """Reject a pending approval request; the held action never runs."""
        return await self._decide(request_id, False, reason)

    async def _decide(self, request_id: str, approved: bool, reason: str) -> RunSummary:
        decision = _build(
            ApprovalDecision,
            tenant=self.tenant,
            request_id=request_id,
            approved=approved,
            decided_by=self.user,
            reason=reason,
        )
        return await self._supervisor.approve(decision)

    async def answer(self, run_id: str, request_id: str, text: str) -> RunSummary:
        """Answer a run's clarifying question; the run starts over from intake with the answer."""
        answer = _build(ClarificationAnswer, tenant=self.tenant, request_id=request_id, run_id=run_id, answer=text)
        return await self._supervisor.answer(answer)

    async def scale(self, role: str, replicas: int) -> Ack:
        """Set the number of replicas of a specialist role's pool."""
        return await self._supervisor.scale(_build(ScalePool, role=role, replicas=replicas))
