"""agentrt actors: the actor host, models, the tool layer, the policy gate and the agent loop."""

from __future__ import annotations

from actors.agent import AgentService, AgentSpec
from actors.event_sinks import CollectingSink, DiscardingSink
from actors.host import ActorOptions, LocalTransport, RayTransport, ServiceClient, ServiceHost, Transport, spawn
from actors.logs import configure_logging, redact_processor
from actors.model_choice import chat_model_from_env
from actors.offline_model import OFFLINE_LABEL, OFFLINE_MODEL_NAME, OfflineModel
from actors.openai_model import OpenAIChatModel, OpenAIModelConfig, openai_config_from_env
from actors.openai_server import OpenAIProtocolServer, hashed_vector
from actors.policy import AllowAll, PolicyRule, RuleGate
from actors.redaction import Redaction, redact, redact_json
from actors.remote import RemoteSpecialist
from actors.remote_events import EventSinkService, RemoteEventSink
from actors.scripted_model import ScriptedModel, ScriptedRequest, call
from actors.server_reply import ScriptedToolCall, ServerReply, chat_request, responder_for
from actors.task_brief import INPUTS_FENCE, TaskBrief, clip_json, observation_message
from actors.tool import RetryPolicy, Tool, ToolContext, tool
from actors.tool_registry import ToolRegistry
from actors.tool_runner import ToolOutcome, ToolRunner, error_info
from actors.write_ledger import RecordedWrite, WriteLedger, canonical_json, idempotency_key

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
    "RayTransport",
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
    "ServiceHost",
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
    "chat_model_from_env",
    "chat_request",
    "clip_json",
    "configure_logging",
    "error_info",
    "hashed_vector",
    "idempotency_key",
    "observation_message",
    "openai_config_from_env",
    "redact",
    "redact_json",
    "redact_processor",
    "responder_for",
    "spawn",
    "tool",
]
