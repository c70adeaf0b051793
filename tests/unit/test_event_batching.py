"""Trace events off the step's path: batched sends, and the unsent tail travelling with the step's result."""

from __future__ import annotations

import asyncio
from pathlib import Path

from agentrt.actors import BatchingEventSink
from agentrt.actors.offline import OfflineModel
from agentrt.contracts import Ack, EventsQuery, RunEvent, RunEvents, RunQuery, RunStatus
from agentrt.specialists.factory import build_specialist, tool_catalog
from agentrt.specialists.roles import RoleCatalog
from agentrt.supervisor.local import LocalReplicaSource
from agentrt.supervisor.service import SupervisorService
from tests.e2e.conftest import weekly_sales_goal


class SlowRecorder:
    """Takes batches, each after a pause; records what arrived, in order."""

    def __init__(self, pause_s: float = 0.0) -> None:
        self.pause_s = pause_s
        self.batches: list[list[tuple[str | None, int]]] = []
        self.singles = 0

    async def record(self, event: RunEvent) -> Ack:
        self.singles += 1
        return Ack()

    async def record_batch(self, batch: RunEvents) -> Ack:
        await asyncio.sleep(self.pause_s)
        self.batches.append([(e.step_id, e.data["n"]) for e in batch.events])  # type: ignore[misc]
        return Ack()


def _event(step: str, n: int) -> RunEvent:
    return RunEvent(run_id="r1", type="note", step_id=step, data={"n": n})


async def test_events_linger_then_go_in_one_call_in_order() -> None:
    recorder = SlowRecorder()
    sink = BatchingEventSink(recorder, linger_s=0.02)
    for n in range(5):
        await sink.emit(_event("s1" if n % 2 else "s2", n))
    assert recorder.batches == []  # emit returned before anything was sent
    await asyncio.sleep(0.1)
    assert recorder.batches == [[("s2", 0), ("s1", 1), ("s2", 2), ("s1", 3), ("s2", 4)]] and recorder.singles == 0


async def test_a_full_queue_is_sent_at_once() -> None:
    recorder = SlowRecorder()
    sink = BatchingEventSink(recorder, linger_s=60.0, max_batch=3)
    for n in range(3):
        await sink.emit(_event("s1", n))
    await asyncio.sleep(0.01)
    assert recorder.batches == [[("s1", 0), ("s1", 1), ("s1", 2)]]


async def test_take_hands_a_step_its_unsent_events_after_its_batch_on_the_way_arrived() -> None:
    recorder = SlowRecorder(pause_s=0.05)
    sink = BatchingEventSink(recorder, linger_s=0.0)
    await sink.emit(_event("s1", 0))
    await asyncio.sleep(0.01)  # the batch with event 0 is on its way
    sink.linger_s = 60.0
    await sink.emit(_event("s1", 1))
    await sink.emit(_event("s2", 2))
    taken = await sink.take("r1", "s1")
    assert recorder.batches == [[("s1", 0)]]  # arrived before the step's result would
    assert [e.data["n"] for e in taken] == [1]
    assert await sink.take("r1", "s1") == ()
    await sink.drain()
    assert recorder.batches[-1] == [("s2", 2)]  # another step's event stays queued for its batch


async def test_a_steps_trace_arrives_with_its_result_in_order(tmp_path: Path) -> None:
    roles = RoleCatalog()
    catalog = tool_catalog(tmp_path / "outbox")
    sinks: list[BatchingEventSink] = []
    holder: list[SupervisorService] = []

    def build(role: str, index: int) -> object:
        sink = BatchingEventSink(holder[0], linger_s=60.0)  # nothing lingers out: all rides with results
        sinks.append(sink)
        return build_specialist(roles.get(role), OfflineModel(), catalog=catalog, events=sink)

    service = SupervisorService(tmp_path / "runs.sqlite", LocalReplicaSource(build), roles=roles)
    holder.append(service)
    goal = weekly_sales_goal()
    summary = await service.submit(goal)
    await service.wait_idle()
    state = await service.status(RunQuery(tenant=goal.tenant, run_id=summary.run_id))
    assert state.status == RunStatus.DONE
    assert all(r.events == () for r in state.results.values())  # not kept in the run state
    trace = (await service.events(EventsQuery(tenant=goal.tenant, run_id=summary.run_id))).events
    for step_id in state.results:
        kinds = [e.type for e in trace if e.step_id == step_id]
        assert "model_call" in kinds and kinds[-1] == "step_finished", kinds
    assert [e.seq for e in trace] == list(range(len(trace)))
    await service.stop()
