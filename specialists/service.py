"""The specialist service: a role's agent behind a step ledger and a check that its answer is grounded.

The ledger makes delivery of a step to a specialist idempotent: a step that is
already running is joined, not started again, and a finished one is answered
from the ledger. That is what lets a restarted supervisor re-send the steps it
had in flight without any of them running twice.
"""

from __future__ import annotations

import asyncio
from collections import OrderedDict

from agentrt.contracts import (
    Ack,
    Contract,
    ErrorInfo,
    SpecialistRef,
    TaskAssignment,
    TaskResult,
    TaskStatus,
)
from agentrt.specialists.roles import RoleSpec

__all__ = ["SpecialistService"]

_Key = tuple[str, str, str]


def _key(assignment: TaskAssignment) -> _Key:
    decided = ",".join(assignment.approved_calls) + "|" + ",".join(assignment.rejected_calls)
    return (assignment.run_id, assignment.step.id, decided)


class SpecialistService:
    """Runs assignments for one role through its agent, at most once per step.

    Args:
        role: The role served.
        agent: The agent that does the work (an ``AgentService`` or any ``SpecialistRef``).
        ledger_size: Finished steps remembered.
    """

    def __init__(self, role: RoleSpec, agent: SpecialistRef, ledger_size: int = 2048) -> None:
        self.role = role
        self._agent = agent
        self._ledger: OrderedDict[_Key, asyncio.Future[TaskResult]] = OrderedDict()
        self._size = ledger_size
        self._running: set[asyncio.Task[None]] = set()
        self.executions = 0

    async def run(self, assignment: TaskAssignment) -> TaskResult:
        """Run a step (or join / replay the run of the same step)."""
        key = _key(assignment)
        known = self._ledger.get(key)
        if known is None:
            known = asyncio.get_running_loop().create_future()
            self._ledger[key] = known
            while len(self._ledger) > self._size:
                self._ledger.popitem(last=False)
            # The step runs in a task of its own: when the caller goes away (its supervisor
            # died and Ray cancelled the call), the step finishes anyway for whoever asks next.
            task = asyncio.ensure_future(self._execute(key, assignment, known))
            self._running.add(task)
            task.add_done_callback(self._running.discard)
        return await asyncio.shield(known)

    async def _execute(self, key: _Key, assignment: TaskAssignment, future: asyncio.Future[TaskResult]) -> None:
        self.executions += 1
        try:
            result = self._checked(await self._agent.run(assignment))
        except BaseException as exc:
            self._ledger.pop(key, None)
            future.set_exception(exc)
            future.exception()  # retrieved here; every waiter re-raises it
            if isinstance(exc, asyncio.CancelledError):
                raise
            return
        future.set_result(result)

    async def lookup(self, assignment: TaskAssignment) -> Contract:
        """Return the result of a step this replica ran or is running, else ``Ack(ok=False)``."""
        known = self._ledger.get(_key(assignment))
        if known is None:
            return Ack(ok=False, detail="unknown step")
        return await asyncio.shield(known)

    def _checked(self, result: TaskResult) -> TaskResult:
        if result.status == TaskStatus.SUCCEEDED and result.cost.tool_calls > 0:
            produced = [a for a in result.artifacts if a.name != self.role.output]
            if not produced:
                # Every tool call failed: an answer written around the failures is not grounded.
                return result.model_copy(
                    update={
                        "status": TaskStatus.FAILED,
                        "error": ErrorInfo(type="ToolError", message=f"every tool call failed: {result.summary[:400]}"),
                    }
                )
        return result
