"""The HTTP API: runs, approvals, answers, a live event stream and webhooks, per tenant.

========  ============================  ==================================================
method    path                          does
========  ============================  ==================================================
POST      /v1/runs                      submit a goal (JSON: goal, attachments, workflow)
GET       /v1/runs                      the tenant's runs, newest first
GET       /v1/runs/{id}                 a run's state
GET       /v1/runs/{id}/events          the run's trace as server-sent events, live until it ends
POST      /v1/runs/{id}/cancel          cancel a run
POST      /v1/runs/{id}/answer          answer its clarifying question (request_id, text)
POST      /v1/approvals/{id}            approve or reject (approved, reason)
POST      /v1/hooks/{name}              start a configured workflow from an event's JSON payload
========  ============================  ==================================================

Every request carries ``Authorization: Bearer <key>``. Keys map to a tenant (and a
user) in :class:`HttpConfig`; only their SHA-256 digests are stored, and a presented
key is compared against each digest in constant time. A tenant sees only its own
runs: another tenant's run is answered exactly like a missing one (404).

The app is plain ASGI (FastAPI): :mod:`agentrt.cluster.serving` runs it on Ray Serve, and it
runs under any ASGI server or test client as well.
"""

from __future__ import annotations

import hashlib
import hmac
import json
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path
from typing import Annotated

from fastapi import APIRouter, Depends, FastAPI, Header, HTTPException, Request
from fastapi.responses import JSONResponse, StreamingResponse
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from agentrt.cluster.async_client import AsyncClient, AsyncRunHandle
from agentrt.contracts import (
    AccessDenied,
    ActorLost,
    AgentRTError,
    Attachment,
    ConfigError,
    Name,
    NotFound,
    PolicyDenied,
    SupervisorRef,
    TenantId,
    UsageError,
    UserId,
)

__all__ = ["ROUTES", "ApiKey", "HookSpec", "HttpConfig", "build_app", "hash_api_key"]

_BEARER = "bearer "


def hash_api_key(key: str) -> str:
    """The SHA-256 hex digest stored for an API key."""
    return hashlib.sha256(key.encode("utf-8")).hexdigest()


class ApiKey(BaseModel):
    """One API key, by its digest: whom it acts for."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    tenant: TenantId
    user: UserId = "api"
    sha256: str = Field(pattern=r"^[0-9a-f]{64}$")


class HookSpec(BaseModel):
    """A webhook: which workflow an external event starts, and with what goal.

    Attributes:
        goal: Goal text of the run; the event's JSON is attached as ``event.json``.
        workflow: Workflow the run follows (None lets the planner decide).
        text_field: A top-level string field of the payload appended to the goal text.
    """

    model_config = ConfigDict(frozen=True, extra="forbid")

    goal: str = Field(min_length=3, max_length=4000)
    workflow: Name | None = None
    text_field: str | None = None


class HttpConfig(BaseModel):
    """Configuration of the HTTP API (a JSON file: ``{"keys": [...], "hooks": {...}}``)."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    keys: tuple[ApiKey, ...] = ()
    hooks: dict[Name, HookSpec] = Field(default_factory=dict)
    max_body_bytes: int = Field(default=16_000_000, ge=1024)

    @classmethod
    def from_file(cls, path: Path | str) -> HttpConfig:
        """Read the configuration from a JSON file.

        Raises:
            ConfigError: The file is missing or malformed.
        """
        try:
            return cls.model_validate_json(Path(path).read_text(encoding="utf-8"))
        except (OSError, ValidationError) as exc:
            raise ConfigError(f"cannot read the HTTP API configuration {path}: {exc}", path=str(path)) from None

    def authenticate(self, key: str) -> ApiKey | None:
        """The key's entry, or None; every entry is compared, in constant time, whatever matches."""
        digest = hash_api_key(key)
        found = None
        for entry in self.keys:
            if hmac.compare_digest(entry.sha256, digest):
                found = entry
        return found


class SubmitBody(BaseModel):
    """Body of ``POST /v1/runs``."""

    model_config = ConfigDict(extra="forbid")

    goal: str
    workflow: str | None = None
    attachments: tuple[Attachment, ...] = ()
    constraints: tuple[str, ...] = ()
    acceptance_criteria: tuple[str, ...] = ()


class DecisionBody(BaseModel):
    """Body of ``POST /v1/approvals/{id}``."""

    model_config = ConfigDict(extra="forbid")

    approved: bool
    reason: str = ""


class AnswerBody(BaseModel):
    """Body of ``POST /v1/runs/{id}/answer``."""

    model_config = ConfigDict(extra="forbid")

    request_id: str
    text: str


def _status_of(exc: AgentRTError) -> int:
    if isinstance(exc, NotFound):
        return 404
    if isinstance(exc, UsageError):
        return 400
    if isinstance(exc, AccessDenied | PolicyDenied):
        return 403
    if isinstance(exc, ActorLost):
        return 503
    return 500


def _error_response(_: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, AgentRTError)
    body = {"error": type(exc).__name__, "message": str(exc), "details": exc.details}
    return JSONResponse(body, status_code=_status_of(exc))


def _sse(events: AsyncIterator[str]) -> StreamingResponse:
    return StreamingResponse(
        events, media_type="text/event-stream", headers={"Cache-Control": "no-cache", "X-Accel-Buffering": "no"}
    )


def _hook_goal(spec: HookSpec, payload: object) -> str:
    extra = payload.get(spec.text_field) if isinstance(payload, dict) and spec.text_field else None
    return f"{spec.goal}: {extra}" if isinstance(extra, str) and extra.strip() else spec.goal


@dataclass(frozen=True)
class _AppState:
    supervisor: SupervisorRef
    config: HttpConfig


def _caller(request: Request, authorization: Annotated[str | None, Header()] = None) -> AsyncClient:
    state: _AppState = request.app.state.agentrt
    key = authorization[len(_BEARER) :].strip() if authorization and authorization.lower().startswith(_BEARER) else ""
    entry = state.config.authenticate(key) if key else None
    if entry is None:
        raise HTTPException(
            401, "a valid API key is required: Authorization: Bearer <key>", headers={"WWW-Authenticate": "Bearer"}
        )
    return AsyncClient(tenant=entry.tenant, user=entry.user, supervisor=state.supervisor)


_Caller = Annotated[AsyncClient, Depends(_caller)]


async def _body_json(request: Request) -> object:
    limit = request.app.state.agentrt.config.max_body_bytes
    raw = await request.body()
    if len(raw) > limit:
        raise HTTPException(413, f"body larger than {limit} bytes")
    try:
        return json.loads(raw or b"null")
    except ValueError:
        raise HTTPException(400, "the body is not JSON") from None


def _submitted(run: AsyncRunHandle) -> dict[str, object]:
    summary = run.submitted
    return summary.model_dump(mode="json") if summary is not None else {"run_id": run.run_id, "tenant": run.tenant}


ROUTES = APIRouter(prefix="/v1")
"""Every route of the API; :func:`build_app` mounts them."""


@ROUTES.post("/runs", status_code=202)
async def _submit(body: SubmitBody, client: _Caller) -> dict[str, object]:
    goal = client.goal(body.goal, body.attachments, body.workflow, body.constraints, body.acceptance_criteria)
    return _submitted(await client.submit(goal))


@ROUTES.get("/runs")
async def _runs(client: _Caller) -> dict[str, object]:
    return {"runs": [r.model_dump(mode="json") for r in await client.runs()]}


@ROUTES.get("/runs/{run_id}")
async def _status(run_id: str, client: _Caller) -> dict[str, object]:
    return (await client.run(run_id).status()).model_dump(mode="json")


@ROUTES.get("/runs/{run_id}/events")
async def _events(
    run_id: str, client: _Caller, after: int = -1, last_event_id: Annotated[str | None, Header()] = None
) -> StreamingResponse:
    handle = client.run(run_id)
    await handle.status()  # a missing or foreign run is a 404 before the stream starts
    start = max(after, int(last_event_id)) if last_event_id and last_event_id.isdigit() else after

    async def stream() -> AsyncIterator[str]:
        async for event in handle.events(start):
            yield f"id: {event.seq}\nevent: {event.type}\ndata: {event.model_dump_json()}\n\n"
        yield "event: end\ndata: {}\n\n"

    return _sse(stream())


@ROUTES.post("/runs/{run_id}/cancel")
async def _cancel(run_id: str, client: _Caller) -> dict[str, object]:
    return (await client.run(run_id).cancel("cancelled over HTTP")).model_dump(mode="json")


@ROUTES.post("/runs/{run_id}/answer")
async def _answer(run_id: str, body: AnswerBody, client: _Caller) -> dict[str, object]:
    return (await client.answer(run_id, body.request_id, body.text)).model_dump(mode="json")


@ROUTES.post("/approvals/{request_id}")
async def _decide(request_id: str, body: DecisionBody, client: _Caller) -> dict[str, object]:
    decide = client.approve if body.approved else client.reject
    return (await decide(request_id, body.reason)).model_dump(mode="json")


@ROUTES.post("/hooks/{name}", status_code=202)
async def _hook(
    name: str, request: Request, client: _Caller, payload: Annotated[object, Depends(_body_json)]
) -> dict[str, object]:
    spec = request.app.state.agentrt.config.hooks.get(name)
    if spec is None:
        raise NotFound(f"no webhook {name!r}; configure it under 'hooks' of the HTTP API configuration", hook=name)
    event = Attachment(name="event.json", media_type="application/json", content=json.dumps(payload, indent=2))
    return _submitted(await client.submit(client.goal(_hook_goal(spec, payload), (event,), spec.workflow)))


def build_app(supervisor: SupervisorRef, config: HttpConfig) -> FastAPI:
    """The ASGI app of the API over the supervisor service (a proxy of it, or the service)."""
    app = FastAPI(title="agentrt", summary="Run multi-step agent workflows on Ray.", version="1")
    app.add_exception_handler(AgentRTError, _error_response)
    app.state.agentrt = _AppState(supervisor, config)
    app.include_router(ROUTES)
    return app
