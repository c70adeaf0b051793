"""The one discriminated union over every contract that crosses an actor boundary."""

from __future__ import annotations

from typing import Annotated, Union

from pydantic import Field, TypeAdapter

from agentrt.contracts import (
    approval,
    chat,
    control,
    events,
    goal,
    identity,
    memory,
    plan,
    policy,
    result,
    run,
    task,
    tools,
)
from agentrt.contracts._base import Contract

__all__ = ["MESSAGE_ADAPTER", "MESSAGE_TYPES", "Message", "kind_of"]

_MODULES = (approval, chat, control, events, goal, identity, memory, plan, policy, result, run, task, tools)


def _collect() -> tuple[type[Contract], ...]:
    found: dict[str, type[Contract]] = {}
    for module in _MODULES:
        for name in module.__all__:
            obj = getattr(module, name)
            if isinstance(obj, type) and issubclass(obj, Contract):
                kind = obj.model_fields["kind"].default
                if kind in found and found[kind] is not obj:
                    raise TypeError(f"two contracts share kind {kind!r}")
                found[kind] = obj
    return tuple(found[k] for k in sorted(found))


MESSAGE_TYPES: tuple[type[Contract], ...] = _collect()
"""Every contract type, sorted by kind."""

Message = Annotated[Union[MESSAGE_TYPES], Field(discriminator="kind")]  # type: ignore[valid-type]  # noqa: UP007
"""Any contract, discriminated by its ``kind`` field."""

MESSAGE_ADAPTER: TypeAdapter[Contract] = TypeAdapter(Message)

_KINDS = frozenset(t.model_fields["kind"].default for t in MESSAGE_TYPES)


def kind_of(value: object) -> str | None:
    """Return the kind tag of a decoded payload if it names a known contract, else None."""
    if isinstance(value, dict):
        kind = value.get("kind")
        if isinstance(kind, str) and kind in _KINDS:
            return kind
    return None
