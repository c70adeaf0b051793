"""agentrt cluster: the Python client, the ``agentrt`` command, the HTTP API, metrics and settings."""

from __future__ import annotations

from cluster.async_client import AsyncClient, AsyncRunHandle, SupervisorLink
from cluster.attachments import MEDIA_TYPES, attachment_from_path, media_type_of
from cluster.client import Client, RunHandle
from cluster.http import ApiKey, HookSpec, HttpConfig, build_app, hash_api_key
from cluster.metrics import RayMetrics
from cluster.progress import LineProgress, ProgressView, TerminalProgress, progress_for
from cluster.serving import HttpIngress, start_http, stop_http
from cluster.settings import EnvSettings, ModelSettings, settings_from_env
from cluster.trace import export_trace, read_trace, write_trace

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
