"""The OpenAI backend over real HTTP against the local OpenAI-protocol server."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import openai
import pytest

from agentrt.actors import AgentService, AgentSpec, tool
from agentrt.actors.offline import OfflineModel
from agentrt.actors.openai_backend import (
    OpenAIChatModel,
    OpenAIModelConfig,
    OpenAIProtocolServer,
    ServerReply,
    hashed_vector,
    responder_for,
)
from agentrt.contracts import (
    Artifact,
    ChatMessage,
    Identity,
    MalformedToolCall,
    ModelError,
    Step,
    TaskAssignment,
    TaskStatus,
    ToolCall,
)


@tool
def word_count(text: str) -> int:
    """Count the words of a text.

    Args:
        text: The text to count.
    """
    return len(text.split())


@pytest.fixture
def server() -> Iterator[OpenAIProtocolServer]:
    with OpenAIProtocolServer(api_key="sk-test-local") as running:
        yield running


def model_for(server: OpenAIProtocolServer, **options: object) -> OpenAIChatModel:
    settings = {"base_url": server.base_url, "api_key": "sk-test-local", "model": "test-model",
                "backoff_base_s": 0.001, "backoff_max_s": 0.01, **options}  # fmt: skip
    return OpenAIChatModel(OpenAIModelConfig.model_validate(settings), seed=3)


def assignment(instruction: str, *inputs: Artifact) -> TaskAssignment:
    return TaskAssignment(run_id="run-1", step=Step(id="s1", role="analyst", instruction=instruction),
                          caller=Identity(tenant="acme", agent="analyst-1"), inputs=inputs)  # fmt: skip


HELLO = [ChatMessage(role="user", content="hello")]


async def test_answer_carries_usage_and_cost(server: OpenAIProtocolServer) -> None:
    server.enqueue(ServerReply.answer("hi there", prompt_tokens=1000, completion_tokens=500))
    model = model_for(server, prompt_usd_per_1k=0.01, completion_usd_per_1k=0.03)
    reply = await model.complete(HELLO, [])
    assert reply.text == "hi there" and reply.model == "agentrt-test" and not reply.offline
    assert (reply.usage.prompt_tokens, reply.usage.completion_tokens) == (1000, 500)
    assert reply.cost_usd == pytest.approx(0.025)
    assert server.requests[0]["model"] == "test-model" and "tools" not in server.requests[0]
    server.assert_exhausted()


async def test_tools_go_out_as_functions_and_calls_come_back(server: OpenAIProtocolServer) -> None:
    server.enqueue(ServerReply.calls(("word_count", {"text": "a b"}), ("word_count", {"text": "c"})))
    reply = await model_for(server).complete(HELLO, [word_count.spec])
    assert [(c.tool, c.arguments) for c in reply.tool_calls] == [("word_count", {"text": "a b"}),
                                                                 ("word_count", {"text": "c"})]  # fmt: skip
    sent = server.requests[0]["tools"][0]
    assert sent["type"] == "function" and sent["function"]["name"] == "word_count"
    assert sent["function"]["parameters"] == word_count.spec.parameters


async def test_a_tool_conversation_is_sent_in_openai_form(server: OpenAIProtocolServer) -> None:
    server.enqueue(ServerReply.answer("2 words"))
    call = ToolCall(id="call_1", tool="word_count", arguments={"text": "a b"})
    history = [*HELLO, ChatMessage(role="assistant", tool_calls=(call,)),
               ChatMessage(role="tool", tool_call_id="call_1", name="word_count", content='{"ok": true, "output": 2}')]
    await model_for(server).complete(history, [word_count.spec])
    assistant, answer = server.requests[0]["messages"][1:]
    assert assistant["content"] is None
    assert json.loads(assistant["tool_calls"][0]["function"]["arguments"]) == {"text": "a b"}
    assert answer == {"role": "tool", "tool_call_id": "call_1", "content": '{"ok": true, "output": 2}'}


async def test_http_500_then_success_is_retried(server: OpenAIProtocolServer) -> None:
    server.enqueue(ServerReply.failure(500), ServerReply.answer("recovered"))
    reply = await model_for(server).complete(HELLO, [])
    assert reply.text == "recovered" and len(server.requests) == 2


async def test_429_is_retried_after_the_servers_retry_after(server: OpenAIProtocolServer) -> None:
    server.enqueue(ServerReply.failure(429, "slow down", retry_after_s=0.01), ServerReply.answer("ok"))
    assert (await model_for(server).complete(HELLO, [])).text == "ok"


async def test_persistent_5xx_becomes_a_model_error_after_the_retries(server: OpenAIProtocolServer) -> None:
    server.enqueue(*[ServerReply.failure(503, "overloaded")] * 3)
    with pytest.raises(ModelError) as info:
        await model_for(server, max_retries=2).complete(HELLO, [])
    assert info.value.detail("status") == 503 and "overloaded" in str(info.value)
    server.assert_exhausted()


async def test_client_errors_are_not_retried(server: OpenAIProtocolServer) -> None:
    server.enqueue(ServerReply.failure(400, "bad request"), ServerReply.answer("unused"))
    with pytest.raises(ModelError) as info:
        await model_for(server).complete(HELLO, [])
    assert info.value.detail("status") == 400 and server.remaining == 1


async def test_a_slow_endpoint_times_out_and_the_retry_succeeds(server: OpenAIProtocolServer) -> None:
    server.enqueue(ServerReply.answer("too late").delayed(2.0), ServerReply.answer("in time"))
    reply = await model_for(server, timeout_s=0.2).complete(HELLO, [])
    assert reply.text == "in time"


async def test_wrong_api_key_is_a_model_error(server: OpenAIProtocolServer) -> None:
    server.enqueue(ServerReply.answer("never"))
    with pytest.raises(ModelError) as info:
        await model_for(server, api_key="sk-wrong-key-000000").complete(HELLO, [])
    assert info.value.detail("status") == 401


async def test_malformed_tool_call_json_is_a_clear_typed_error(server: OpenAIProtocolServer) -> None:
    server.enqueue(ServerReply.malformed_call("word_count", '{"text": "a b'))
    with pytest.raises(MalformedToolCall) as info:
        await model_for(server).complete(HELLO, [word_count.spec])
    assert info.value.detail("tool") == "word_count" and info.value.detail("raw") == '{"text": "a b'
    assert "not valid JSON" in str(info.value)


async def test_agent_asks_again_after_a_malformed_tool_call_and_succeeds(server: OpenAIProtocolServer) -> None:
    server.enqueue(
        ServerReply.malformed_call("word_count", "{text: a b c}"),
        ServerReply.call("word_count", {"text": "a b c"}),
        ServerReply.answer("The text has 3 words."),
    )
    agent = AgentService(AgentSpec(role="analyst", instructions="Count.", tools=(word_count,)), model_for(server))
    result = await agent.run(assignment("Count the words of 'a b c'"))
    assert result.status is TaskStatus.SUCCEEDED and result.summary == "The text has 3 words."
    retry_prompt = server.requests[1]["messages"][-1]
    assert retry_prompt["role"] == "user" and "not valid JSON" in retry_prompt["content"]
    assert next(a for a in result.artifacts if a.name == "word_count").text == "" and result.cost.model_calls == 3


async def test_agent_fails_cleanly_when_the_model_keeps_sending_malformed_calls(server: OpenAIProtocolServer) -> None:
    server.enqueue(*[ServerReply.malformed_call("word_count")] * 3)
    spec = AgentSpec(role="analyst", instructions="Count.", tools=(word_count,), max_repairs=2)
    result = await AgentService(spec, model_for(server)).run(assignment("Count the words"))
    assert result.status is TaskStatus.FAILED and result.error is not None
    assert result.error.type == "MalformedToolCall"
    server.assert_exhausted()


async def test_models_listing_and_embeddings_speak_the_protocol(server: OpenAIProtocolServer) -> None:
    client = openai.AsyncOpenAI(base_url=server.base_url, api_key="sk-test-local", max_retries=0)
    listing = await client.models.list()
    assert [m.id for m in listing.data] == ["agentrt-test"]
    floats = await client.embeddings.create(model="e", input=["red apple", "red apple"], encoding_format="float")
    packed = await client.embeddings.create(model="e", input="red apple", dimensions=8)
    assert floats.data[0].embedding == floats.data[1].embedding == pytest.approx(hashed_vector("red apple", 32))
    assert packed.data[0].embedding == pytest.approx(hashed_vector("red apple", 8), abs=1e-6)
    assert sum(v * v for v in floats.data[0].embedding) == pytest.approx(1.0)
    await client.close()


async def test_a_recording_replays_in_order_and_matched_by_request(
    server: OpenAIProtocolServer, tmp_path: Path
) -> None:
    server.enqueue(ServerReply.answer("first"), ServerReply.call("word_count", {"text": "x"}))
    model = model_for(server)
    await model.complete([ChatMessage(role="user", content="one")], [])
    await model.complete([ChatMessage(role="user", content="two")], [word_count.spec])
    path = tmp_path / "conversation.json"
    server.save_recording(path)

    with OpenAIProtocolServer.from_recording(path, match="request", api_key="sk-test-local") as replay:
        model = model_for(replay)
        second = await model.complete([ChatMessage(role="user", content="two")], [word_count.spec])
        first = await model.complete([ChatMessage(role="user", content="one")], [])
        assert (first.text, second.tool_calls[0].tool) == ("first", "word_count")
        replay.assert_exhausted()
    with OpenAIProtocolServer.from_recording(path, api_key="sk-test-local") as replay:
        assert (await model_for(replay).complete(HELLO, [])).text == "first"
        assert replay.remaining == 1


async def test_an_unscripted_request_fails_loudly(server: OpenAIProtocolServer) -> None:
    with pytest.raises(ModelError):
        await model_for(server).complete(HELLO, [])
    with pytest.raises(Exception, match="unanswered"):
        server.assert_exhausted()


async def test_offline_model_behind_the_server_runs_an_agent_over_http() -> None:
    with OpenAIProtocolServer(responder=responder_for(OfflineModel())) as server:
        agent = AgentService(AgentSpec(role="analyst", instructions="Count.", tools=(word_count,)), model_for(server))
        result = await agent.run(assignment("Count the words of the text", Artifact(name="text", text="one two")))
    assert result.status is TaskStatus.SUCCEEDED and "word_count: 2" in result.summary
    assert len(server.requests) == 2 and not result.offline


def test_the_api_key_is_not_shown_in_the_config_repr() -> None:
    config = OpenAIModelConfig(api_key="sk-live-abcdefghijklmnopqrstuv")  # type: ignore[arg-type]
    assert "abcdefghij" not in repr(config)
