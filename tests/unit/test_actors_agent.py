"""The agent loop: policy, approvals, repairs, budgets, artifacts, citations and its trace."""

from __future__ import annotations

import asyncio
import threading
from datetime import timedelta
from pathlib import Path

import pytest

from agentrt.actors import (
    AgentService,
    AgentSpec,
    CollectingSink,
    EventSinkService,
    LocalTransport,
    PolicyRule,
    RemoteEventSink,
    RetryPolicy,
    RuleGate,
    ServiceClient,
    WriteLedger,
    tool,
)
from agentrt.actors.proxy import recorder_proxy
from agentrt.actors.task_brief import TaskBrief, read_observation
from agentrt.actors.testing import ScriptedModel, call
from agentrt.contracts import (
    ApprovalRequest,
    Artifact,
    Budget,
    ChatMessage,
    EventRecorder,
    Identity,
    MemoryWrite,
    ModelReply,
    Partition,
    RunEvent,
    Scope,
    Step,
    TaskAssignment,
    TaskStatus,
    ToolSpec,
    Usage,
    UsageError,
    utcnow,
)
from agentrt.memory.config import MemoryConfig
from agentrt.memory.service import MemoryService

CALLER = Identity(tenant="acme", agent="analyst-1", run_id="run-1")
LOG: list[str] = []


@tool(output="lookup")
def find_policy(topic: str) -> dict[str, object]:
    """Find the company policy on a topic.

    Args:
        topic: What the policy is about.
    """
    return {"text": f"Policy on {topic}: ask first.",
            "citations": [{"source": "handbook.md", "locator": "§2", "quote": "ask first"}]}  # fmt: skip


@tool(writes=True)
def send_mail(to: str, body: str) -> str:
    """Send an email."""
    LOG.append(f"{to}:{body}")
    return "sent"


@tool(retries=RetryPolicy(attempts=1))
def flaky_source(topic: str) -> str:
    """A source that is down."""
    raise ConnectionError("source unreachable")


SPEC = AgentSpec(role="analyst", instructions="Answer from policy.", tools=(find_policy, send_mail, flaky_source),
                 output="answer")  # fmt: skip


def assignment(instruction: str = "What is the refund policy?", **fields: object) -> TaskAssignment:
    allowed = fields.pop("allowed_tools", ())
    step = Step(id="s1", role="analyst", instruction=instruction, allowed_tools=allowed)  # type: ignore[arg-type]
    fields.setdefault("caller", CALLER)
    return TaskAssignment(run_id="run-1", step=step, **fields)  # type: ignore[arg-type]


def tool_answer(request_messages: tuple[ChatMessage, ...]) -> str:
    return request_messages[-1].content


async def test_a_tool_result_and_final_answer_become_artifacts_with_citations() -> None:
    with ScriptedModel([call("find_policy", topic="refunds"), "Refunds need approval first."]) as model:
        result = await AgentService(SPEC, model).run(assignment())
    assert result.status is TaskStatus.SUCCEEDED and result.role == "analyst"
    lookup, answer = result.artifacts
    assert (lookup.name, lookup.media_type) == ("lookup", "application/json")
    assert lookup.text == "Policy on refunds: ask first."
    assert answer.name == "answer" and answer.text == "Refunds need approval first." and answer.produced_by == "s1"
    assert [c.source for c in result.citations] == ["handbook.md"] and answer.citations == result.citations
    assert result.cost.model_calls == 2 and result.cost.tool_calls == 1 and not result.offline
    assert '"ok": true' in tool_answer(model.requests[1].messages)


async def test_policy_denial_goes_back_to_the_model_as_a_typed_error() -> None:
    gate = RuleGate([PolicyRule("deny", tools=("send_mail",), reason="mail is off today")], tools=SPEC.tools)
    with ScriptedModel([call("send_mail", to="a@example.com", body="hi"), "Could not send."]) as model:
        result = await AgentService(SPEC, model, gate).run(assignment("Mail the team"))
    assert result.status is TaskStatus.SUCCEEDED and LOG == []
    denial = tool_answer(model.requests[1].messages)
    assert '"type": "PolicyDenied"' in denial and "mail is off today" in denial


async def test_needs_approval_pauses_then_the_approved_call_runs_once(tmp_path: Path) -> None:
    LOG.clear()
    gate = RuleGate([PolicyRule("needs_approval", writes=True, reason="mail leaves the company")], tools=SPEC.tools)
    ledger = WriteLedger(tmp_path / "writes.sqlite")
    send = call("send_mail", to="team@example.com", body="numbers attached")
    with ScriptedModel([send]) as model:
        paused = await AgentService(SPEC, model, gate, ledger=ledger).run(assignment("Mail the team"))
    assert paused.status is TaskStatus.NEEDS_APPROVAL and LOG == []
    request = ApprovalRequest.model_validate(paused.pending_approval)
    assert (request.tool, request.step_id, request.reason) == ("send_mail", "s1", "mail leaves the company")
    assert request.arguments == {"to": "team@example.com", "body": "numbers attached"}

    approved = assignment("Mail the team", approved_calls=(request.id,))
    with ScriptedModel([send, "Sent."]) as model:
        done = await AgentService(SPEC, model, gate, ledger=ledger).run(approved)
    assert done.status is TaskStatus.SUCCEEDED and LOG == ["team@example.com:numbers attached"]
    with ScriptedModel([send, "Sent again?"]) as model:
        await AgentService(SPEC, model, gate, ledger=ledger).run(approved)
    assert LOG == ["team@example.com:numbers attached"]


async def test_approval_of_one_call_does_not_approve_another() -> None:
    gate = RuleGate([PolicyRule("needs_approval", tools=("send_mail",))], tools=SPEC.tools)
    with ScriptedModel([call("send_mail", to="a@example.com", body="x")]) as model:
        paused = await AgentService(SPEC, model, gate).run(assignment())
    first = ApprovalRequest.model_validate(paused.pending_approval)
    with ScriptedModel([call("send_mail", to="b@example.com", body="x")]) as model:
        again = await AgentService(SPEC, model, gate).run(assignment(approved_calls=(first.id,)))
    assert again.status is TaskStatus.NEEDS_APPROVAL
    assert ApprovalRequest.model_validate(again.pending_approval).id != first.id


async def test_invalid_arguments_are_named_and_the_model_may_correct_them() -> None:
    with ScriptedModel([call("find_policy", subject="refunds"), call("find_policy", topic="refunds"), "ok"]) as model:
        result = await AgentService(SPEC, model).run(assignment())
    assert result.status is TaskStatus.SUCCEEDED
    error = tool_answer(model.requests[1].messages)
    assert '"type": "ToolArgumentError"' in error and '"field": "topic"' in error


async def test_argument_repairs_are_bounded() -> None:
    spec = AgentSpec(role="analyst", instructions="x", tools=(find_policy,), max_repairs=1)
    with ScriptedModel([call("find_policy"), call("find_policy", topic=3)]) as model:
        result = await AgentService(spec, model).run(assignment())
    assert result.status is TaskStatus.FAILED and result.error is not None
    assert (result.error.type, result.error.field) == ("ToolArgumentError", "topic")


async def test_only_tools_allowed_for_the_step_are_offered_and_usable() -> None:
    with ScriptedModel([call("send_mail", to="a@example.com", body="x"), "fine"]) as model:
        result = await AgentService(SPEC, model).run(assignment(allowed_tools=("find_policy",)))
    assert model.requests[0].tool_names == ("find_policy",)
    assert "is not available" in tool_answer(model.requests[1].messages) and result.status is TaskStatus.SUCCEEDED


async def test_a_permanently_failing_tool_fails_the_step_with_its_error() -> None:
    with ScriptedModel([call("find_policy", topic="vat"), call("flaky_source", topic="vat")]) as model:
        result = await AgentService(SPEC, model).run(assignment())
    assert result.status is TaskStatus.FAILED and result.error is not None
    assert result.error.type == "ConnectionError" and "unreachable" in result.error.message
    assert [a.name for a in result.artifacts] == ["lookup"]


async def test_several_calls_in_one_turn_run_in_parallel() -> None:
    barrier = threading.Barrier(2, timeout=10)

    @tool
    def wait_for_peer(name: str) -> str:
        """Meet the other call."""
        barrier.wait()
        return name

    spec = AgentSpec(role="analyst", instructions="x", tools=(wait_for_peer,), max_parallel_tools=2)
    with ScriptedModel([[call("wait_for_peer", name="a"), call("wait_for_peer", name="b")], "both"]) as model:
        result = await AgentService(spec, model).run(assignment())
    assert result.status is TaskStatus.SUCCEEDED and result.cost.tool_calls == 2
    answers = [read_observation(m.content) for m in model.requests[1].messages if m.role == "tool"]
    assert answers == ['{"ok": true, "output": "a"}', '{"ok": true, "output": "b"}']


async def test_turn_budget_stops_a_model_that_never_finishes() -> None:
    script = [call("find_policy", topic=f"t{i}") for i in range(3)]
    with ScriptedModel(script) as model:
        result = await AgentService(SPEC, model).run(assignment(budget=Budget(max_steps=3)))
    assert result.status is TaskStatus.FAILED and result.error is not None
    assert result.error.type == "BudgetExceeded" and "3 model turns" in result.error.message


async def test_token_and_cost_budgets_stop_the_step() -> None:
    lookup = call("find_policy", topic="x")
    big = ModelReply(text="", tool_calls=(lookup,), usage=Usage(prompt_tokens=900), cost_usd=0.5)
    with ScriptedModel([big]) as model:
        by_tokens = await AgentService(SPEC, model).run(assignment(budget=Budget(max_tokens=500)))
    with ScriptedModel([big]) as model:
        by_cost = await AgentService(SPEC, model).run(assignment(budget=Budget(max_cost_usd=0.1)))
    assert by_tokens.error is not None and "tokens" in by_tokens.error.message
    assert by_cost.error is not None and "cost" in by_cost.error.message and by_cost.cost.usd == 0.5


async def test_a_passed_deadline_fails_before_calling_the_model() -> None:
    with ScriptedModel([]) as model:
        result = await AgentService(SPEC, model).run(assignment(deadline=utcnow() - timedelta(seconds=1)))
    assert result.status is TaskStatus.FAILED and result.error is not None and result.error.type == "BudgetExceeded"


async def test_wall_time_stops_a_tool_that_hangs() -> None:
    never = asyncio.Event()

    @tool(timeout_s=60)
    async def hang() -> str:
        """Hang."""
        await never.wait()
        return ""

    spec = AgentSpec(role="analyst", instructions="x", tools=(hang,))
    with ScriptedModel([call("hang")]) as model:
        result = await AgentService(spec, model).run(assignment(budget=Budget(max_wall_s=0.05)))
    assert result.error is not None and result.error.type == "BudgetExceeded" and "wall time" in result.error.message


async def test_a_crashing_model_fails_the_step_with_a_model_error() -> None:
    class Broken:
        async def complete(self, messages: object, tools: object) -> ModelReply:
            raise KeyError("choices")

    result = await AgentService(SPEC, Broken()).run(assignment())  # type: ignore[arg-type]
    assert result.status is TaskStatus.FAILED and result.error is not None and result.error.type == "ModelError"


async def test_scripted_model_fails_loudly_when_the_script_runs_out_or_is_left_over() -> None:
    with pytest.raises(UsageError) as info:
        await AgentService(SPEC, ScriptedModel([call("find_policy", topic="x")])).run(assignment())
    assert info.value.detail("what") == "script_exhausted"
    with pytest.raises(UsageError) as info, ScriptedModel(["one", "two"]) as model:
        await AgentService(SPEC, model).run(assignment())
    assert info.value.detail("what") == "script_unused"


async def test_every_model_and_tool_call_is_traced_and_redacted() -> None:
    sink = CollectingSink()
    instruction = "Mail ann@example.com about key sk-abcdefghijklmnopqrstu"
    with ScriptedModel([call("send_mail", to="ann@example.com", body="see sk-abcdefghijklmnopqrstu"), "done"]) as model:
        await AgentService(SPEC, model, events=sink, agent_id="analyst-7").run(assignment(instruction))
    assert [e.type for e in sink] == ["model_call", "tool_call", "model_call"]
    model_event, tool_event, _ = sink.events
    assert model_event.tokens is not None and model_event.latency_s is not None and model_event.actor == "analyst-7"
    assert tool_event.data["tool"] == "send_mail" and tool_event.data["source"] == "run"
    assert tool_event.data["idempotency_key"] and tool_event.data["policy"] == "allow"
    dumped = "".join(e.model_dump_json() for e in sink)
    assert "ann@example.com" not in dumped and "sk-abcdefghijklmnopqrstu" not in dumped
    assert "[REDACTED:EMAIL]" in dumped and "[REDACTED:SECRET]" in dumped


async def test_a_broken_event_sink_does_not_fail_the_step() -> None:
    class Broken:
        async def emit(self, event: RunEvent) -> None:
            raise OSError("disk full")

    with ScriptedModel(["fine"]) as model:
        result = await AgentService(SPEC, model, events=Broken()).run(assignment())
    assert result.status is TaskStatus.SUCCEEDED


async def test_the_model_gets_the_brief_with_inputs_and_the_tool_specs() -> None:
    sales = Artifact(name="sales", media_type="text/csv", text="a,b\n1,2\n")
    with ScriptedModel(["ok"]) as model:
        await AgentService(SPEC, model).run(assignment("Sum it", inputs=(sales,)))
    system, user = model.requests[0].messages
    assert system.content.startswith("Answer from policy.") and "```inputs" in system.content
    assert user.content.startswith("Sum it") and '"sales":{"media_type":"text/csv"' in user.content
    assert all(isinstance(s, ToolSpec) for s in model.requests[0].tools)


async def test_fallback_output_lands_under_the_original_tools_artifact_name() -> None:
    @tool(fallback="backup_rates", output="rates")
    def live_rates(base: str) -> str:
        """Live rates."""
        raise RuntimeError("down")

    @tool
    def backup_rates(base: str) -> str:
        """Cached rates."""
        return "EUR 1.1"

    spec = AgentSpec(role="analyst", instructions="x", tools=(live_rates, backup_rates))
    sink = CollectingSink()
    with ScriptedModel([call("live_rates", base="USD"), "done"]) as model:
        result = await AgentService(spec, model, events=sink).run(assignment())
    assert result.artifacts[0].name == "rates" and result.artifacts[0].text == "EUR 1.1"
    assert sink.of_type("tool_call")[0].data["fallback_for"] == "live_rates"


async def test_memory_recall_puts_relevant_records_into_the_context(tmp_path: Path) -> None:
    memory = MemoryService(MemoryConfig(data_dir=tmp_path))
    mine = Partition(tenant="acme", scope=Scope.AGENT, owner="analyst-1")
    texts = ("Refunds over 100 EUR need the finance lead's approval.", "The office is closed on Fridays.")
    await memory.write(MemoryWrite(caller=CALLER, partition=mine, texts=texts))
    spec = AgentSpec(role="analyst", instructions="x", memory_hits=1)
    with ScriptedModel(["The finance lead."]) as model:
        await AgentService(spec, model, memory=memory).run(assignment("Who approves refunds?"))
    await memory.stop()
    brief = TaskBrief.parse(model.requests[0].messages[1].content)
    assert [c.text for c in brief.context] == [texts[0]] and brief.context[0].source.startswith("memory:")


async def test_a_refused_memory_recall_is_traced_and_the_step_goes_on(tmp_path: Path) -> None:
    memory = MemoryService(MemoryConfig(data_dir=tmp_path))
    stranger = CALLER.model_copy(update={"run_id": "run-other"})
    sink = CollectingSink()
    with ScriptedModel(["answered without memory"]) as model:
        result = await AgentService(SPEC, model, events=sink, memory=memory).run(assignment(caller=stranger))
    await memory.stop()
    assert result.status is TaskStatus.SUCCEEDED
    [note] = sink.of_type("memory")
    assert note.error is not None and note.error.type == "MemoryAccessDenied"


async def test_events_reach_a_hosted_sink_through_the_codec() -> None:
    collected = CollectingSink()
    sink = RemoteEventSink(recorder_proxy(ServiceClient(LocalTransport(EventSinkService(collected), EventRecorder))))
    with ScriptedModel([call("find_policy", topic="vat"), "done"]) as model:
        await AgentService(SPEC, model, events=sink).run(assignment())
    assert [e.type for e in collected] == ["model_call", "tool_call", "model_call"]


def plain_double(number: int) -> int:
    """Double a number."""
    return 2 * number


async def test_a_plain_typed_function_is_usable_as_a_read_tool() -> None:
    spec = AgentSpec(role="analyst", instructions="x", tools=(plain_double,))
    with ScriptedModel([call("plain_double", number=21), "42"]) as model:
        result = await AgentService(spec, model).run(assignment())
    assert spec.tools[0].name == "plain_double" and not spec.tools[0].writes
    assert result.artifacts[0].text == "" and result.artifacts[0].data == 42
