"""Actions that leave the sandbox: sending a message and recording a payment, into an outbox.

These are the runtime's built-in *write* tools. They stop at the approval gate
(the default policy holds every write for a person), run once per idempotency
key however often a step is retried or re-dispatched, and append to an outbox
directory that a mail relay or a payments integration drains.
"""

from __future__ import annotations

import fcntl
import json
import os
from pathlib import Path

from agentrt.actors import Tool, ToolContext, tool
from agentrt.contracts import ToolArgumentError

__all__ = ["outbox_tools"]


def _append_once(path: Path, key: str, record: dict[str, object]) -> dict[str, object]:
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("a+", encoding="utf-8") as fh:
        fcntl.flock(fh, fcntl.LOCK_EX)
        fh.seek(0)
        for line in fh:
            if line.strip() and json.loads(line).get("idempotency_key") == key:
                return {**json.loads(line), "duplicate": True}
        entry = {**record, "idempotency_key": key}
        fh.write(json.dumps(entry, sort_keys=True) + "\n")
        fh.flush()
        os.fsync(fh.fileno())
    return {**entry, "duplicate": False}


def outbox_tools(directory: Path | str) -> tuple[Tool, ...]:
    """The write tools bound to an outbox directory."""
    root = Path(directory)

    @tool(writes=True, output="sent_message", timeout_s=10.0)
    def send_message(  # noqa: D417  (the runtime fills idempotency_key and ctx; the model never sees them)
        to: str, subject: str, body: str, idempotency_key: str, ctx: ToolContext
    ) -> dict[str, object]:
        """Send a message (mail or chat) to a recipient: the draft leaves the runtime.

        Args:
            to: Recipient address, team or channel.
            subject: Subject line.
            body: The message text.
        """
        if not to.strip() or not body.strip():
            raise ToolArgumentError("a message needs a recipient and a body", tool="send_message", field="to")
        record: dict[str, object] = {"to": to, "subject": subject, "body": body, "run_id": ctx.run_id,
                                     "step_id": ctx.step_id}
        return _append_once(root / "messages.jsonl", idempotency_key, record)

    @tool(writes=True, output="payment", timeout_s=10.0)
    def issue_refund(  # noqa: D417  (the runtime fills idempotency_key and ctx)
        order_id: str, amount: float, reason: str, idempotency_key: str, ctx: ToolContext
    ) -> dict[str, object]:
        """Issue a refund of an amount for an order to the customer.

        Args:
            order_id: The order to refund.
            amount: Amount to refund, in the order's currency.
            reason: Why the refund is issued.
        """
        if amount <= 0:
            raise ToolArgumentError("a refund amount must be positive", tool="issue_refund", field="amount")
        record = {"order_id": order_id, "amount": amount, "reason": reason, "run_id": ctx.run_id}
        issued = _append_once(root / "refunds.jsonl", idempotency_key, record)
        fact = {"label": f"Refund issued for {order_id}", "value": amount, "unit": "", "source": "refunds outbox"}
        return {**issued, "facts": [fact]}

    return (send_message, issue_refund)
