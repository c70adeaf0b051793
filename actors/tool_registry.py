"""The set of tools one agent may use, looked up by name."""

from __future__ import annotations

from collections.abc import Iterable, Iterator

from agentrt.actors.tool import Tool
from agentrt.contracts import ConfigError, NotFound, ToolSpec

__all__ = ["ToolRegistry"]


class ToolRegistry:
    """Tools by name. Every named fallback must be registered too.

    Args:
        tools: The tools; names must be unique.

    Raises:
        ConfigError: on a duplicate name or a fallback that is not registered.
    """

    def __init__(self, tools: Iterable[Tool] = ()) -> None:
        self._tools: dict[str, Tool] = {}
        for item in tools:
            if not isinstance(item, Tool):
                raise ConfigError(f"{item!r} is not a Tool; decorate the function with @tool", field="tools")
            if item.name in self._tools:
                raise ConfigError(f"two tools are called {item.name!r}", tool=item.name)
            self._tools[item.name] = item
        for item in self._tools.values():
            if item.fallback is not None and item.fallback not in self._tools:
                raise ConfigError(f"tool {item.name} falls back to unknown tool {item.fallback!r}", tool=item.name)

    def __contains__(self, name: object) -> bool:
        return name in self._tools

    def __iter__(self) -> Iterator[Tool]:
        return iter(self._tools.values())

    def __len__(self) -> int:
        return len(self._tools)

    @property
    def names(self) -> tuple[str, ...]:
        """Tool names in registration order."""
        return tuple(self._tools)

    def get(self, name: str) -> Tool:
        """Return the tool called ``name``.

        Raises:
            NotFound: when no such tool is registered.
        """
        try:
            return self._tools[name]
        except KeyError:
            raise NotFound(f"no tool called {name!r}; known: {', '.join(self._tools) or 'none'}", tool=name) from None

    def specs(self, names: Iterable[str] | None = None) -> tuple[ToolSpec, ...]:
        """Return the specs of the named tools (all tools when ``names`` is None), in registration order."""
        wanted = None if names is None else set(names)
        return tuple(t.spec for t in self._tools.values() if wanted is None or t.name in wanted)
