"""agentrt actors: the agent loop, the tool layer, the policy gate, event sinks and the service transport.

Models live in their own packages: :mod:`agentrt.actors.offline` (the offline
model), :mod:`agentrt.actors.openai_backend` (any OpenAI-compatible endpoint, and a
local server of that protocol), :mod:`agentrt.actors.testing` (a scripted model for
tests). The Ray actor host (``spawn``, ``RayTransport``, ``ServiceHost``) is
:mod:`agentrt.actors.host`; it is not imported here, so the logic packages load
without Ray.
"""

from __future__ import annotations

from agentrt.actors.agent import AgentService
from agentrt.actors.agent_spec import AgentSpec
from agentrt.actors.event_sinks import CollectingSink, DiscardingSink
from agentrt.actors.logs import configure_logging
from agentrt.actors.policy import AllowAll, PolicyRule, RuleGate
from agentrt.actors.redaction import Redaction, redact, redact_json
from agentrt.actors.remote_events import BatchingEventSink, EventSinkService, RemoteEventSink
from agentrt.actors.tool import RetryPolicy, Tool, ToolContext, tool
from agentrt.actors.transport import ActorOptions, LocalTransport, ServiceClient, Transport
from agentrt.actors.write_ledger import WriteLedger, idempotency_key

__all__ = [
    "ActorOptions",
    "AgentService",
    "AgentSpec",
    "AllowAll",
    "BatchingEventSink",
    "CollectingSink",
    "DiscardingSink",
    "EventSinkService",
    "LocalTransport",
    "PolicyRule",
    "Redaction",
    "RemoteEventSink",
    "RetryPolicy",
    "RuleGate",
    "ServiceClient",
    "Tool",
    "ToolContext",
    "Transport",
    "WriteLedger",
    "configure_logging",
    "idempotency_key",
    "redact",
    "redact_json",
    "tool",
]
