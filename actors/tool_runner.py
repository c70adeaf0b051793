"""Running tool calls reliably: validation, timeouts, retries, idempotent writes, fallbacks, a read cache.

:meth:`ToolRunner.run` never raises for a failure of the tool: the outcome
carries a :class:`~agentrt.contracts.ToolResult` whose ``error`` names what went wrong
(``ToolArgumentError`` with the field, ``ToolTimeout``, the tool's own error).
"""

from __future__ import annotations

import asyncio
import dataclasses
import random
import time
from collections import OrderedDict
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal

from agentrt.actors.tool import Tool, ToolContext
from agentrt.actors.tool_registry import ToolRegistry
from agentrt.actors.write_ledger import WriteLedger, canonical_json, idempotency_key
from agentrt.contracts import (
    AgentRTError,
    ErrorInfo,
    JsonObject,
    JsonValue,
    ToolCall,
    ToolError,
    ToolResult,
    ToolTimeout,
)

__all__ = ["ToolOutcome", "ToolRunner"]

Source = Literal["run", "cache", "ledger"]


@dataclass(frozen=True, slots=True)
class ToolOutcome:
    """What became of one tool call.

    Args:
        result: The result as the model will see it.
        arguments: The canonical arguments (defaults filled), or the raw ones when they were invalid.
        source: ``run`` when the tool ran, ``cache`` for a cached read, ``ledger`` for a replayed write.
        fallback_for: The tool that failed when ``result`` came from its fallback.
        idempotency_key: The write's key, for write tools.
    """

    result: ToolResult
    arguments: JsonObject
    source: Source = "run"
    fallback_for: str | None = None
    idempotency_key: str | None = None


class ToolRunner:
    """Runs tool calls from a registry.

    Args:
        registry: The tools that may run (fallbacks included).
        ledger: Where completed writes are recorded; an in-process ledger when None.
        seed: Seed of the retry jitter (None for a random one).
        cached_runs: How many runs' read caches are kept.
    """

    def __init__(
        self,
        registry: ToolRegistry,
        ledger: WriteLedger | None = None,
        *,
        seed: int | None = None,
        cached_runs: int = 64,
    ) -> None:
        self.registry = registry
        self.ledger = ledger if ledger is not None else WriteLedger()
        self._rng = random.Random(seed)
        self._cache: OrderedDict[str, dict[str, JsonValue]] = OrderedDict()
        self._cached_runs = cached_runs

    async def run_all(self, calls: Sequence[ToolCall], context: ToolContext, limit: int = 4) -> list[ToolOutcome]:
        """Run several calls concurrently (at most ``limit`` at once); outcomes in call order."""
        gate = asyncio.Semaphore(max(1, limit))

        async def bounded(call: ToolCall) -> ToolOutcome:
            async with gate:
                return await self.run(call, dataclasses.replace(context, call_id=call.id))

        return list(await asyncio.gather(*(bounded(c) for c in calls)))

    async def run(self, call: ToolCall, context: ToolContext) -> ToolOutcome:
        """Run one call: validate, replay or reuse when possible, else execute with retries and fallback."""
        started = time.perf_counter()
        tool = self.registry.get(call.tool)
        try:
            arguments = tool.validate(call.arguments)
        except ToolError as exc:
            return ToolOutcome(_failure(call, tool.name, exc, 0, started), dict(call.arguments))
        key = None
        if tool.writes:
            key = call.idempotency_key or idempotency_key(context.run_id, context.step_id, tool.name, arguments)
        reused = self._reuse(call, tool, arguments, key, context.run_id, started)
        if reused is not None:
            return reused
        context = dataclasses.replace(context, call_id=call.id, idempotency_key=key)
        outcome = await self._execute(call, tool, arguments, context, started)
        if outcome.result.ok and outcome.fallback_for is None:
            self._remember(tool, arguments, key, context.run_id, outcome.result.output)
        return dataclasses.replace(outcome, idempotency_key=key)

    def _reuse(
        self, call: ToolCall, tool: Tool, arguments: JsonObject, key: str | None, run_id: str, started: float
    ) -> ToolOutcome | None:
        if key is not None:
            recorded = self.ledger.lookup(key)
            if recorded is None:
                return None
            result = _success(call, tool.name, recorded.output, 0, started, cached=True)
            return ToolOutcome(result, arguments, source="ledger", idempotency_key=key)
        if tool.cache:
            entries = self._cache.get(run_id, {})
            cache_key = canonical_json([tool.name, arguments])
            if cache_key in entries:
                self._cache.move_to_end(run_id)
                result = _success(call, tool.name, entries[cache_key], 0, started, cached=True)
                return ToolOutcome(result, arguments, source="cache")
        return None

    def _remember(self, tool: Tool, arguments: JsonObject, key: str | None, run_id: str, output: JsonValue) -> None:
        if key is not None:
            self.ledger.record(key, tool.name, output)
        elif tool.cache:
            self._cache.setdefault(run_id, {})[canonical_json([tool.name, arguments])] = output
            self._cache.move_to_end(run_id)
            while len(self._cache) > self._cached_runs:
                self._cache.popitem(last=False)

    async def _execute(
        self, call: ToolCall, tool: Tool, arguments: JsonObject, context: ToolContext, started: float, depth: int = 0
    ) -> ToolOutcome:
        output, error, attempts = await self._attempt(tool, arguments, context)
        if error is None:
            return ToolOutcome(_success(call, tool.name, output, attempts, started), arguments)
        if tool.fallback is not None and depth < 3:
            backup = self.registry.get(tool.fallback)
            try:
                backup_arguments = backup.validate(arguments)
            except ToolError:
                return ToolOutcome(_failure(call, tool.name, error, attempts, started), arguments)
            outcome = await self._execute(call, backup, backup_arguments, context, started, depth + 1)
            return dataclasses.replace(outcome, fallback_for=outcome.fallback_for or tool.name)
        return ToolOutcome(_failure(call, tool.name, error, attempts, started), arguments)

    async def _attempt(
        self, tool: Tool, arguments: JsonObject, context: ToolContext
    ) -> tuple[JsonValue, Exception | None, int]:
        error: Exception | None = None
        for attempt in range(1, tool.retry.attempts + 1):
            try:
                current = dataclasses.replace(context, attempt=attempt)
                return await asyncio.wait_for(tool.invoke(arguments, current), tool.timeout_s), None, attempt
            except TimeoutError:
                error = ToolTimeout(f"tool {tool.name} ran past its {tool.timeout_s}s timeout", tool=tool.name)
                retry = True
            except Exception as exc:  # noqa: BLE001 - a tool may raise anything; it becomes data
                error, retry = exc, tool.is_transient(exc)
            if not retry or attempt == tool.retry.attempts:
                return None, error, attempt
            await asyncio.sleep(tool.retry.delay(attempt, self._rng))
        return None, error, tool.retry.attempts


def error_info(exc: BaseException, *, transient: bool = False) -> ErrorInfo:
    """Describe an exception as data (type name, message, offending field)."""
    field = exc.detail("field") if isinstance(exc, AgentRTError) else None
    return ErrorInfo(
        type=type(exc).__name__, message=str(exc) or type(exc).__name__,
        field=None if field is None else str(field), transient=transient,
    )  # fmt: skip


def _success(
    call: ToolCall, tool: str, output: JsonValue, attempts: int, started: float, cached: bool = False
) -> ToolResult:
    return ToolResult(
        call_id=call.id, tool=tool, ok=True, output=output, attempts=attempts,
        latency_s=time.perf_counter() - started, cached=cached,
    )  # fmt: skip


def _failure(call: ToolCall, tool: str, exc: BaseException, attempts: int, started: float) -> ToolResult:
    return ToolResult(
        call_id=call.id, tool=tool, ok=False, error=error_info(exc), attempts=attempts,
        latency_s=time.perf_counter() - started,
    )  # fmt: skip
