"""Tools: typed Python functions an agent may call.

A tool is an ordinary function (sync or async) with type hints and a
Google-style docstring. :func:`tool` turns it into a :class:`Tool`: the
signature becomes a pydantic model that validates the model's arguments and
whose JSON schema is what the model sees; the docstring becomes the
description (and the per-argument descriptions). Give the tools to a role
through :class:`~agentrt.actors.agent.AgentSpec`; nothing in the package needs to
change::

    from agentrt.actors import AgentService, AgentSpec, PolicyRule, RuleGate, tool
    from agentrt.actors.offline import OfflineModel

    @tool(output="rates")
    async def fetch_rates(base: str) -> dict[str, float]:
        '''Fetch today's exchange rates for a base currency.

Args:
            base: ISO currency code such as "EUR".
        '''
        return await rates_api.latest(base)

    @tool(writes=True, timeout_s=10, retries=3, transient=(ConnectionError,), fallback="queue_mail")
    def send_mail(to: str, subject: str, body: str, idempotency_key: str) -> dict[str, str]:
        '''Send an email to one recipient.

Args:
            to: Recipient address.
            subject: Subject line.
            body: Plain-text body.
        '''
        return mail_api.send(to, subject, body, dedupe=idempotency_key)

    @tool(writes=True)
    def queue_mail(to: str, subject: str, body: str) -> str:
        '''Queue an email for later delivery.'''
        return outbox.put(to, subject, body)

    spec = AgentSpec(role="writer", instructions="Draft and send mail.", tools=(fetch_rates, send_mail, queue_mail))
    gate = RuleGate([PolicyRule("needs_approval", writes=True, reason="mail leaves the company")], tools=spec.tools)
    result = await AgentService(spec, OfflineModel(), gate).run(assignment)

A plain typed function in ``AgentSpec.tools`` is wrapped with the defaults
(a read tool, 30 s timeout, three attempts for transient errors).

Special parameters are filled by the runtime and never shown to the model: a
parameter annotated :class:`ToolContext` receives the call's context (run,
step, caller, the step's input artifacts), and a parameter named
``idempotency_key`` receives the write's idempotency key so an external
system can deduplicate a write whose process died before it was recorded.
"""

from __future__ import annotations

import asyncio
import functools
import inspect
import random
import re
import sys
import typing
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any, overload

from pydantic import BaseModel, ConfigDict, Field, TypeAdapter, ValidationError, create_model
from pydantic_core import PydanticSerializationError, to_jsonable_python

from agentrt.contracts import (
    Artifact,
    ConfigError,
    Identity,
    JsonObject,
    JsonValue,
    ToolArgumentError,
    ToolError,
    ToolSpec,
    TransientToolError,
)

__all__ = ["RetryPolicy", "Tool", "ToolContext", "ship_by_value", "tool"]

IDEMPOTENCY_PARAMETER = "idempotency_key"
_JSON = TypeAdapter(JsonValue)
_NAME = re.compile(r"^[A-Za-z][A-Za-z0-9_\-]{0,63}$")
_SECTION = re.compile(r"^\s*(Args|Arguments|Parameters|Returns|Yields|Raises|Example|Examples|Note|Notes):\s*$")


@dataclass(frozen=True, slots=True)
class RetryPolicy:
    """How often and how patiently a tool is retried after a transient failure.

    Args:
        attempts: Total attempts, the first included.
        base_delay_s: Delay before the second attempt; it doubles each time.
        max_delay_s: Ceiling of a single delay.
        jitter: Fraction of each delay taken away at random, so retries of many callers spread out.
    """

    attempts: int = 3
    base_delay_s: float = 0.2
    max_delay_s: float = 5.0
    jitter: float = 0.5

    def __post_init__(self) -> None:
        if self.attempts < 1 or self.base_delay_s < 0 or self.max_delay_s < 0 or not 0 <= self.jitter <= 1:
            raise ConfigError(f"invalid retry policy {self!r}")

    def delay(self, attempt: int, rng: random.Random) -> float:
        """Return the pause after failed attempt number ``attempt`` (1-based)."""
        raw = min(self.max_delay_s, self.base_delay_s * 2 ** (attempt - 1))
        return float(raw * (1.0 - self.jitter * rng.random()))


@dataclass(frozen=True, slots=True)
class ToolContext:
    """What the runtime knows about one tool call; tools ask for it by annotating a parameter.

    Args:
        run_id: The run the call belongs to.
        step_id: The step the call belongs to.
        caller: The identity the step runs as.
        call_id: The model's id for this call.
        inputs: The step's input artifacts, complete (the model may have seen them clipped).
        idempotency_key: The write's idempotency key (None for read tools).
        attempt: 1 for the first attempt, growing with each retry.
    """

    run_id: str
    step_id: str
    caller: Identity
    call_id: str
    inputs: tuple[Artifact, ...] = ()
    idempotency_key: str | None = None
    attempt: int = 1

    def artifact(self, name: str) -> Artifact | None:
        """Return the input artifact called ``name``, or None."""
        return next((a for a in self.inputs if a.name == name), None)


@dataclass(frozen=True, slots=True)
class _Signature:
    arguments: type[BaseModel]
    context_parameter: str | None
    wants_key: bool


class Tool:
    """A typed function the model may call, with its reliability settings.

    Args:
        fn: The function (sync functions run in a worker thread).
        name: Tool name shown to the model; defaults to the function name.
        description: Defaults to the docstring's summary.
        writes: True when the tool changes the world; writes get idempotency keys and are never cached.
        transient: Exception types that mean "try again" (TransientToolError always does).
        timeout_s: Time limit of one attempt.
        retries: A RetryPolicy, or the total number of attempts.
        fallback: Name of a tool to call with the same arguments when this one fails permanently.
        output: Name of the artifact the output becomes; defaults to the tool name.
        cache: Whether results are reused within a run; defaults to True for read tools.
    """

    def __init__(
        self,
        fn: Callable[..., Any],
        *,
        name: str | None = None,
        description: str | None = None,
        writes: bool = False,
        transient: tuple[type[BaseException], ...] = (),
        timeout_s: float = 30.0,
        retries: RetryPolicy | int = RetryPolicy(),
        fallback: str | None = None,
        output: str | None = None,
        cache: bool | None = None,
    ) -> None:
        self.fn = fn
        self.name = name or fn.__name__
        self.writes = writes
        self.transient = tuple(transient)
        self.timeout_s = timeout_s
        self.retry = retries if isinstance(retries, RetryPolicy) else RetryPolicy(attempts=retries)
        self.fallback = fallback
        self.output = output or self.name
        self.cache = (not writes) if cache is None else (cache and not writes)
        self._options = {
            "name": name, "description": description, "writes": writes, "transient": self.transient,
            "timeout_s": timeout_s, "retries": self.retry, "fallback": fallback, "output": output, "cache": cache,
        }  # fmt: skip
        for label, value in (("name", self.name), ("output", self.output), ("fallback", fallback or "x")):
            if not _NAME.match(value):
                raise ConfigError(f"tool {label} {value!r} is not a valid name", field=label)
        if timeout_s <= 0:
            raise ConfigError(f"tool {self.name}: timeout_s must be positive", field="timeout_s")
        summary, argument_docs = _parse_docstring(inspect.getdoc(fn) or "")
        self.description = description or summary or self.name.replace("_", " ")
        self._signature = _read_signature(fn, self.name, argument_docs)
        self.is_async = inspect.iscoroutinefunction(fn)
        self.spec = ToolSpec(
            name=self.name, description=self.description, parameters=_schema(self._signature.arguments), writes=writes
        )
        functools.update_wrapper(self, fn)

    def __reduce__(self) -> str | tuple[Any, ...]:
        # A decorated module-level tool is pickled by name, like the function it replaced;
        # any other is rebuilt from its function (the argument model is a generated class).
        name = getattr(self.fn, "__module__", "") or ""
        if name in _BY_VALUE:
            return (_rebuild, (self.fn, self._options))
        found: Any = sys.modules.get(name)
        for part in self.fn.__qualname__.split("."):
            found = getattr(found, part, None)
        if found is self:
            return str(self.fn.__qualname__)
        return (_rebuild, (self.fn, self._options))

    def __repr__(self) -> str:
        return f"Tool({self.name!r}, writes={self.writes})"

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        """Call the underlying function directly (handy in tests)."""
        return self.fn(*args, **kwargs)

    def is_transient(self, exc: BaseException) -> bool:
        """Whether ``exc`` is worth retrying for this tool."""
        return isinstance(exc, (TransientToolError, *self.transient))

    def validate(self, arguments: Mapping[str, JsonValue]) -> JsonObject:
        """Check the arguments against the schema; return them in canonical JSON form (defaults filled).

        Raises:
            ToolArgumentError: naming the first offending field.
        """
        return typing.cast(JsonObject, self._parse(arguments).model_dump(mode="json"))

    async def invoke(self, arguments: Mapping[str, JsonValue], context: ToolContext) -> JsonValue:
        """Validate, call the function (sync ones in a thread) and return its output as JSON."""
        parsed = self._parse(arguments)
        kwargs = {name: getattr(parsed, name) for name in type(parsed).model_fields}
        if self._signature.context_parameter:
            kwargs[self._signature.context_parameter] = context
        if self._signature.wants_key:
            kwargs[IDEMPOTENCY_PARAMETER] = context.idempotency_key
        if self.is_async:
            value = await self.fn(**kwargs)
        else:
            value = await asyncio.to_thread(self.fn, **kwargs)
        return self._to_json(value)

    def _parse(self, arguments: Mapping[str, JsonValue]) -> BaseModel:
        try:
            return self._signature.arguments.model_validate(dict(arguments))
        except ValidationError as exc:
            raise _argument_error(self.name, exc) from None

    def _to_json(self, value: object) -> JsonValue:
        try:
            return _JSON.validate_python(to_jsonable_python(value))
        except (PydanticSerializationError, ValidationError) as exc:
            raise ToolError(f"tool {self.name} returned a value that is not JSON: {exc}", tool=self.name) from None


def _rebuild(fn: Callable[..., Any], options: dict[str, Any]) -> Tool:
    return Tool(fn, **options)


def _argument_error(tool_name: str, exc: ValidationError) -> ToolArgumentError:
    errors = exc.errors()
    first = ".".join(str(p) for p in errors[0]["loc"]) or "arguments"
    parts = [f"{'.'.join(str(p) for p in e['loc']) or 'arguments'}: {e['msg']}" for e in errors[:5]]
    return ToolArgumentError(f"invalid arguments for {tool_name}: " + "; ".join(parts), tool=tool_name, field=first)


def _read_signature(fn: Callable[..., Any], name: str, docs: Mapping[str, str]) -> _Signature:
    try:
        hints = typing.get_type_hints(fn, include_extras=True)
    except (NameError, TypeError) as exc:
        raise ConfigError(f"tool {name}: cannot resolve type hints: {exc}", tool=name) from None
    fields: dict[str, Any] = {}
    context_parameter: str | None = None
    wants_key = False
    for param in inspect.signature(fn).parameters.values():
        if param.kind in (param.VAR_POSITIONAL, param.VAR_KEYWORD, param.POSITIONAL_ONLY):
            raise ConfigError(f"tool {name}: parameter {param.name} must be a plain named parameter", tool=name)
        hint = hints.get(param.name)
        if hint is ToolContext:
            context_parameter = param.name
            continue
        if param.name == IDEMPOTENCY_PARAMETER:
            wants_key = True
            continue
        if hint is None:
            raise ConfigError(f"tool {name}: parameter {param.name} needs a type hint", tool=name, field=param.name)
        default: Any = ... if param.default is param.empty else param.default
        # A description given in the hint (Annotated[..., Field(description=...)]) stays unless the docstring has one.
        field = Field(default, description=docs[param.name]) if param.name in docs else Field(default)
        fields[param.name] = (hint, field)
    model = create_model(f"{name}_arguments", __config__=ConfigDict(extra="forbid"), **fields)
    return _Signature(arguments=model, context_parameter=context_parameter, wants_key=wants_key)


def _parse_docstring(doc: str) -> tuple[str, dict[str, str]]:
    summary: list[str] = []
    arguments: dict[str, str] = {}
    section: str | None = None
    current: str | None = None
    entry_indent: int | None = None
    for line in doc.splitlines():
        header = _SECTION.match(line)
        if header:
            section, current = header.group(1), None
        elif section is None:
            summary.append(line.strip())
        elif section in ("Args", "Arguments", "Parameters") and line.strip():
            indent = len(line) - len(line.lstrip())
            entry = re.match(r"^\s*(\w+)(?:\s*\([^)]*\))?:\s*(.*)$", line)
            if entry and (entry_indent is None or indent <= entry_indent):
                entry_indent = indent
                current = entry.group(1)
                arguments[current] = entry.group(2).strip()
            elif current:
                arguments[current] = f"{arguments[current]} {line.strip()}".strip()
    return " ".join(s for s in summary if s).strip(), arguments


def _schema(model: type[BaseModel]) -> JsonObject:
    schema = model.model_json_schema()
    schema.pop("title", None)
    schema.setdefault("properties", {})
    return typing.cast(JsonObject, _strip_titles(schema))


def _strip_titles(node: Any) -> Any:
    # Generated titles only repeat the property names; they cost the model tokens and say nothing.
    if isinstance(node, list):
        return [_strip_titles(v) for v in node]
    if not isinstance(node, dict):
        return node
    out: dict[str, Any] = {}
    for key, value in node.items():
        if key == "title" and isinstance(value, str):
            continue
        if key in ("properties", "$defs") and isinstance(value, dict):
            out[key] = {k: _strip_titles(v) for k, v in value.items()}
        else:
            out[key] = _strip_titles(value)
    return out


_BY_VALUE: set[str] = set()


def ship_by_value(module: str) -> None:
    """Pickle the tools of ``module`` with their code, not by name (for modules the receiver cannot import).

    Pair it with ``cloudpickle.register_pickle_by_value`` of the module, so its functions travel too.
    """
    _BY_VALUE.add(module)


@overload
def tool(fn: Callable[..., Any], /) -> Tool: ...


@overload
def tool(
    *,
    name: str | None = None,
    description: str | None = None,
    writes: bool = False,
    transient: tuple[type[BaseException], ...] = (),
    timeout_s: float = 30.0,
    retries: RetryPolicy | int = RetryPolicy(),
    fallback: str | None = None,
    output: str | None = None,
    cache: bool | None = None,
) -> Callable[[Callable[..., Any]], Tool]: ...


def tool(fn: Callable[..., Any] | None = None, /, **options: Any) -> Tool | Callable[[Callable[..., Any]], Tool]:
    """Turn a typed function into a :class:`Tool`; use bare (``@tool``) or with options (``@tool(writes=True)``).

    The options are those of :class:`Tool`.
    """
    if fn is not None:
        return Tool(fn, **options)
    return lambda f: Tool(f, **options)

