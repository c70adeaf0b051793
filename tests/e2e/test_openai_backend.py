"""The examples with the OpenAI backend: specialists talk to an OpenAI-compatible endpoint over HTTP.

The local server replays recorded conversations (tests/e2e/recordings, made by
make_recordings.py): each request must match a recorded one, so a change in
what the runtime sends the model shows up here as an unanswered request.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator

import pytest

from agentrt.actors.openai_backend import OpenAIProtocolServer
from agentrt.cluster.local_runtime import LocalRuntime
from agentrt.contracts import Goal, RunStatus
from tests.e2e.conftest import RECORDINGS, ModelEndpoint, finish, incident_goal, ticket_goal, weekly_sales_goal

EXAMPLES: dict[str, Callable[[str], Goal]] = {
    "weekly_sales": weekly_sales_goal,
    "incident": incident_goal,
    "triage_outage": lambda tenant: ticket_goal("TCK-1003", tenant),
}


@pytest.fixture
def endpoint(model_endpoint: tuple[OpenAIProtocolServer, ModelEndpoint]) -> Iterator[ModelEndpoint]:
    """The session's endpoint; replay switched off afterwards."""
    _, endpoint = model_endpoint
    yield endpoint
    endpoint.replay = None


@pytest.mark.parametrize("name", sorted(EXAMPLES))
async def test_example_replays_its_recorded_conversation(
    name: str, openai_local_runtime: LocalRuntime, endpoint: ModelEndpoint
) -> None:
    replay = OpenAIProtocolServer.from_recording(RECORDINGS / f"{name}.json", match="request")
    recorded = replay.remaining
    endpoint.replay = replay
    state = await finish(openai_local_runtime, EXAMPLES[name](f"replay-{name.replace('_', '-')}"))
    assert state.status == RunStatus.DONE and state.verified, state.error
    assert replay.remaining == 0 and recorded > 0
    assert all(r.offline for r in state.results.values()) is False


async def test_openai_backend_uses_native_tool_calls(
    model_endpoint: tuple[OpenAIProtocolServer, ModelEndpoint], openai_local_runtime: LocalRuntime
) -> None:
    server, _ = model_endpoint
    state = await finish(openai_local_runtime, weekly_sales_goal("native-tools"))
    assert state.status == RunStatus.DONE
    with_tools = [r for r in server.requests if r.get("tools")]
    assert with_tools and all(t["type"] == "function" for t in with_tools[-1]["tools"])
    assert any(
        m.get("tool_calls") for r in server.requests for m in r.get("messages", ()) if m.get("role") == "assistant"
    )
    # Every request carries its role's output schema as the structured-output response format.
    formats = [r.get("response_format") for r in server.requests]
    assert formats and all(f and f["type"] == "json_schema" for f in formats)
    names = {f["json_schema"]["name"] for f in formats if f}
    assert {"analysis", "draft", "verdict"} <= names
    qa_schema = next(f["json_schema"]["schema"] for f in formats if f and f["json_schema"]["name"] == "verdict")
    assert "passed" in qa_schema["required"]
