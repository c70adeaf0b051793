"""agentrt cluster: the Python client, the ``agentrt`` command, the HTTP API, metrics and settings."""

from __future__ import annotations

from agentrt.cluster.async_client import AsyncClient, AsyncRunHandle, SupervisorLink
from agentrt.cluster.attachments import MEDIA_TYPES, attachment_from_path, media_type_of
from agentrt.cluster.client import Client, RunHandle
from agentrt.cluster.http import ApiKey, HookSpec, HttpConfig, build_app, hash_api_key
from agentrt.cluster.metrics import RayMetrics
from agentrt.cluster.progress import LineProgress, ProgressView, TerminalProgress, progress_for
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
    "MEDIA_TYPES",
    "ModelSettings",
    "ProgressView",
    "RayMetrics",
    "RunHandle",
    "SupervisorLink",
    "TerminalProgress",
    "attachment_from_path",
    "build_app",
    "export_trace",
    "hash_api_key",
    "media_type_of",
    "progress_for",
    "read_trace",
    "settings_from_env",
    "start_http",
    "stop_http",
    "write_trace",
]
