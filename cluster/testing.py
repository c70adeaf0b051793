"""Test doubles for code that drives agentrt: a supervisor whose specialists answer with canned results.

Use them to test a client, a command line or an HTTP integration against the real
supervisor (planning, scheduling, approvals, checkpoints, trace) without models
or tools::

    service = canned_supervisor_local(tmp_path / "runs.sqlite")         # in this process
    client = Client(supervisor=service.client, tenant="acme")

Markers in a goal's text steer the canned specialists: ``#fail`` fails every
step, ``#send`` makes the writer hold its step for a person's approval.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import partial
from pathlib import Path

from agentrt.actors.transport import ActorOptions, ServiceClient
from agentrt.cluster.local_runtime import LocalService, serve_locally
from agentrt.contracts import (
    ApprovalRequest,
    Artifact,
    Cost,
    ErrorInfo,
    QAVerdict,
    SupervisorRef,
    TaskAssignment,
    TaskResult,
    TaskStatus,
)
from agentrt.specialists.roles import RoleCatalog
from agentrt.supervisor.metrics import RuntimeMetrics
from agentrt.supervisor.service import SupervisorService

__all__ = [
    "FAIL_MARKER",
    "HOLD_MARKER",
    "CannedReplicas",
    "CannedSpecialist",
    "canned_supervisor",
    "canned_supervisor_actor",
    "canned_supervisor_local",
]

FAIL_MARKER = "#fail"
"""A goal containing this fails every step."""

HOLD_MARKER = "#send"
"""A goal containing this makes the writer's step wait for approval of a ``send_email`` call."""


@dataclass
class CannedSpecialist:
    """A specialist that answers every step with a canned artifact of its role's output.

    QA passes everything. Tokens are counted (10 prompt, 5 completion per step) so
    cost accounting has something to add up.

    Args:
        role: The role served.
        output: Name of the artifact it returns.
        holds: Whether steps of goals with :data:`HOLD_MARKER` wait for approval.
    """

    role: str
    output: str
    holds: bool = False
    steps_run: list[str] = field(default_factory=list)

    async def run(self, assignment: TaskAssignment) -> TaskResult:
        """Answer one step."""
        self.steps_run.append(assignment.step.id)
        base = {
            "run_id": assignment.run_id,
            "step_id": assignment.step.id,
            "role": self.role,
            "agent": f"canned-{self.role}",
            "offline": True,
            "cost": Cost(prompt_tokens=10, completion_tokens=5, model_calls=1),
        }
        if FAIL_MARKER in assignment.goal_text:
            return TaskResult(
                status=TaskStatus.FAILED, error=ErrorInfo(type="ToolError", message="canned failure"), **base
            )
        request_id = f"apr-{assignment.run_id}-{assignment.step.id}"
        decided = (*assignment.approved_calls, *assignment.rejected_calls)
        if self.holds and HOLD_MARKER in assignment.goal_text and request_id not in decided:
            pending = ApprovalRequest(id=request_id, run_id=assignment.run_id, step_id=assignment.step.id,
                                      tool="send_email", arguments={"to": "team"},
                                      reason="sending mail needs a person's approval")  # fmt: skip
            return TaskResult(status=TaskStatus.NEEDS_APPROVAL, pending_approval=pending, **base)
        verdict = QAVerdict(passed=True) if self.output == "verdict" else None
        artifact = Artifact(name=self.output, text=f"{self.role}: {assignment.step.instruction[:200]}",
                            data=None if verdict is None else verdict.model_dump(mode="json"),
                            produced_by=assignment.step.id)  # fmt: skip
        return TaskResult(status=TaskStatus.SUCCEEDED, summary=f"{self.role} done", artifacts=(artifact,),
                          deliverable=artifact, verdict=verdict, **base)  # fmt: skip


@dataclass
class CannedReplicas:
    """A replica source of :class:`CannedSpecialist` objects in this process.

    Args:
        roles: The role catalog (built-ins by default).
        hold_role: The role whose steps wait for approval on :data:`HOLD_MARKER`.
    """

    roles: RoleCatalog = field(default_factory=RoleCatalog)
    hold_role: str = "writer"
    live: dict[tuple[str, int], CannedSpecialist] = field(default_factory=dict)

    async def start_replica(self, role: str, index: int) -> CannedSpecialist:
        """Start (or find) replica ``index`` of ``role``."""
        key = (role, index)
        if key not in self.live:
            spec = self.roles.get(role)
            self.live[key] = CannedSpecialist(role, spec.output, holds=role == self.hold_role)
        return self.live[key]

    async def stop_replica(self, role: str, index: int) -> None:
        """Stop replica ``index`` of ``role``."""
        self.live.pop((role, index), None)


def canned_supervisor(store_path: Path | str, metrics: RuntimeMetrics | None = None) -> SupervisorService:
    """A real supervisor service over canned specialists, one replica per built-in role."""
    return SupervisorService(store_path, CannedReplicas(), metrics=metrics)


def canned_supervisor_local(store_path: Path | str, metrics: RuntimeMetrics | None = None) -> LocalService:
    """:func:`canned_supervisor` on a private event loop thread of this process.

    ``supervisor_proxy(local.client)`` calls it, ``.close()`` stops it; any number of clients (sync or async,
    on any loop) may share it.
    """
    return serve_locally(partial(canned_supervisor, store_path, metrics), SupervisorRef, label="supervisor")


def canned_supervisor_actor(
    store_path: Path | str,
    metrics: RuntimeMetrics | None = None,
    name: str | None = None,
    namespace: str | None = None,
) -> ServiceClient:
    """Start :func:`canned_supervisor` as a Ray actor (Ray must be initialised) and return a client of it.

    ``supervisor_proxy(client)`` calls it. The actor's handle is ``client.transport.handle``; kill it
    with ``ray.kill`` when done.
    """
    from agentrt.actors.host import RayTransport, spawn  # noqa: PLC0415  (only this double needs Ray)

    options = ActorOptions(name=name, namespace=namespace, max_restarts=0)
    handle = spawn(partial(canned_supervisor, store_path, metrics), SupervisorRef, options)
    return ServiceClient(RayTransport(handle), label="supervisor")
