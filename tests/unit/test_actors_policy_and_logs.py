"""Policy rules decide by tool, write-ness, role and tenant; log lines are redacted."""

from __future__ import annotations

import io
import json

import structlog

from agentrt.actors import AllowAll, PolicyRule, RuleGate, configure_logging, tool
from agentrt.contracts import Identity, Step, ToolCall

ACME = Identity(tenant="acme", agent="writer-1")
STEP = Step(id="s1", role="writer", instruction="Send the report")


@tool(writes=True)
def delete_rows(table: str) -> int:
    """Delete rows."""
    return 0


@tool
def read_rows(table: str) -> int:
    """Read rows."""
    return 0


def on(name: str) -> ToolCall:
    return ToolCall(id="c1", tool=name, arguments={"table": "t"})


async def test_allow_all_allows() -> None:
    assert (await AllowAll().check(ACME, STEP, on("anything"))).verdict == "allow"


async def test_first_matching_rule_decides_and_writes_are_told_from_reads() -> None:
    gate = RuleGate(
        [
            PolicyRule("deny", tools=("read_rows",), roles=("qa",), reason="qa reads nothing"),
            PolicyRule("needs_approval", writes=True, reason="writes need a person"),
            PolicyRule("deny", tenants=("globex",)),
        ],
        tools=(delete_rows, read_rows.spec),
    )
    write = await gate.check(ACME, STEP, on("delete_rows"))
    assert (write.verdict, write.reason) == ("needs_approval", "writes need a person")
    assert (await gate.check(ACME, STEP, on("read_rows"))).verdict == "allow"
    qa = STEP.model_copy(update={"role": "qa"})
    assert (await gate.check(ACME, qa, on("read_rows"))).reason == "qa reads nothing"
    globex = ACME.model_copy(update={"tenant": "globex"})
    assert (await gate.check(globex, STEP, on("read_rows"))).verdict == "deny"


async def test_default_verdict_applies_when_no_rule_matches() -> None:
    gate = RuleGate([PolicyRule("allow", tools=("read_rows",))], default="deny")
    assert (await gate.check(ACME, STEP, on("delete_rows"))).verdict == "deny"


def test_log_lines_are_redacted_keys_values_and_tracebacks() -> None:
    stream = io.StringIO()
    configure_logging("info", json=True, stream=stream)
    log = structlog.get_logger("test")
    log.debug("hidden", value=1)
    log.info("mailing", to="ann@example.com", payload={"api_key": "sk-abcdefghijklmnopqrstu"})
    try:
        raise ValueError("bad card 4111 1111 1111 1111")
    except ValueError:
        log.exception("failed")
    lines = [json.loads(line) for line in stream.getvalue().splitlines()]
    assert [line["event"] for line in lines] == ["mailing", "failed"]
    text = stream.getvalue()
    assert "ann@example.com" not in text and "sk-abcdefghijklmnopqrstu" not in text and "4111 1111" not in text
    assert lines[0]["to"] == "[REDACTED:EMAIL]" and "[REDACTED:CARD]" in lines[1]["exception"]
    structlog.reset_defaults()
