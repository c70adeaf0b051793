"""agentrt: an agent runtime on Ray.

The front door. The runtime's parts live in subpackages (``agentrt.contracts``,
``agentrt.actors``, ``agentrt.memory``, ``agentrt.specialists``,
``agentrt.supervisor``, ``agentrt.cluster``); the names a user needs first are
here::

    import agentrt

    with agentrt.Client(tenant="acme") as client:           # joins the running runtime, or starts one
        print(client.submit("Prepare the weekly sales summary", data=["sales.csv"]).result().output)

    config = agentrt.RuntimeConfig(model="offline", tools=(my_tool,), roles=(my_role,))
    with agentrt.connect(config, local=True) as runtime:    # the same parts, in this process
        ...

    agentrt.ask(agentrt.AgentSpec(role="orders", instructions="...", tools=(my_tool,)), "Where is ORD-1?")

Names are imported when first used, so ``import agentrt.contracts`` does not
load Ray.
"""

from __future__ import annotations

from importlib.metadata import PackageNotFoundError, version
from typing import TYPE_CHECKING

from agentrt._lazy import lazy_names

if TYPE_CHECKING:
    from agentrt.actors.agent import AgentService
    from agentrt.actors.agent_spec import AgentSpec
    from agentrt.actors.offline.model import OfflineModel
    from agentrt.actors.openai_backend.model import OpenAIChatModel, OpenAIModelConfig
    from agentrt.actors.policy import AllowAll, PolicyRule, RuleGate
    from agentrt.actors.testing.scripted import ScriptedModel
    from agentrt.actors.tool import Tool, ToolContext, tool
    from agentrt.cluster.async_client import AsyncClient
    from agentrt.cluster.client import Client, RunHandle
    from agentrt.cluster.local_runtime import LocalRuntime
    from agentrt.cluster.runtime import Runtime, RuntimeConfig, connect
    from agentrt.cluster.settings import ModelSettings
    from agentrt.contracts import AgentRTError, Budget, ConfigError, Goal, RunState, RunStatus, TaskResult
    from agentrt.single import aask, ask
    from agentrt.specialists.roles import RoleSpec
    from agentrt.supervisor.config import SupervisorConfig
    from agentrt.supervisor.output import FilterVerdict

__all__ = [
    "AgentRTError",
    "AgentService",
    "AgentSpec",
    "AllowAll",
    "AsyncClient",
    "Budget",
    "Client",
    "ConfigError",
    "FilterVerdict",
    "Goal",
    "LocalRuntime",
    "ModelSettings",
    "OfflineModel",
    "OpenAIChatModel",
    "OpenAIModelConfig",
    "PolicyRule",
    "RoleSpec",
    "RuleGate",
    "RunHandle",
    "RunState",
    "RunStatus",
    "Runtime",
    "RuntimeConfig",
    "ScriptedModel",
    "SupervisorConfig",
    "TaskResult",
    "Tool",
    "ToolContext",
    "__version__",
    "aask",
    "ask",
    "connect",
    "tool",
]

_WHERE = {
    "AgentService": "agentrt.actors.agent",
    "AgentSpec": "agentrt.actors.agent_spec",
    "OfflineModel": "agentrt.actors.offline.model",
    "OpenAIChatModel": "agentrt.actors.openai_backend.model",
    "OpenAIModelConfig": "agentrt.actors.openai_backend.model",
    "AllowAll": "agentrt.actors.policy",
    "PolicyRule": "agentrt.actors.policy",
    "RuleGate": "agentrt.actors.policy",
    "ScriptedModel": "agentrt.actors.testing.scripted",
    "Tool": "agentrt.actors.tool",
    "ToolContext": "agentrt.actors.tool",
    "tool": "agentrt.actors.tool",
    "AsyncClient": "agentrt.cluster.async_client",
    "Client": "agentrt.cluster.client",
    "LocalRuntime": "agentrt.cluster.local_runtime",
    "RunHandle": "agentrt.cluster.client",
    "Runtime": "agentrt.cluster.runtime",
    "RuntimeConfig": "agentrt.cluster.runtime",
    "connect": "agentrt.cluster.runtime",
    "ModelSettings": "agentrt.cluster.settings",
    "AgentRTError": "agentrt.contracts",
    "Budget": "agentrt.contracts",
    "ConfigError": "agentrt.contracts",
    "TaskResult": "agentrt.contracts",
    "aask": "agentrt.single",
    "ask": "agentrt.single",
    "Goal": "agentrt.contracts",
    "RunState": "agentrt.contracts",
    "RunStatus": "agentrt.contracts",
    "RoleSpec": "agentrt.specialists.roles",
    "SupervisorConfig": "agentrt.supervisor.config",
    "FilterVerdict": "agentrt.supervisor.output",
}

try:
    __version__ = version("agentrt")
except PackageNotFoundError:  # running from a source tree that was never installed
    __version__ = "0+unknown"


__getattr__, __dir__ = lazy_names("agentrt", globals(), _WHERE)
