"""Faults survived end to end: a QA rejection, a killed specialist, a killed supervisor.

The specialists use the OpenAI backend against a local OpenAI-protocol server
whose answers come from the offline model, with per-role delays and scripted
first answers to put a fault exactly where the test needs it.
"""

from __future__ import annotations

import asyncio
from collections import Counter
from collections.abc import Iterator

import pytest
import ray

from agentrt.actors.openai_backend import OpenAIProtocolServer
from agentrt.cluster.runtime import Runtime, replica_name
from agentrt.contracts import RunEvent, RunQuery, RunStatus, SupervisorRef
from tests.e2e.conftest import ModelEndpoint, call_until_up, trace, wait_for, weekly_sales_goal


@pytest.fixture
def endpoint(model_endpoint: tuple[OpenAIProtocolServer, ModelEndpoint]) -> Iterator[ModelEndpoint]:
    """The session's endpoint, its faults cleared afterwards."""
    _, endpoint = model_endpoint
    yield endpoint
    endpoint.delays.clear()
    endpoint.first_answers.clear()
    endpoint.replay = None


async def _started(runtime: Runtime, tenant: str, run_id: str, role: str) -> RunEvent:
    for _ in range(600):
        state = await call_until_up(runtime, SupervisorRef.status, RunQuery(tenant=tenant, run_id=run_id))
        events = await trace(runtime, state)
        hit = next((e for e in events if e.type == "step_started" and e.data.get("role") == role), None)
        if hit is not None:
            return hit
        await asyncio.sleep(0.05)
    raise AssertionError(f"no {role} step started")


async def test_qa_rejection_triggers_a_replan_that_fixes_the_defect(
    openai_runtime: Runtime, endpoint: ModelEndpoint
) -> None:
    # The writer's first draft states figures no artifact holds; QA must catch them.
    endpoint.first_answers["writer"] = ["Revenue rose 12.5% to 41,000.00 last week, our best week ever."]
    summary = await call_until_up(openai_runtime, SupervisorRef.submit, weekly_sales_goal(tenant="qa-replan"))
    state = await wait_for(openai_runtime, "qa-replan", summary.run_id)
    assert state.status == RunStatus.DONE and state.verified
    events = await trace(openai_runtime, state)
    rejections = [e for e in events if e.type == "replan" and e.data.get("reason") == "QA rejected"]
    assert len(rejections) == 1
    assert any("41,000.00" in d or "12.5" in d for d in rejections[0].data["defects"])  # type: ignore[union-attr]
    assert "41,000.00" not in state.output and "-4.5%" in state.output


async def test_killed_specialist_mid_step_does_not_lose_the_run(
    openai_runtime: Runtime, endpoint: ModelEndpoint
) -> None:
    endpoint.delays["analyst"] = 3.0
    summary = await call_until_up(openai_runtime, SupervisorRef.submit, weekly_sales_goal(tenant="kill-specialist"))
    started = await _started(openai_runtime, "kill-specialist", summary.run_id, "analyst")
    await asyncio.sleep(0.5)
    name = replica_name("analyst", 0, openai_runtime.manifest.fingerprint)
    ray.kill(ray.get_actor(name, namespace=openai_runtime.config.namespace), no_restart=False)
    endpoint.delays.clear()
    state = await wait_for(openai_runtime, "kill-specialist", summary.run_id)
    assert state.status == RunStatus.DONE and state.verified
    events = await trace(openai_runtime, state)
    assert any(e.type == "step_redispatched" and e.step_id == started.step_id for e in events)


async def test_killed_supervisor_resumes_from_checkpoint_and_runs_no_step_twice(
    openai_runtime: Runtime, endpoint: ModelEndpoint
) -> None:
    # A clean run first: how many model calls each role makes for this goal.
    before = Counter(endpoint.calls)
    summary = await call_until_up(openai_runtime, SupervisorRef.submit, weekly_sales_goal(tenant="baseline"))
    clean = await wait_for(openai_runtime, "baseline", summary.run_id)
    assert clean.status == RunStatus.DONE
    expected = Counter(endpoint.calls) - before

    endpoint.delays["writer"] = 3.0
    before = Counter(endpoint.calls)
    summary = await call_until_up(openai_runtime, SupervisorRef.submit, weekly_sales_goal(tenant="kill-supervisor"))
    await _started(openai_runtime, "kill-supervisor", summary.run_id, "writer")
    ray.kill(openai_runtime.supervisor_handle, no_restart=False)  # type: ignore[arg-type]
    state = await wait_for(openai_runtime, "kill-supervisor", summary.run_id)
    assert state.status == RunStatus.DONE and state.verified
    # Every role made exactly the calls of a clean run: no step ran twice, the writer's
    # step in flight at the crash was joined, not started again.
    assert Counter(endpoint.calls) - before == expected
    events = await trace(openai_runtime, state)
    assert any(e.type == "note" and "resumed" in e.data for e in events)
