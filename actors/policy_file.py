"""Argument-level policy declared in a YAML file: rules per tenant and role, on arguments, provenance and caller.

A policy file is an ordered list of rules; the first rule whose every condition
holds decides, else the defaults do (reads allowed, writes denied)::

    version: 1
    defaults: {read: allow, write: deny}
    rules:
      - name: untrusted-destination
        provenance: untrusted          # a value seen only in tool output, a document or memory
        value_kinds: [email, url, host, account]
        verdict: deny
        reason: a destination taken from untrusted content
      - name: small-refunds
        tools: [issue_refund]
        roles: [billing]

Args:
          amount: {max: 100}
          order_id: {pattern: "ORD-[0-9]+"}
        verdict: allow
      - name: mail-inside
        tools: [send_message]
        args: {to: {domains: [example.com]}}
        verdict: needs_approval
        reason: mail leaves the runtime

Conditions of a rule (all optional): ``tools`` (names or ``fnmatch`` patterns),
``writes`` (true/false), ``tenants``, ``roles``, ``users``, ``agents`` (the
caller), ``provenance`` (``untrusted``: some identifying argument value was
seen only in untrusted content; ``unverified``: some value was seen nowhere;
``trusted``: every value traces to the user or the system) with
``value_kinds`` narrowing which values count, and ``args``: per argument,
``one_of`` / ``not_one_of``, ``pattern`` / ``not_pattern`` (full match),
``domains`` / ``not_domains`` (the address's or URL's host, subdomains
included), ``min`` / ``max`` (numbers), ``read_only_sql`` (true: a single
SELECT/WITH/EXPLAIN statement). A condition on an argument the call does not
carry does not hold.

The file is read again when it changes (checked at most once a second); a file
that no longer parses keeps the last good rules and says so in every reason.
"""

from __future__ import annotations

import fnmatch
import re
import threading
import time
from collections.abc import Iterable
from importlib import resources
from pathlib import Path
from typing import Literal
from urllib.parse import urlsplit

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from agentrt.actors.tool import Tool
from agentrt.contracts import (
    UNTRUSTED_ORIGINS,
    ArgumentOrigin,
    ConfigError,
    Identity,
    JsonValue,
    PolicyDecision,
    Step,
    ToolCall,
    ToolSpec,
)

__all__ = ["DEFAULT_POLICY", "ArgumentCondition", "PolicyFile", "PolicyFileGate", "PolicyFileRule"]

Verdict = Literal["allow", "deny", "needs_approval"]
ValueKind = Literal["email", "url", "host", "account", "id", "path", "value"]

DEFAULT_POLICY = "default_policy.yaml"
"""The shipped policy, beside this module (``agentrt.actors``)."""

_SQL_READ = re.compile(r"^\s*(?:select|with|explain)\b", re.IGNORECASE)
_SQL_WRITE = re.compile(
    r"\b(?:insert|update|delete|drop|alter|create|replace|truncate|attach|detach|pragma|vacuum|grant|revoke|merge|"
    r"copy|call|exec(?:ute)?)\b",
    re.IGNORECASE,
)


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class ArgumentCondition(_Strict):
    """Conditions on one argument's value; every one given must hold."""

    one_of: tuple[JsonValue, ...] | None = None
    not_one_of: tuple[JsonValue, ...] | None = None
    pattern: str | None = None
    not_pattern: str | None = None
    domains: tuple[str, ...] | None = None
    not_domains: tuple[str, ...] | None = None
    min: float | None = None
    max: float | None = None
    read_only_sql: bool | None = None

    @field_validator("pattern", "not_pattern")
    @classmethod
    def _compiles(cls, value: str | None) -> str | None:
        if value is not None:
            try:
                re.compile(value)
            except re.error as exc:
                raise ValueError(f"pattern {value!r} does not compile: {exc}") from None
        return value

    def holds(self, value: JsonValue) -> bool:
        """Whether ``value`` meets every condition given."""
        checks = (
            self.one_of is None or value in self.one_of,
            self.not_one_of is None or value not in self.not_one_of,
            self.pattern is None or (isinstance(value, str) and re.fullmatch(self.pattern, value) is not None),
            self.not_pattern is None or not (isinstance(value, str) and re.fullmatch(self.not_pattern, value)),
            self.domains is None or _in_domains(value, self.domains),
            self.not_domains is None or not _in_domains(value, self.not_domains, any_of=True),
            self.min is None or (_number(value) is not None and _number(value) >= self.min),  # type: ignore[operator]
            self.max is None or (_number(value) is not None and _number(value) <= self.max),  # type: ignore[operator]
            self.read_only_sql is None or _read_only_sql(value) == self.read_only_sql,
        )
        return all(checks)


class PolicyFileRule(_Strict):
    """One rule of a policy file."""

    name: str = Field(default="", max_length=200)
    verdict: Verdict
    reason: str = ""
    tools: tuple[str, ...] = ()
    writes: bool | None = None
    tenants: tuple[str, ...] = ()
    roles: tuple[str, ...] = ()
    users: tuple[str, ...] = ()
    agents: tuple[str, ...] = ()
    provenance: Literal["untrusted", "unverified", "trusted"] | None = None
    value_kinds: tuple[ValueKind, ...] = ()
    args: dict[str, ArgumentCondition] = Field(default_factory=dict)

    def matches(self, caller: Identity, step: Step, call: ToolCall, writes: bool) -> bool:
        """Whether every condition of the rule holds for this call."""
        if self.tools and not any(fnmatch.fnmatchcase(call.tool, t) for t in self.tools):
            return False
        if self.writes is not None and self.writes != writes:
            return False
        if not _among(caller.tenant, self.tenants) or not _among(step.role, self.roles):
            return False
        if not _among(caller.user or "", self.users) or not _among(caller.agent, self.agents):
            return False
        if self.provenance is not None and not self._provenance_holds(call.provenance):
            return False
        for name, condition in self.args.items():
            if name not in call.arguments or not condition.holds(call.arguments[name]):
                return False
        return True

    def _provenance_holds(self, origins: Iterable[ArgumentOrigin]) -> bool:
        counted = [o for o in origins if not self.value_kinds or o.value_kind in self.value_kinds]
        if self.provenance == "untrusted":
            return any(o.origin in UNTRUSTED_ORIGINS for o in counted)
        if self.provenance == "unverified":
            return any(o.origin == "unverified" for o in counted)
        return all(o.origin in ("user", "system") for o in counted)

    def explain(self, call: ToolCall) -> str:
        """The reason told to the model or the approver, with the untrusted sources of the call's values."""
        reason = self.reason or f"policy rule {self.name or 'unnamed'} for {call.tool}"
        if self.provenance in ("untrusted", "unverified"):
            kinds = self.value_kinds
            shown = [f"{o.path}={o.value!r} from {', '.join(o.sources[:3]) or o.origin}" for o in call.provenance
                     if o.origin not in ("user", "system") and (not kinds or o.value_kind in kinds)]  # fmt: skip
            if shown:
                reason += f" ({'; '.join(shown[:4])})"
        return reason


class _Defaults(_Strict):
    read: Verdict = "allow"
    write: Verdict = "deny"


class PolicyFile(_Strict):
    """A parsed policy file."""

    version: Literal[1] = 1
    defaults: _Defaults = _Defaults()
    rules: tuple[PolicyFileRule, ...] = ()

    @classmethod
    def parse(cls, text: str, where: str = "policy") -> PolicyFile:
        """Parse YAML text.

        Raises:
            ConfigError: The text is not YAML or does not describe a policy.
        """
        try:
            raw = yaml.safe_load(text) or {}
        except yaml.YAMLError as exc:
            raise ConfigError(f"{where} is not valid YAML: {exc}", field="policy") from None
        try:
            return cls.model_validate(raw)
        except ValidationError as exc:
            first = exc.errors()[0]
            field = ".".join(str(p) for p in first["loc"])
            raise ConfigError(f"{where}: {field}: {first['msg']}", field="policy") from None

    def decide(self, caller: Identity, step: Step, call: ToolCall, writes: bool) -> PolicyDecision:
        """The verdict of the first matching rule, else the default for reads or writes."""
        for rule in self.rules:
            if rule.matches(caller, step, call, writes):
                return PolicyDecision(verdict=rule.verdict, reason=rule.explain(call))
        verdict = self.defaults.write if writes else self.defaults.read
        what = "write" if writes else "read"
        reason = f"no policy rule covers {call.tool}; {what}s default to {verdict}"
        return PolicyDecision(verdict=verdict, reason=reason)


class PolicyFileGate:
    """A policy gate reading its rules from a YAML file, again whenever the file changes.

    Args:
        path: The policy file; ``None`` for the shipped default policy.
        tools: The tools (or their specs) the gate will see, so rules can tell writes from reads.
        reload_s: How often at most the file's modification time is checked.

    Raises:
        ConfigError: The file is missing or does not parse.
    """

    def __init__(
        self, path: Path | str | None = None, *, tools: Iterable[Tool | ToolSpec] = (), reload_s: float = 1.0
    ) -> None:
        self.path = Path(path) if path is not None else Path(str(resources.files("agentrt.actors") / DEFAULT_POLICY))
        self._writes = frozenset(t.name for t in tools if t.writes)
        self._reload_s = reload_s
        self._lock = threading.Lock()
        self._checked = time.monotonic()
        self._stamp = self._mtime()
        self._problem = ""
        self.policy = PolicyFile.parse(self._read(), str(self.path))

    def _mtime(self) -> float:
        try:
            return self.path.stat().st_mtime
        except OSError:
            return -1.0

    def _read(self) -> str:
        try:
            return self.path.read_text(encoding="utf-8")
        except OSError as exc:
            raise ConfigError(f"policy file {self.path} cannot be read: {exc}", field="policy") from None

    def reload(self) -> None:
        """Read the file again if it changed; keep the last good rules when it no longer parses."""
        with self._lock:
            self._checked = time.monotonic()
            stamp = self._mtime()
            if stamp == self._stamp:
                return
            self._stamp = stamp
            try:
                self.policy = PolicyFile.parse(self._read(), str(self.path))
                self._problem = ""
            except ConfigError as exc:
                self._problem = f"; the policy file changed but was not applied: {exc}"

    async def check(self, caller: Identity, step: Step, call: ToolCall) -> PolicyDecision:
        """Decide the call by the file's rules."""
        if time.monotonic() - self._checked >= self._reload_s:
            self.reload()
        decision = self.policy.decide(caller, step, call, call.tool in self._writes)
        if self._problem:
            return decision.model_copy(update={"reason": decision.reason + self._problem})
        return decision


def _among(value: str, allowed: tuple[str, ...]) -> bool:
    return not allowed or any(fnmatch.fnmatchcase(value, pattern) for pattern in allowed)


def _number(value: JsonValue) -> float | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, (int, float)):
        return float(value)
    if isinstance(value, str):
        try:
            return float(value.replace(",", ""))
        except ValueError:
            return None
    return None


def _hosts(value: JsonValue) -> list[str]:
    items = value if isinstance(value, list) else [value]
    hosts: list[str] = []
    for item in items:
        if not isinstance(item, str):
            continue
        for part in re.split(r"[,;\s]+", item.strip()):
            if not part:
                continue
            if "://" in part:
                hosts.append((urlsplit(part).hostname or "").casefold())
            elif "@" in part:
                hosts.append(part.rsplit("@", 1)[1].casefold().rstrip(">"))
            else:
                hosts.append(part.casefold())
    return hosts


def _in_domains(value: JsonValue, domains: tuple[str, ...], *, any_of: bool = False) -> bool:
    """True when every host of the value (or, with ``any_of``, some host) lies within ``domains``."""
    hosts = _hosts(value)
    if not hosts:
        return False

    def inside(host: str) -> bool:
        return any(host == d.casefold() or host.endswith("." + d.casefold()) for d in domains)

    return any(inside(h) for h in hosts) if any_of else all(inside(h) for h in hosts)


def _read_only_sql(value: JsonValue) -> bool:
    if not isinstance(value, str):
        return False
    statements = [s for s in value.split(";") if s.strip()]
    return len(statements) == 1 and bool(_SQL_READ.match(statements[0])) and not _SQL_WRITE.search(statements[0])

