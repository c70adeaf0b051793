"""The offline model chooses tools by their descriptions and fills arguments from the brief."""

from __future__ import annotations

import json

import pytest

from agentrt.actors import tool
from agentrt.actors.offline import OFFLINE_LABEL, OFFLINE_MODEL_NAME, OfflineModel
from agentrt.actors.task_brief import TaskBrief, observation_message
from agentrt.contracts import Artifact, ChatMessage, ContextItem, ModelReply, ToolResult, ToolSpec


@tool
def convert_currency(amount: float, from_currency: str, to_currency: str) -> float:
    """Convert an amount of money from one currency into another.

    Args:
        amount: How much money.
        from_currency: ISO code of the currency converted from.
        to_currency: ISO code of the currency converted to.
    """
    return amount


@tool
def count_words(text: str) -> int:
    """Count the words of a text."""
    return len(text.split())


@tool
def median_of_column(table_csv: str, column: str) -> dict[str, float]:
    """Compute the median of a numeric column in a CSV table.

    Args:
        table_csv: The table, CSV with a header row.
        column: The column's name.
    """
    return {"median": 0.0}


@tool
def schedule_meeting(title: str, date: str, attendees: list[str], minutes: int = 30) -> str:
    """Schedule a meeting in the calendar on a date, inviting people by email address.

    Args:
        title: Meeting title.
        date: Day of the meeting, YYYY-MM-DD.
        attendees: Email addresses to invite.
        minutes: Length of the meeting in minutes.
    """
    return "booked"


@tool
def translate_text(text: str, language: str) -> str:
    """Translate a text into another language.

    Args:
        text: What to translate.
        language: Target language.
    """
    return text


TOOLS = [t.spec for t in (convert_currency, count_words, median_of_column, schedule_meeting, translate_text)]


def brief(instruction: str, *artifacts: Artifact, context: tuple[ContextItem, ...] = ()) -> list[ChatMessage]:
    user = TaskBrief(instruction, artifacts=artifacts, context=context).message()
    return [ChatMessage(role="system", content="You help."), user]


def answered(messages: list[ChatMessage], reply: ModelReply, output: object) -> list[ChatMessage]:
    call = reply.tool_calls[0]
    result = ToolResult(call_id=call.id, tool=call.tool, ok=True, output=output)  # type: ignore[arg-type]
    return [*messages, ChatMessage(role="assistant", tool_calls=reply.tool_calls), observation_message(result)]


async def test_picks_the_tool_whose_description_fits_and_fills_from_the_input_artifact() -> None:
    prices = Artifact(name="prices", media_type="text/csv", text="shop,unit_price\nA,3\nB,5\nC,9\n")
    reply = await OfflineModel().complete(brief("What is the median unit_price across shops?", prices), TOOLS)
    assert reply.offline and reply.model == OFFLINE_MODEL_NAME
    [call] = reply.tool_calls
    assert call.tool == "median_of_column"
    assert call.arguments == {"table_csv": prices.text, "column": "unit_price"}


async def test_fills_numbers_codes_dates_and_addresses_from_the_instruction() -> None:
    messages = brief("Convert 250.5 from_currency=EUR to_currency=JPY please")
    [call] = (await OfflineModel().complete(messages, TOOLS)).tool_calls
    assert call.tool == "convert_currency"
    assert call.arguments == {"amount": 250.5, "from_currency": "EUR", "to_currency": "JPY"}

    messages = brief(
        'Schedule a "Quarterly review" meeting on 2025-03-14 for 45 minutes with ann@example.com, bo@example.org'
    )
    [call] = (await OfflineModel().complete(messages, TOOLS)).tool_calls
    assert call.tool == "schedule_meeting"
    assert call.arguments == {"title": "Quarterly review", "date": "2025-03-14",
                              "attendees": ["ann@example.com", "bo@example.org"], "minutes": 45}  # fmt: skip


async def test_a_new_tool_is_usable_without_touching_the_model() -> None:
    @tool
    def lookup_tracking_status(tracking_number: str) -> dict[str, str]:
        """Look up where a parcel is from its carrier tracking number."""
        return {"status": "in transit"}

    specs = [*TOOLS, lookup_tracking_status.spec]
    reply = await OfflineModel().complete(brief("Where is my parcel? The tracking number is ZX-99812."), specs)
    assert reply.tool_calls[0].tool == "lookup_tracking_status"
    assert reply.tool_calls[0].arguments == {"tracking_number": "ZX-99812"}


async def test_calls_a_second_tool_for_what_the_first_did_not_cover_then_answers() -> None:
    model = OfflineModel()
    notes = Artifact(name="notes", text="the launch went well and customers liked it")
    messages = brief("Translate the notes into German, language: German, and count the words of the text", notes)
    first = await model.complete(messages, TOOLS)
    assert first.tool_calls[0].tool == "translate_text"
    assert first.tool_calls[0].arguments == {"text": notes.text, "language": "German"}
    messages = answered(messages, first, "der Start lief gut")
    second = await model.complete(messages, TOOLS)
    assert second.tool_calls[0].tool == "count_words"
    assert second.tool_calls[0].arguments == {"text": "der Start lief gut"}
    messages = answered(messages, second, 4)
    final = await model.complete(messages, TOOLS)
    assert not final.tool_calls
    assert final.text.startswith(OFFLINE_LABEL)
    assert "der Start lief gut" in final.text and "count_words: 4" in final.text


async def test_answers_without_tools_when_nothing_fits_and_says_so() -> None:
    context = (ContextItem(source="memory:r1", text="Refunds take five days."),)
    reply = await OfflineModel().complete(brief("Reply politely to the customer", context=context), TOOLS)
    assert not reply.tool_calls
    assert reply.text.splitlines()[0] == f"{OFFLINE_LABEL} Reply politely to the customer"
    assert "Refunds take five days." in reply.text


async def test_skips_a_tool_whose_required_arguments_cannot_be_filled() -> None:
    @tool
    def refund_order(order_total: float) -> str:
        """Refund an order."""
        return "refunded"

    reply = await OfflineModel().complete(brief("Refund the order"), [refund_order.spec])
    assert not reply.tool_calls


async def test_is_deterministic_and_reports_estimated_usage() -> None:
    messages = brief("Count the words of the text", Artifact(name="text", text="one two three"))
    first, second = [await OfflineModel().complete(messages, TOOLS) for _ in range(2)]
    assert first == second and first.usage.prompt_tokens > 0 and first.cost_usd == 0


async def test_a_failed_tool_is_not_called_again_and_the_failure_is_reported() -> None:
    model = OfflineModel()
    messages = brief("Count the words of the text", Artifact(name="text", text="one two"))
    reply = await model.complete(messages, TOOLS)
    failure = ToolResult.model_validate({"call_id": reply.tool_calls[0].id, "tool": "count_words", "ok": False,
                                         "error": {"type": "PolicyDenied", "message": "not today"}})  # fmt: skip
    messages = [*messages, ChatMessage(role="assistant", tool_calls=reply.tool_calls), observation_message(failure)]
    final = await model.complete(messages, TOOLS)
    assert not final.tool_calls and "count_words failed: PolicyDenied: not today" in final.text


def test_brief_round_trips_through_its_message_text() -> None:
    original = TaskBrief(
        instruction="Summarise ```odd``` input",
        goal="weekly report",
        acceptance=("mentions totals",),
        artifacts=(Artifact(name="sales", media_type="text/csv", text="a,b\n```\n1,2", data={"rows": 1}),),
        context=(ContextItem(source="memory:1", text="fact", priority=2),),
    )
    parsed = TaskBrief.parse(original.render())
    assert parsed == original
    body = original.render().split("```inputs\n", 1)[1].split("\n```", 1)[0]
    assert json.loads(body)["artifacts"]["sales"]["media_type"] == "text/csv"


def test_brief_clips_long_texts_and_marks_them() -> None:
    text = TaskBrief("x", artifacts=(Artifact(name="big", text="y" * 50),)).render(max_chars=10)
    entry = json.loads(text.split("```inputs\n", 1)[1].split("\n```", 1)[0])["artifacts"]["big"]
    assert entry == {"media_type": "text/plain", "origin": "user", "text": "y" * 10, "data": None, "clipped": True}


@pytest.mark.parametrize("content", ["plain instruction only", "text\n\nInputs:\n```inputs\nnot json\n```\n"])
def test_brief_without_a_readable_block_is_all_instruction(content: str) -> None:
    assert TaskBrief.parse(content).artifacts == () and TaskBrief.parse(content).instruction


def test_tool_specs_are_what_the_model_gets() -> None:
    assert all(isinstance(s, ToolSpec) for s in TOOLS)


@tool
def rank_groups(table_csv: str, value_column: str, group_by: list[str] | None = None, k: int = 5,
                note: str = "", source: str = "table.csv") -> str:  # fmt: skip
    """Rank the top k groups of a CSV table by the sum of a numeric column.

    Args:
        table_csv: The table, CSV with a header row.
        value_column: Numeric column to rank by.
        group_by: Key columns that form the groups.
        k: How many groups to return.
        note: A remark for the report text.
        source: Name of the data file, for citations.
    """
    return ""


@tool
def write_report(title: str, facts: list[dict[str, str]], documents: dict[str, str]) -> str:
    """Write a report from facts and documents.

    Args:
        title: Title of the report.
        facts: Figures to report.
        documents: Document name to its text.
    """
    return ""


async def test_columns_are_chosen_by_type_and_optional_arguments_only_from_aimed_evidence() -> None:
    orders = Artifact(name="orders", media_type="text/csv", text="city,amount\nOslo,3\nRome,5\n")
    reply = await OfflineModel().complete(brief("Rank the top 2 cities by amount", orders), [rank_groups.spec])
    assert reply.tool_calls[0].arguments == {"table_csv": orders.text, "value_column": "amount",
                                             "group_by": ["city"], "k": 2, "source": "orders"}  # fmt: skip


async def test_lists_carried_by_earlier_outputs_under_the_arguments_name_are_merged() -> None:
    first = Artifact(name="north", media_type="application/json", data={"facts": [{"label": "a"}]})
    second = Artifact(name="south", media_type="application/json", data={"facts": [{"label": "b"}, {"label": "a"}]})
    guide = Artifact(name="guide", media_type="text/markdown", text="# Guide\nRevenue is money in.")
    reply = await OfflineModel().complete(brief("Write the report", first, second, guide), [write_report.spec])
    arguments = reply.tool_calls[0].arguments
    assert arguments["facts"] == [{"label": "a"}, {"label": "b"}]
    assert arguments["documents"] == {"guide": guide.text} and arguments["title"] == "Write the report"
