"""Keyword classification follows the given rules; entity extraction finds ids, dates and amounts."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from agentrt.contracts import ToolArgumentError
from agentrt.specialists.tools import classify_records, classify_text, extract_entities

TICKETS = json.loads((Path(__file__).resolve().parents[2] / "examples" / "triage" / "tickets.json").read_text())
RULES = {
    "outage": ["down", "outage", "504", "500 errors", "cannot complete checkout", "all requests fail"],
    "account_access": ["locked out", "cannot log in", "password reset", "2FA", "access to my account"],
    "refund": ["refund", "money back", "returned", "cancelled order"],
    "billing": ["charged twice", "invoice", "VAT", "payment", "plan", "prorated"],
    "bug": ["crash", "crashes", "error", "no results", "bug"],
}


def test_tickets_are_classified_by_the_routing_keywords() -> None:
    labels = {r.id: r.classification.label for r in classify_records(TICKETS, RULES, ["subject", "body"])}
    assert labels == {
        "TCK-1001": "billing",
        "TCK-1002": "bug",
        "TCK-1003": "outage",
        "TCK-1004": "account_access",
        "TCK-1005": "refund",
        "TCK-1006": "billing",
        "TCK-1007": "bug",
        "TCK-1008": "refund",
        "TCK-1009": "account_access",
        "TCK-1010": "outage",
        "TCK-1011": "refund",
        "TCK-1012": "billing",
    }


def test_confidence_is_the_winning_share_and_keywords_match_whole_words() -> None:
    result = classify_text("The app crashes with an error after the invoice export", RULES)
    assert result.label == "bug" and result.matched_keywords == ["crashes", "error"]
    assert result.confidence == round(2 / 3, 3)
    assert classify_text("We love the download speed", RULES).label == "other"  # "down" is not in "download"
    assert classify_text("Nothing to see", RULES, default_label="general").confidence == 0.0
    with pytest.raises(ToolArgumentError):
        classify_text("text", {})


def test_entities_are_extracted_and_normalised() -> None:
    text = (
        "Customer ID: CUST-4051 asks about order #731002 and ORD-482913 (order 482913), paid $1,249.00 and "
        "EUR 45.50 on March 12, 2024; returned 2024-03-15, again 03/18/2024. Ticket TCK-1005."
    )
    entities = extract_entities(text, {"ticket_ids": r"TCK-\d+"})
    assert entities.order_ids == ["731002", "ORD-482913"]
    assert entities.customer_ids == ["CUST-4051"]
    assert entities.dates == ["2024-03-12", "2024-03-15", "2024-03-18"]
    assert [(a.value, a.currency) for a in entities.amounts] == [(1249.0, "USD"), (45.5, "EUR")]
    assert entities.custom == {"ticket_ids": ["TCK-1005"]}
    with pytest.raises(ToolArgumentError):
        extract_entities(text, {"broken": "("})
