"""agentrt cluster: the composition root, the Python client, the ``agentrt`` command, the HTTP API, metrics, settings.

Names are imported when first used, so importing one part (say the attachments
reader) does not load Ray or Ray Serve.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from agentrt._lazy import lazy_names

if TYPE_CHECKING:
    from agentrt.cluster.async_client import AsyncClient, AsyncRunHandle, SupervisorLink
    from agentrt.cluster.attachments import MEDIA_TYPES, attachment_from_path, media_type_of
    from agentrt.cluster.client import Client, RunHandle
    from agentrt.cluster.http import ApiKey, HookSpec, HttpConfig, build_app, hash_api_key
    from agentrt.cluster.live import LiveRecord, read_record
    from agentrt.cluster.local_runtime import LocalRuntime
    from agentrt.cluster.metrics import RayMetrics
    from agentrt.cluster.progress import LineProgress, ProgressView, TerminalProgress, progress_for
    from agentrt.cluster.runtime import Runtime, RuntimeConfig, connect
    from agentrt.cluster.serving import HttpIngress, start_http, stop_http
    from agentrt.cluster.settings import EnvSettings, ModelSettings, settings_from_env
    from agentrt.cluster.trace import export_trace, read_trace, write_trace

__all__ = [
    "ApiKey",
    "AsyncClient",
    "AsyncRunHandle",
    "Client",
    "EnvSettings",
    "HookSpec",
    "HttpConfig",
    "HttpIngress",
    "LineProgress",
    "LiveRecord",
    "LocalRuntime",
    "MEDIA_TYPES",
    "ModelSettings",
    "ProgressView",
    "RayMetrics",
    "RunHandle",
    "Runtime",
    "RuntimeConfig",
    "SupervisorLink",
    "TerminalProgress",
    "attachment_from_path",
    "build_app",
    "connect",
    "export_trace",
    "hash_api_key",
    "media_type_of",
    "progress_for",
    "read_record",
    "read_trace",
    "settings_from_env",
    "start_http",
    "stop_http",
    "write_trace",
]

_WHERE = {
    "ApiKey": "agentrt.cluster.http",
    "AsyncClient": "agentrt.cluster.async_client",
    "AsyncRunHandle": "agentrt.cluster.async_client",
    "Client": "agentrt.cluster.client",
    "EnvSettings": "agentrt.cluster.settings",
    "HookSpec": "agentrt.cluster.http",
    "HttpConfig": "agentrt.cluster.http",
    "HttpIngress": "agentrt.cluster.serving",
    "LineProgress": "agentrt.cluster.progress",
    "LiveRecord": "agentrt.cluster.live",
    "LocalRuntime": "agentrt.cluster.local_runtime",
    "MEDIA_TYPES": "agentrt.cluster.attachments",
    "ModelSettings": "agentrt.cluster.settings",
    "ProgressView": "agentrt.cluster.progress",
    "RayMetrics": "agentrt.cluster.metrics",
    "RunHandle": "agentrt.cluster.client",
    "Runtime": "agentrt.cluster.runtime",
    "RuntimeConfig": "agentrt.cluster.runtime",
    "SupervisorLink": "agentrt.cluster.async_client",
    "TerminalProgress": "agentrt.cluster.progress",
    "attachment_from_path": "agentrt.cluster.attachments",
    "build_app": "agentrt.cluster.http",
    "connect": "agentrt.cluster.runtime",
    "export_trace": "agentrt.cluster.trace",
    "hash_api_key": "agentrt.cluster.http",
    "media_type_of": "agentrt.cluster.attachments",
    "progress_for": "agentrt.cluster.progress",
    "read_record": "agentrt.cluster.live",
    "read_trace": "agentrt.cluster.trace",
    "settings_from_env": "agentrt.cluster.settings",
    "start_http": "agentrt.cluster.serving",
    "stop_http": "agentrt.cluster.serving",
    "write_trace": "agentrt.cluster.trace",
}


__getattr__, __dir__ = lazy_names("agentrt.cluster", globals(), _WHERE)
