"""Authenticated calls between the runtime's actors: who is calling, proven, not claimed.

Every call into a service actor (supervisor, memory, specialist replicas) may
carry a credential: ``<kind>:<tenant>:<expiry>:<mac>``, an HMAC-SHA256 over the
method, the encoded request and the expiry, keyed by the runtime's secret
(``runtime``, ``operator``) or by the tenant's key derived from it (``tenant``).
A service actor started with a :class:`KeyRing` refuses, with
:class:`~agentrt.contracts.ForgedIdentity`, any call without a valid credential,
and exposes the proven :class:`Principal` to the service for the call
(:func:`current_principal`), which checks it against what the request claims:
a tenant principal acts only for its own tenant; cluster-wide operations (pool
scaling, draining) need an operator; only the runtime's own parts may act as
the supervisor (grants) or record trace events.

The secret is 32 random bytes in ``<data_dir>/keys/runtime.key`` (directory
0700, file 0600), made when the runtime first starts there. Processes that can
read it are operators of that runtime; everything else, a process on the
cluster that looks an actor up by name included, can prove nothing.
"""

from __future__ import annotations

import contextvars
import hashlib
import hmac
import os
import secrets
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

from agentrt.contracts import ForgedIdentity, Identity

__all__ = [
    "OPERATOR",
    "RUNTIME",
    "KeyRing",
    "Principal",
    "Signer",
    "acting",
    "current_principal",
    "require_identity",
    "require_operator",
    "require_runtime",
    "require_tenant",
]

Kind = Literal["runtime", "operator", "tenant"]
_KEY_FILE = Path("keys") / "runtime.key"
_TTL_S = 300
_CALLER: contextvars.ContextVar[Principal | None] = contextvars.ContextVar("agentrt_caller", default=None)


@dataclass(frozen=True, slots=True)
class Principal:
    """Who a verified call comes from: the runtime's own parts, an operator, or one tenant."""

    kind: Kind
    tenant: str = ""

    def may_act_for(self, tenant: str) -> bool:
        """Whether this principal may make a request on behalf of ``tenant``."""
        return self.kind != "tenant" or self.tenant == tenant


class KeyRing:
    """The runtime's secret, and the credentials made and checked with it.

    Args:
        key: The secret (at least 16 bytes).
    """

    def __init__(self, key: bytes) -> None:
        if len(key) < 16:
            raise ValueError("a runtime key has at least 16 bytes")
        self._key = key

    def __reduce__(self) -> tuple[type[KeyRing], tuple[bytes]]:
        return (KeyRing, (self._key,))

    def __repr__(self) -> str:
        return "KeyRing(<secret>)"

    @classmethod
    def for_data_dir(cls, data_dir: Path | str) -> KeyRing:
        """The keyring of a data directory, making its secret (0600, in a 0700 directory) the first time."""
        path = Path(data_dir) / _KEY_FILE
        if not path.exists():
            path.parent.mkdir(parents=True, exist_ok=True)
            os.chmod(path.parent, 0o700)
            try:
                fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
            except FileExistsError:
                pass
            else:
                with os.fdopen(fd, "wb") as fh:
                    fh.write(secrets.token_bytes(32))
        return cls(path.read_bytes())

    def tenant_key(self, tenant: str) -> bytes:
        """The key of one tenant (what an operator hands a tenant's own entry point)."""
        return hmac.new(self._key, f"tenant:{tenant}".encode(), hashlib.sha256).digest()

    def _mac_key(self, kind: Kind, tenant: str) -> bytes:
        if kind == "tenant":
            return self.tenant_key(tenant)
        return hmac.new(self._key, kind.encode(), hashlib.sha256).digest()

    def credential(self, principal: Principal, method: str, payload: bytes, ttl_s: int = _TTL_S) -> str:
        """The credential of one call made by ``principal``."""
        expiry = int(time.time()) + ttl_s
        mac = _mac(self._mac_key(principal.kind, principal.tenant), principal, expiry, method, payload)
        return f"{principal.kind}:{principal.tenant}:{expiry}:{mac}"

    def verify(self, credential: str, method: str, payload: bytes) -> Principal:
        """The principal a credential proves for this call.

        Raises:
            ForgedIdentity: No credential, a malformed or expired one, or one whose MAC does not match.
        """
        if not credential:
            raise ForgedIdentity(f"unsigned call to {method!r}: runtime services take only authenticated calls",
                                 method=method)  # fmt: skip
        parts = credential.split(":")
        if len(parts) != 4 or parts[0] not in ("runtime", "operator", "tenant") or not parts[2].isdigit():
            raise ForgedIdentity(f"malformed credential on {method!r}", method=method)
        kind, tenant, expiry = parts[0], parts[1], int(parts[2])
        principal = Principal(kind, tenant)  # type: ignore[arg-type]
        expected = _mac(self._mac_key(principal.kind, tenant), principal, expiry, method, payload)
        if not hmac.compare_digest(expected, parts[3]):
            raise ForgedIdentity(f"forged credential on {method!r}", method=method)
        if expiry < time.time():
            raise ForgedIdentity(f"expired credential on {method!r}", method=method)
        return principal


@dataclass(frozen=True, slots=True)
class Signer:
    """Signs every call a transport sends as one principal."""

    keyring: KeyRing
    principal: Principal

    def sign(self, method: str, payload: bytes) -> str:
        """The credential of one call."""
        return self.keyring.credential(self.principal, method, payload)


RUNTIME = Principal("runtime")
OPERATOR = Principal("operator")


def _mac(key: bytes, principal: Principal, expiry: int, method: str, payload: bytes) -> str:
    head = f"{principal.kind}\0{principal.tenant}\0{expiry}\0{method}\0".encode()
    return hmac.new(key, head + payload, hashlib.sha256).hexdigest()


@contextmanager
def acting(principal: Principal | None) -> Iterator[None]:
    """Run a call with ``principal`` as its proven caller (the actor host does this for every call)."""
    token = _CALLER.set(principal)
    try:
        yield
    finally:
        _CALLER.reset(token)


def current_principal() -> Principal | None:
    """The proven caller of the call being served; None where calls are not authenticated (in-process use)."""
    return _CALLER.get()


def require_tenant(tenant: str, what: str) -> None:
    """Refuse a request for ``tenant`` from a principal that may not act for it.

    Raises:
        ForgedIdentity: The caller is another tenant.
    """
    caller = current_principal()
    if caller is not None and not caller.may_act_for(tenant):
        raise ForgedIdentity(f"{what}: tenant {caller.tenant!r} may not act for tenant {tenant!r}", tenant=tenant)


def require_operator(what: str) -> None:
    """Refuse a cluster-wide operation to anyone but an operator or the runtime itself.

    Raises:
        ForgedIdentity: The caller is a tenant.
    """
    caller = current_principal()
    if caller is not None and caller.kind == "tenant":
        raise ForgedIdentity(f"{what} needs an operator; tenant {caller.tenant!r} may not do it", what=what)


def require_identity(identity: Identity, what: str) -> None:
    """Refuse a request whose claimed identity the proven caller may not claim.

    A tenant's principal may claim only identities of its tenant, and never the supervisor's or the
    system's role (those grant, administer and sweep); the runtime and operators may claim any.

    Raises:
        ForgedIdentity: The claim goes beyond what the caller proved.
    """
    require_tenant(identity.tenant, what)
    caller = current_principal()
    if caller is not None and caller.kind == "tenant" and identity.role in ("supervisor", "system"):
        raise ForgedIdentity(f"{what}: a tenant's caller may not act as {identity.role}", role=identity.role)


def require_runtime(what: str) -> None:
    """Refuse what only the runtime's own parts may do (act as the supervisor, record trace events).

    Raises:
        ForgedIdentity: The caller is a tenant or an operator's client.
    """
    caller = current_principal()
    if caller is not None and caller.kind != "runtime":
        raise ForgedIdentity(f"{what} is done only by the runtime's own services", what=what)
