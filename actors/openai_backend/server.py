"""A local HTTP server speaking the OpenAI protocol: the test double for the OpenAI backend.

It listens on 127.0.0.1 on an ephemeral port, in a background thread, and
serves ``POST /v1/chat/completions`` (answers and tool calls with usage),
``GET /v1/models`` and ``POST /v1/embeddings`` (deterministic hashed
bag-of-words vectors, ``float`` or ``base64``). Chat replies come from a
queue of :class:`~agentrt.actors.openai_backend.replies.ServerReply` (faults included), from a
responder function, or from a recording file::

    with OpenAIProtocolServer([ServerReply.failure(500), ServerReply.answer("hi")]) as server:
        model = OpenAIChatModel(OpenAIModelConfig(base_url=server.base_url, model="test"))
        ...
        server.assert_exhausted()

    server.save_recording(path)                         # every exchange served so far
    OpenAIProtocolServer.from_recording(path).start()   # plays it back, in order or matched by request
    OpenAIProtocolServer(responder=responder_for(OfflineModel()))  # any workflow, over real HTTP

Only the standard library is used.
"""

from __future__ import annotations

import base64
import hashlib
import itertools
import json
import math
import re
import struct
import threading
import time
from collections import deque
from collections.abc import Callable, Iterable, Mapping
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from types import TracebackType
from typing import Any, Literal, Self

from agentrt.actors.openai_backend.replies import ServerReply
from agentrt.contracts import UsageError

__all__ = ["OpenAIProtocolServer", "hashed_vector"]

Responder = Callable[[Mapping[str, Any]], ServerReply]


class OpenAIProtocolServer:
    """Scripted OpenAI-compatible endpoint on 127.0.0.1.

    Args:
        replies: Chat replies served in order.
        responder: Computes a reply for each request instead (used when the queue is empty).
        model: Model name reported by ``/v1/models`` and in replies.
        api_key: When set, requests must carry ``Authorization: Bearer <api_key>``.
        embedding_dim: Dimension of ``/v1/embeddings`` vectors unless a request asks for ``dimensions``.
        match: ``order`` serves queued replies first-in first-out; ``request`` serves the queued reply
            whose recorded request has the same messages (see :meth:`from_recording`).
    """

    def __init__(
        self,
        replies: Iterable[ServerReply] = (),
        *,
        responder: Responder | None = None,
        model: str = "agentrt-test",
        api_key: str | None = None,
        embedding_dim: int = 32,
        match: Literal["order", "request"] = "order",
    ) -> None:
        self.model = model
        self.api_key = api_key
        self.embedding_dim = embedding_dim
        self.match = match
        self.responder = responder
        self.requests: list[dict[str, Any]] = []
        self.exchanges: list[tuple[dict[str, Any], ServerReply]] = []
        self.unanswered = 0
        self._queue: deque[ServerReply] = deque(replies)
        self._recorded: list[tuple[str, ServerReply]] = []
        self._lock = threading.Lock()
        self._ids = itertools.count(1)
        self._http: ThreadingHTTPServer | None = None
        self._thread: threading.Thread | None = None

    @property
    def base_url(self) -> str:
        """The ``/v1`` root to give an OpenAI client."""
        if self._http is None:
            raise UsageError("the server is not started", what="not_started")
        return f"http://127.0.0.1:{self._http.server_address[1]}/v1"

    def start(self) -> Self:
        """Start serving in a background thread; returns the server."""
        if self._http is None:
            self._http = ThreadingHTTPServer(("127.0.0.1", 0), _handler_for(self))
            self._http.daemon_threads = True
            self._thread = threading.Thread(
                target=self._http.serve_forever,
                kwargs={"poll_interval": 0.02},
                name="openai-protocol-server",
                daemon=True,
            )
            self._thread.start()
        return self

    def stop(self) -> None:
        """Stop serving and release the port."""
        if self._http is not None:
            self._http.shutdown()
            self._http.server_close()
            self._http = None

    def __enter__(self) -> Self:
        return self.start()

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.stop()

    def enqueue(self, *replies: ServerReply) -> None:
        """Add replies to the end of the queue."""
        with self._lock:
            self._queue.extend(replies)

    @property
    def remaining(self) -> int:
        """Queued replies not served yet."""
        with self._lock:
            return len(self._queue) + len(self._recorded)

    def assert_exhausted(self) -> None:
        """Raise UsageError when replies were left unserved or a request found no reply."""
        if self.remaining or self.unanswered:
            raise UsageError(f"{self.remaining} scripted replies unserved, {self.unanswered} requests unanswered",
                             what="script_unused")  # fmt: skip

    def save_recording(self, path: str | Path) -> None:
        """Write every chat exchange served so far as a recording file (JSON)."""
        with self._lock:
            exchanges = [{"request": req, "reply": rep.to_json()} for req, rep in self.exchanges]
        Path(path).write_text(json.dumps({"model": self.model, "exchanges": exchanges}, indent=1))

    @classmethod
    def from_recording(cls, path: str | Path, match: Literal["order", "request"] = "order", **options: Any) -> Self:
        """A server that replays a recording file: ``{"exchanges": [{"request": {...}, "reply": {...}}]}``.

        ``match="order"`` serves the replies in order; ``match="request"`` serves, for each
        request, the recorded reply whose request carried the same messages (ids aside).
        """
        data = json.loads(Path(path).read_text())
        exchanges = data.get("exchanges") or []
        server = cls(model=data.get("model", "agentrt-test"), match=match, **options)
        replies = [ServerReply.from_json(e["reply"]) for e in exchanges]
        if match == "request":
            keys = [_request_key(e.get("request") or {}) for e in exchanges]
            server._recorded = list(zip(keys, replies, strict=True))
        else:
            server._queue.extend(replies)
        return server

    def next_reply(self, body: Mapping[str, Any]) -> ServerReply | None:
        """Pick the reply for one chat request (called by the HTTP handler)."""
        with self._lock:
            self.requests.append(dict(body))
            if self.match == "request" and self._recorded:
                key = _request_key(body)
                for index, (recorded, reply) in enumerate(self._recorded):
                    if recorded == key:
                        del self._recorded[index]
                        return reply
            elif self._queue:
                return self._queue.popleft()
        return self.responder(body) if self.responder is not None else None

    def completion(self, reply: ServerReply) -> dict[str, Any]:
        """The chat-completion JSON body for a reply."""
        calls = [
            {
                "id": c.id or f"call_{next(self._ids)}",
                "type": "function",
                "function": {"name": c.name, "arguments": c.arguments},
            }
            for c in reply.tool_calls
        ]
        message: dict[str, Any] = {"role": "assistant", "content": reply.text}
        if calls:
            message["tool_calls"] = calls
        usage = {"prompt_tokens": reply.prompt_tokens, "completion_tokens": reply.completion_tokens,
                 "total_tokens": reply.prompt_tokens + reply.completion_tokens}  # fmt: skip
        choice = {"index": 0, "message": message, "finish_reason": "tool_calls" if calls else "stop", "logprobs": None}
        return {"id": f"chatcmpl-{next(self._ids)}", "object": "chat.completion", "created": int(time.time()),
                "model": self.model, "choices": [choice], "usage": usage}  # fmt: skip

    def embeddings(self, body: Mapping[str, Any]) -> dict[str, Any]:
        """The embeddings JSON body: one deterministic unit vector per input text."""
        texts = body.get("input")
        texts = [texts] if isinstance(texts, str) else list(texts or [])
        dim = int(body.get("dimensions") or self.embedding_dim)
        as_base64 = body.get("encoding_format") == "base64"
        data = []
        for index, text in enumerate(texts):
            vector = hashed_vector(str(text), dim)
            encoded: Any = base64.b64encode(struct.pack(f"<{dim}f", *vector)).decode() if as_base64 else vector
            data.append({"object": "embedding", "index": index, "embedding": encoded})
        tokens = sum(len(str(t).split()) for t in texts)
        return {"object": "list", "data": data, "model": body.get("model", self.model),
                "usage": {"prompt_tokens": tokens, "total_tokens": tokens}}  # fmt: skip

    def record(self, body: Mapping[str, Any], reply: ServerReply) -> None:
        """Remember an exchange (for :meth:`save_recording`)."""
        with self._lock:
            self.exchanges.append((dict(body), reply))


def hashed_vector(text: str, dim: int) -> list[float]:
    """A unit vector from hashed lower-case words: texts sharing words point the same way."""
    vector = [0.0] * dim
    for word in re.findall(r"\w+", text.lower()) or [""]:
        digest = hashlib.sha256(word.encode()).digest()
        slot = int.from_bytes(digest[:4], "little") % dim
        vector[slot] += 1.0 if digest[4] & 1 else -1.0
    norm = math.sqrt(sum(v * v for v in vector)) or 1.0
    return [v / norm for v in vector] if any(vector) else [1.0] + [0.0] * (dim - 1)


_FENCE = re.compile(r"(<<(?:data|end) )[0-9a-f]{16,64}")


def _request_key(body: Mapping[str, Any]) -> str:
    def strip(message: Mapping[str, Any]) -> dict[str, Any]:
        kept = {k: v for k, v in message.items() if k != "tool_call_id"}
        if "tool_calls" in kept:
            kept["tool_calls"] = [{"name": c["function"]["name"], "arguments": c["function"]["arguments"]}
                                  for c in kept["tool_calls"] or ()]  # fmt: skip
        return kept

    # A run's data boundary is random; requests match whatever boundary their run drew.
    return _FENCE.sub(r"\1-", json.dumps([strip(m) for m in body.get("messages") or ()], sort_keys=True))


def _handler_for(server: OpenAIProtocolServer) -> type[BaseHTTPRequestHandler]:  # noqa: C901  (one class; its methods count together)
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"
        # Headers and body leave in separate writes; without this, Nagle plus delayed ACKs add ~40 ms a request.
        disable_nagle_algorithm = True

        def log_message(self, format: str, *args: Any) -> None:
            """Keep test output quiet."""

        def do_GET(self) -> None:
            if self.path.rstrip("/").endswith("/models"):
                entry = {"id": server.model, "object": "model", "created": 0, "owned_by": "agentrt"}
                self._send(200, {"object": "list", "data": [entry]})
            else:
                self._send(404, _error(f"no route {self.path}", "not_found"))

        def do_POST(self) -> None:
            if server.api_key is not None and self.headers.get("Authorization") != f"Bearer {server.api_key}":
                self._send(401, _error("invalid api key", "invalid_api_key"))
                return
            try:
                body = json.loads(self.rfile.read(int(self.headers.get("Content-Length") or 0)) or b"{}")
            except json.JSONDecodeError:
                self._send(400, _error("request body is not JSON", "invalid_request_error"))
                return
            if self.path.rstrip("/").endswith("/embeddings"):
                self._send(200, server.embeddings(body))
            elif self.path.rstrip("/").endswith("/chat/completions"):
                self._chat(body)
            else:
                self._send(404, _error(f"no route {self.path}", "not_found"))

        def _chat(self, body: dict[str, Any]) -> None:
            reply = server.next_reply(body)
            if reply is None:
                server.unanswered += 1
                self._send(400, _error("no scripted reply left for this request", "script_exhausted"))
                return
            server.record(body, reply)
            if reply.delay_s:
                time.sleep(reply.delay_s)
            if reply.status != 200:
                self._send(reply.status, _error(reply.error, "injected_fault"), dict(reply.headers))
            else:
                self._send(200, server.completion(reply), dict(reply.headers))

        def _send(self, status: int, payload: Mapping[str, Any], headers: Mapping[str, str] | None = None) -> None:
            data = json.dumps(payload).encode()
            try:
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                for key, value in (headers or {}).items():
                    self.send_header(key, value)
                self.end_headers()
                self.wfile.write(data)
            except (BrokenPipeError, ConnectionResetError):
                pass  # the client gave up (a timeout test); nothing to answer

    return Handler


def _error(message: str, kind: str) -> dict[str, Any]:
    return {"error": {"message": message, "type": kind, "param": None, "code": kind}}
