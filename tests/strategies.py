"""Hypothesis strategies that build valid instances of every contract from its JSON schema."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from hypothesis import strategies as st

from agentrt.contracts import Contract

JSON_LEAF = (
    st.none()
    | st.booleans()
    | st.integers(-(2**53), 2**53)
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(max_size=12)
)
JSON_VALUE = st.recursive(
    JSON_LEAF,
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=8), inner, max_size=3),
    max_leaves=8,
)
TIMESTAMPS = st.datetimes(min_value=datetime(1970, 1, 2), max_value=datetime(2200, 1, 1), timezones=st.just(UTC))


def _string(schema: dict[str, Any]) -> st.SearchStrategy[Any]:
    if schema.get("format") == "date-time":
        return TIMESTAMPS
    lo, hi = schema.get("minLength", 0), min(schema.get("maxLength", 24), 24)
    if "pattern" in schema:
        return st.from_regex(schema["pattern"], fullmatch=True).filter(
            lambda s: lo <= len(s) <= schema.get("maxLength", 10**9)
        )
    return st.text(min_size=lo, max_size=max(lo, hi)).filter(lambda s: len(s.strip()) >= lo)


def _number(schema: dict[str, Any], integer: bool) -> st.SearchStrategy[Any]:
    lo = schema.get("minimum", schema.get("exclusiveMinimum"))
    hi = schema.get("maximum", schema.get("exclusiveMaximum"))
    if integer:
        lo = None if lo is None else int(lo) + (1 if "exclusiveMinimum" in schema else 0)
        return st.integers(min_value=lo if lo is not None else -(2**40), max_value=hi if hi is not None else 2**40)
    return st.floats(
        min_value=lo,
        max_value=hi,
        allow_nan=False,
        allow_infinity=False,
        exclude_min="exclusiveMinimum" in schema,
        exclude_max="exclusiveMaximum" in schema,
    )


def _object(schema: dict[str, Any], defs: dict[str, Any]) -> st.SearchStrategy[Any]:
    props = schema.get("properties")
    if props is None:
        if "patternProperties" in schema:
            pattern, value_schema = next(iter(schema["patternProperties"].items()))
            names = dict(schema.get("propertyNames", {}), type="string", pattern=pattern)
            return st.dictionaries(_string(names), from_schema(value_schema, defs), max_size=3)
        extra = schema.get("additionalProperties", {})
        values = JSON_VALUE if extra in ({}, True) else from_schema(extra, defs)
        return st.dictionaries(st.text(max_size=8), values, max_size=3)
    required = set(schema.get("required", ()))
    return st.fixed_dictionaries(
        {k: from_schema(v, defs) for k, v in props.items() if k in required},
        optional={k: from_schema(v, defs) for k, v in props.items() if k not in required},
    )


def from_schema(schema: dict[str, Any], defs: dict[str, Any]) -> st.SearchStrategy[Any]:
    """Return a strategy for values matching a pydantic-generated JSON schema."""
    if "$ref" in schema:
        return st.deferred(lambda: from_schema(defs[schema["$ref"].rsplit("/", 1)[1]], defs))
    if "const" in schema:
        return st.just(schema["const"])
    if "enum" in schema:
        return st.sampled_from(schema["enum"])
    for key in ("anyOf", "oneOf"):
        if key in schema:
            return st.one_of([from_schema(s, defs) for s in schema[key]])
    if "allOf" in schema:
        return from_schema(schema["allOf"][0], defs)
    kind = schema.get("type")
    if kind == "string":
        return _string(schema)
    if kind in ("integer", "number"):
        return _number(schema, kind == "integer")
    if kind == "boolean":
        return st.booleans()
    if kind == "null":
        return st.none()
    if kind == "array":
        item = schema.get("items", {})
        lo = schema.get("minItems", 0)
        return st.lists(from_schema(item, defs), min_size=lo, max_size=max(lo, min(schema.get("maxItems", 3), 3)))
    if kind == "object":
        return _object(schema, defs)
    return JSON_VALUE


def _repair(value: Any) -> Any:
    # Plans must form a DAG over unique step ids; random data almost never does.
    if isinstance(value, dict):
        value = {k: _repair(v) for k, v in value.items()}
        if value.get("kind", "plan") == "plan" and "run_id" in value and isinstance(value.get("steps"), list):
            steps, seen = [], []
            for i, step in enumerate(value["steps"]):
                step = dict(step, id=f"s{i}")
                step["depends_on"] = seen[-1:] if step.get("depends_on") else []
                steps.append(step)
                seen.append(step["id"])
            value["steps"] = steps
        return value
    if isinstance(value, list):
        return [_repair(v) for v in value]
    return value


def contracts_of(model: type[Contract]) -> st.SearchStrategy[Contract]:
    """Return a strategy of valid instances of ``model``."""
    schema = model.model_json_schema()
    defs = schema.get("$defs", {})
    return from_schema(schema, defs).map(_repair).map(model.model_validate)
