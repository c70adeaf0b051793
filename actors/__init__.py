"""agentrt actors: models, the tool layer, the policy gate, the agent loop and the service transport.

The Ray actor host (``spawn``, ``RayTransport``, ``ServiceHost``) is :mod:`agentrt.actors.host`;
it is not imported here, so the logic packages load without Ray.
"""

from __future__ import annotations

from agentrt.actors.agent import AgentService
from agentrt.actors.agent_spec import AgentSpec
from agentrt.actors.event_sinks import CollectingSink, DiscardingSink
from agentrt.actors.logs import configure_logging, redact_processor
from agentrt.actors.offline_model import OFFLINE_LABEL, OFFLINE_MODEL_NAME, OfflineModel
from agentrt.actors.openai_model import OpenAIChatModel, OpenAIModelConfig
from agentrt.actors.openai_server import OpenAIProtocolServer, hashed_vector
from agentrt.actors.policy import AllowAll, PolicyRule, RuleGate
from agentrt.actors.redaction import Redaction, redact, redact_json
from agentrt.actors.remote import RemoteSpecialist
from agentrt.actors.remote_events import EventSinkService, RemoteEventSink
from agentrt.actors.scripted_model import ScriptedModel, ScriptedRequest, call
from agentrt.actors.server_reply import ScriptedToolCall, ServerReply, chat_request, responder_for
from agentrt.actors.task_brief import INPUTS_FENCE, TaskBrief, clip_json, observation_message
from agentrt.actors.tool import RetryPolicy, Tool, ToolContext, tool
from agentrt.actors.tool_registry import ToolRegistry
from agentrt.actors.tool_runner import ToolOutcome, ToolRunner, error_info
from agentrt.actors.transport import ActorOptions, LocalTransport, ServiceClient, Transport
from agentrt.actors.write_ledger import RecordedWrite, WriteLedger, canonical_json, idempotency_key

__all__ = [
    "ActorOptions",
    "AgentService",
    "AgentSpec",
    "AllowAll",
    "CollectingSink",
    "DiscardingSink",
    "EventSinkService",
    "INPUTS_FENCE",
    "LocalTransport",
    "OFFLINE_LABEL",
    "OFFLINE_MODEL_NAME",
    "OfflineModel",
    "OpenAIChatModel",
    "OpenAIModelConfig",
    "OpenAIProtocolServer",
    "PolicyRule",
    "RecordedWrite",
    "Redaction",
    "RemoteEventSink",
    "RemoteSpecialist",
    "RetryPolicy",
    "RuleGate",
    "ScriptedModel",
    "ScriptedRequest",
    "ScriptedToolCall",
    "ServerReply",
    "ServiceClient",
    "TaskBrief",
    "Tool",
    "ToolContext",
    "ToolOutcome",
    "ToolRegistry",
    "ToolRunner",
    "Transport",
    "WriteLedger",
    "call",
    "canonical_json",
    "chat_request",
    "clip_json",
    "configure_logging",
    "error_info",
    "hashed_vector",
    "idempotency_key",
    "observation_message",
    "redact",
    "redact_json",
    "redact_processor",
    "responder_for",
    "tool",
]
