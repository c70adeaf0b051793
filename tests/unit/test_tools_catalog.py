"""Every tool function is ready for the tool layer: typed parameters, a describing docstring, JSON results."""

from __future__ import annotations

import inspect
import typing

import pytest
from pydantic import TypeAdapter

import agentrt.specialists.tools as tools
from agentrt.specialists.tools import ALL_TOOLS, TOOL_FAMILIES


def test_package_exports_a_sorted_public_api() -> None:
    assert tools.__all__ == sorted(tools.__all__)
    assert all(hasattr(tools, name) for name in tools.__all__)
    assert len(ALL_TOOLS) == len(set(ALL_TOOLS)) == sum(len(family) for family in TOOL_FAMILIES.values())


@pytest.mark.parametrize("tool", ALL_TOOLS, ids=lambda tool: tool.__name__)
def test_tool_has_typed_parameters_a_description_and_a_json_schema(tool: typing.Callable[..., object]) -> None:
    hints = typing.get_type_hints(tool)
    parameters = inspect.signature(tool).parameters
    assert set(parameters) <= set(hints) and "return" in hints
    doc = inspect.getdoc(tool) or ""
    summary = doc.splitlines()[0]
    assert summary.endswith(".") and len(summary.split()) >= 6
    for name in parameters:
        assert f"    {name}:" in doc or f"\n{name}:" in doc, f"{tool.__name__} does not document {name}"
        TypeAdapter(hints[name]).json_schema()
    TypeAdapter(hints["return"]).json_schema(mode="serialization")
