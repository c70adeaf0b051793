"""The tool layer: typed tools, validation, timeouts, retries, idempotent writes, fallbacks, cache, parallel calls."""

from __future__ import annotations

import asyncio
import pickle
import threading
from pathlib import Path
from typing import Annotated, Literal

import pytest
from pydantic import BaseModel, Field

from agentrt.actors import RetryPolicy, Tool, ToolContext, WriteLedger, idempotency_key, tool
from agentrt.actors.tool_registry import ToolRegistry
from agentrt.actors.tool_runner import ToolRunner
from agentrt.contracts import ConfigError, Identity, NotFound, ToolArgumentError, ToolCall, TransientToolError

FAST = RetryPolicy(attempts=3, base_delay_s=0.001, max_delay_s=0.002)
CALLER = Identity(tenant="acme", agent="analyst-1")


def context(run_id: str = "run-1", step_id: str = "s1") -> ToolContext:
    return ToolContext(run_id=run_id, step_id=step_id, caller=CALLER, call_id="c0")


class Total(BaseModel):
    value: float
    unit: str


@tool(output="total")
def add_amounts(amounts: list[float], unit: Literal["EUR", "USD"] = "EUR") -> Total:
    """Add up amounts of money.

    Args:
        amounts: The amounts to add,
            in one currency.
        unit: Their currency.
    """
    return Total(value=sum(amounts), unit=unit)


def test_tool_schema_comes_from_signature_and_docstring() -> None:
    spec = add_amounts.spec
    assert spec.name == "add_amounts" and spec.description == "Add up amounts of money."
    props = spec.parameters["properties"]
    assert isinstance(props, dict)
    assert props["amounts"] == {"description": "The amounts to add, in one currency.", "items": {"type": "number"},
                                "type": "array"}  # fmt: skip
    assert props["unit"]["enum"] == ["EUR", "USD"]  # type: ignore[index]
    assert spec.parameters["required"] == ["amounts"] and spec.parameters["additionalProperties"] is False
    assert add_amounts.output == "total" and not spec.writes


def test_special_parameters_are_hidden_from_the_model() -> None:
    @tool(writes=True)
    def send(to: str, ctx: ToolContext, idempotency_key: str) -> str:
        """Send."""
        return to

    assert list(send.spec.parameters["properties"]) == ["to"]  # type: ignore[arg-type]


def test_annotated_field_descriptions_and_constraints_reach_the_schema() -> None:
    @tool
    def top(k: Annotated[int, Field(ge=1, le=10, description="How many rows.")]) -> int:
        """Top rows."""
        return k

    assert top.spec.parameters["properties"] == {"k": {"description": "How many rows.", "maximum": 10, "minimum": 1,
                                                       "type": "integer"}}  # fmt: skip


async def test_invalid_arguments_are_rejected_naming_the_field() -> None:
    runner = ToolRunner(ToolRegistry([add_amounts]))
    outcome = await runner.run(ToolCall(id="c1", tool="add_amounts", arguments={"amounts": ["x"]}), context())
    assert not outcome.result.ok and outcome.result.error is not None
    assert outcome.result.error.type == "ToolArgumentError" and outcome.result.error.field == "amounts.0"
    with pytest.raises(ToolArgumentError) as info:
        add_amounts.validate({"amounts": [1], "colour": "red"})
    assert info.value.detail("field") == "colour"


async def test_valid_call_returns_json_output_from_a_pydantic_result() -> None:
    runner = ToolRunner(ToolRegistry([add_amounts]))
    outcome = await runner.run(ToolCall(id="c1", tool="add_amounts", arguments={"amounts": [1, "2.5"]}), context())
    assert outcome.result.ok and outcome.result.output == {"value": 3.5, "unit": "EUR"}
    assert outcome.arguments == {"amounts": [1.0, 2.5], "unit": "EUR"}


async def test_timeout_is_enforced_per_attempt() -> None:
    never = asyncio.Event()
    attempts: list[int] = []

    @tool(timeout_s=0.05, retries=RetryPolicy(attempts=2, base_delay_s=0.001))
    async def hang(ctx: ToolContext) -> str:
        """Wait forever."""
        attempts.append(ctx.attempt)
        await never.wait()
        return "never"

    outcome = await ToolRunner(ToolRegistry([hang])).run(ToolCall(id="c1", tool="hang"), context())
    assert outcome.result.error is not None and outcome.result.error.type == "ToolTimeout"
    assert attempts == [1, 2] and outcome.result.attempts == 2


async def test_transient_errors_are_retried_until_success() -> None:
    calls: list[int] = []

    @tool(retries=FAST, transient=(ConnectionError,))
    def flaky() -> str:
        """Fails twice, then works."""
        calls.append(1)
        if len(calls) == 1:
            raise TransientToolError("busy")
        if len(calls) == 2:
            raise ConnectionError("reset")
        return "ok"

    outcome = await ToolRunner(ToolRegistry([flaky]), seed=1).run(ToolCall(id="c1", tool="flaky"), context())
    assert outcome.result.ok and outcome.result.output == "ok" and outcome.result.attempts == 3


async def test_permanent_errors_are_not_retried() -> None:
    calls: list[int] = []

    @tool(retries=FAST)
    def broken() -> str:
        """Always fails."""
        calls.append(1)
        raise ValueError("bad data")

    outcome = await ToolRunner(ToolRegistry([broken])).run(ToolCall(id="c1", tool="broken"), context())
    assert calls == [1] and outcome.result.error is not None
    assert outcome.result.error.type == "ValueError" and "bad data" in outcome.result.error.message


async def test_transient_errors_give_up_after_the_last_attempt() -> None:
    @tool(retries=FAST)
    def down() -> str:
        """Always busy."""
        raise TransientToolError("still busy")

    outcome = await ToolRunner(ToolRegistry([down])).run(ToolCall(id="c1", tool="down"), context())
    assert outcome.result.error is not None and outcome.result.error.type == "TransientToolError"
    assert outcome.result.attempts == 3


def test_retry_delays_grow_exponentially_with_jitter_below_the_cap() -> None:
    import random

    policy = RetryPolicy(attempts=5, base_delay_s=1.0, max_delay_s=3.0, jitter=0.5)
    rng = random.Random(7)
    delays = [policy.delay(n, rng) for n in (1, 2, 3, 4)]
    assert 0.5 <= delays[0] <= 1.0 and 1.0 <= delays[1] <= 2.0
    assert all(1.5 <= d <= 3.0 for d in delays[2:])


async def test_fallback_is_used_when_a_tool_fails_permanently() -> None:
    @tool(fallback="cached_rates", output="rates")
    def live_rates(base: str) -> dict[str, float]:
        """Live rates."""
        raise RuntimeError("provider down")

    @tool
    def cached_rates(base: str) -> dict[str, float]:
        """Yesterday's rates."""
        return {"USD": 1.1}

    runner = ToolRunner(ToolRegistry([live_rates, cached_rates]))
    outcome = await runner.run(ToolCall(id="c1", tool="live_rates", arguments={"base": "EUR"}), context())
    assert outcome.result.ok and outcome.result.output == {"USD": 1.1}
    assert outcome.fallback_for == "live_rates" and outcome.result.tool == "cached_rates"


def test_registry_refuses_duplicates_and_unknown_fallbacks() -> None:
    @tool(fallback="nowhere")
    def lonely() -> str:
        """Alone."""
        return ""

    with pytest.raises(ConfigError):
        ToolRegistry([lonely])
    with pytest.raises(ConfigError):
        ToolRegistry([add_amounts, add_amounts])
    with pytest.raises(NotFound):
        ToolRegistry([add_amounts]).get("missing")


async def test_read_tool_results_are_cached_per_run() -> None:
    calls: list[str] = []

    @tool
    def lookup(term: str) -> str:
        """Look a term up."""
        calls.append(term)
        return term.upper()

    runner = ToolRunner(ToolRegistry([lookup]))
    first = await runner.run(ToolCall(id="c1", tool="lookup", arguments={"term": "vat"}), context("run-1"))
    again = await runner.run(ToolCall(id="c2", tool="lookup", arguments={"term": "vat"}), context("run-1"))
    other_run = await runner.run(ToolCall(id="c3", tool="lookup", arguments={"term": "vat"}), context("run-2"))
    assert calls == ["vat", "vat"]
    assert (first.source, again.source, other_run.source) == ("run", "cache", "run")
    assert again.result.cached and again.result.output == "VAT"


async def test_parallel_calls_run_at_the_same_time() -> None:
    barrier = threading.Barrier(2, timeout=10)

    @tool
    def meet(name: str) -> str:
        """Wait for the other call (only possible when both run at once)."""
        barrier.wait()
        return name

    runner = ToolRunner(ToolRegistry([meet]))
    calls = [ToolCall(id=f"c{i}", tool="meet", arguments={"name": n}) for i, n in enumerate(("a", "b"))]
    outcomes = await runner.run_all(calls, context(), limit=2)
    assert [o.result.output for o in outcomes] == ["a", "b"]
    assert [o.result.call_id for o in outcomes] == ["c0", "c1"]


async def test_write_runs_once_and_replays_from_a_durable_ledger(tmp_path: Path) -> None:
    effects = tmp_path / "effects.txt"
    keys: list[str | None] = []

    @tool(writes=True)
    def append(line: str, idempotency_key: str) -> int:
        """Append a line."""
        keys.append(idempotency_key)
        with effects.open("a") as f:
            f.write(line + "\n")
        return len(effects.read_text().splitlines())

    ledger_path = tmp_path / "ledger.sqlite"
    call = ToolCall(id="c1", tool="append", arguments={"line": "hello"})
    first = await ToolRunner(ToolRegistry([append]), WriteLedger(ledger_path)).run(call, context())
    restarted = ToolRunner(ToolRegistry([append]), WriteLedger(ledger_path))
    replayed = await restarted.run(call.model_copy(update={"id": "c9"}), context())
    assert effects.read_text() == "hello\n"
    assert first.source == "run" and replayed.source == "ledger" and replayed.result.output == 1
    expected = idempotency_key("run-1", "s1", "append", {"line": "hello"})
    assert keys == [expected] and replayed.idempotency_key == expected


async def test_writes_are_never_cached_and_other_steps_write_again(tmp_path: Path) -> None:
    count: list[int] = []

    @tool(writes=True, cache=True)
    def bump() -> int:
        """Count."""
        count.append(1)
        return len(count)

    runner = ToolRunner(ToolRegistry([bump]), WriteLedger(tmp_path / "l.sqlite"))
    await runner.run(ToolCall(id="c1", tool="bump"), context(step_id="s1"))
    await runner.run(ToolCall(id="c1", tool="bump"), context(step_id="s2"))
    assert len(count) == 2 and not bump.cache


async def test_explicit_idempotency_key_wins_over_the_derived_one(tmp_path: Path) -> None:
    seen: list[str | None] = []

    @tool(writes=True)
    def pay(amount: float, idempotency_key: str) -> str:
        """Pay."""
        seen.append(idempotency_key)
        return "paid"

    runner = ToolRunner(ToolRegistry([pay]))
    call = ToolCall(id="c1", tool="pay", arguments={"amount": 5}, idempotency_key="invoice-42")
    await runner.run(call, context())
    await runner.run(call, context(step_id="other"))
    assert seen == ["invoice-42"]


def test_a_tool_pickles_by_name_and_a_local_tool_rebuilds() -> None:
    assert pickle.loads(pickle.dumps(add_amounts)) is add_amounts

    def shout(text: str) -> str:
        """Shout."""
        return text.upper()

    local = Tool(shout, name="shout_loud", writes=True)
    rebuild, args = local.__reduce__()  # type: ignore[misc]
    clone = rebuild(*args)
    assert clone is not local and clone.spec == local.spec and clone.writes


def test_bad_tool_declarations_are_config_errors() -> None:
    def untyped(x):  # type: ignore[no-untyped-def]
        return x

    with pytest.raises(ConfigError):
        Tool(untyped)
    with pytest.raises(ConfigError):
        Tool(len, name="has space")
    with pytest.raises(ConfigError):
        Tool(add_amounts.fn, timeout_s=0)
