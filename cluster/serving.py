"""Keeping the runtime up: the HTTP API on Ray Serve, and ``agentrt serve``.

The HTTP API runs as a Serve deployment; each replica finds the supervisor actor
by name and builds the ASGI app of :mod:`agentrt.cluster.http` around it.
"""

from __future__ import annotations

import argparse
import contextlib
import os
import signal
import threading
from typing import Any, TextIO

import ray
from ray import serve

from agentrt.actors.credentials import OPERATOR, KeyRing, Signer
from agentrt.actors.host import RayTransport, ServiceClient
from agentrt.actors.proxy import supervisor_proxy
from agentrt.cluster.http import HttpConfig, build_app
from agentrt.cluster.live import LiveRecord, clear_record, write_record
from agentrt.cluster.settings import settings_from_env
from agentrt.contracts import utcnow

__all__ = [
    "HTTP_APP_NAME",
    "SUPERVISOR_ACTOR",
    "HttpIngress",
    "dashboard_url",
    "serve_forever",
    "start_http",
    "stop_http",
]

SUPERVISOR_ACTOR = "agentrt-supervisor"
"""The name of the supervisor actor in the runtime's namespace."""

HTTP_APP_NAME = "agentrt-http"
"""The Serve application name of the HTTP API."""


# Event streams stay open for a run's life, so a replica must hold many requests at once.
@serve.deployment(name="agentrt-http", ray_actor_options={"num_cpus": 0}, max_ongoing_requests=256)
@serve.ingress()
class HttpIngress:
    """A Serve replica of the HTTP API.

    Args:
        config: Keys and webhooks.
        supervisor: Name of the supervisor actor.
        namespace: Its Ray namespace.
        keyring: The runtime's keyring: the API authenticates callers by their API keys and signs its
            calls to the supervisor (which checks each request's tenant against the key's).
    """

    def __init__(self, config: HttpConfig, supervisor: str, namespace: str, keyring: KeyRing | None = None) -> None:
        self._config = config
        self._supervisor = supervisor
        self._namespace = namespace
        self._keyring = keyring

    def __serve_build_asgi_app__(self) -> object:
        """Build the app around the supervisor actor (Serve calls this once per replica)."""
        handle = ray.get_actor(self._supervisor, namespace=self._namespace)
        signer = Signer(self._keyring, OPERATOR) if self._keyring is not None else None
        transport = RayTransport(handle, signer=signer)
        return build_app(supervisor_proxy(ServiceClient(transport, label="supervisor")), self._config)


def start_http(
    config: HttpConfig,
    namespace: str,
    host: str = "127.0.0.1",
    port: int = 8000,
    supervisor: str = SUPERVISOR_ACTOR,
    keyring: KeyRing | None = None,
) -> str:
    """Start (or update) the HTTP API on Ray Serve and return its base URL.

    Ray must be initialised; the supervisor actor must exist under ``supervisor`` in ``namespace``.
    """
    serve.start(http_options={"host": host, "port": port})
    deployment: Any = HttpIngress  # @serve.deployment made the class a Deployment
    serve.run(deployment.bind(config, supervisor, namespace, keyring), name=HTTP_APP_NAME, route_prefix="/")
    return f"http://{host}:{port}"


def stop_http() -> None:
    """Remove the HTTP API application from Serve (Serve itself keeps running)."""
    serve.delete(HTTP_APP_NAME)


def dashboard_url() -> str:
    """The Ray dashboard's URL, or an empty string when it does not run."""
    url = ray._private.worker.get_dashboard_url()  # type: ignore[no-untyped-call]  # noqa: SLF001  (no public accessor)
    return f"http://{url}" if url and not url.startswith("http") else (url or "")


def serve_forever(args: argparse.Namespace, out: TextIO) -> int:
    """Connect with detached actors, record where the runtime runs, start the HTTP API if asked, and block.

    Ends on Ctrl-C or SIGTERM (``agentrt stop``): the record is removed and a Ray cluster this
    command started stops with it.
    """
    from agentrt.cluster.command_config import config_from_args  # noqa: PLC0415
    from agentrt.cluster.runtime import connect_ray  # noqa: PLC0415

    env = settings_from_env(os.environ)
    runtime = connect_ray(config_from_args(args, detached=True))
    config = runtime.config
    record = LiveRecord(
        address=ray.get_runtime_context().gcs_address,
        namespace=config.namespace,
        pid=os.getpid(),
        fingerprint=runtime.manifest.fingerprint,
        started_at=utcnow(),
        dashboard=dashboard_url(),
        started_cluster=runtime.started_ray,
    )
    write_record(config.data_dir, record)
    print(f"agentrt is up in namespace {config.namespace!r} at {record.address}; data in {config.data_dir}", file=out)
    if runtime.applied:
        print(f"applied to the running runtime: {'; '.join(runtime.applied)}", file=out)
    print(f"Ray dashboard: {record.dashboard or 'not running (start Ray with the dashboard to get it)'}", file=out)
    if args.http:
        keys_file = args.api_keys or env.api_keys_file
        http_config = HttpConfig.from_file(keys_file) if keys_file else HttpConfig()
        if not http_config.keys:
            print("warning: no API keys configured; every HTTP request is refused (see deploy/README.md)", file=out)
        url = start_http(http_config, config.namespace, args.host, args.port, keyring=runtime.keyring)
        print(f"HTTP API: {url}/v1/runs  (OpenAPI docs at {url}/docs)", file=out)
    # A cluster this command started itself ends with it; a joined one keeps the detached actors.
    after = "the local Ray cluster stops with it" if runtime.started_ray else "the detached actors keep running"
    print(
        f"Serving; every agentrt command and Client() on this data directory joins it. "
        f"Ctrl-C or `agentrt stop` ends it ({after}).",
        file=out,
        flush=True,
    )
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    try:
        with contextlib.suppress(KeyboardInterrupt):
            stop.wait()
    finally:
        clear_record(config.data_dir, os.getpid())
        if args.http:
            with contextlib.suppress(Exception):
                stop_http()
        runtime.shutdown()
    print(f"Stopped serving ({after}).", file=out)
    return 0
