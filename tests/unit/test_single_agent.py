"""One agent without a supervisor, and the logic packages without Ray."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from agentrt import AgentSpec, PolicyRule, RuleGate, ask
from agentrt.contracts import TaskStatus
from tests.fixtures.order_tools import lookup_order

REPO = Path(__file__).resolve().parent.parent.parent
ORDERS = AgentSpec(role="orders", instructions="Report the order's shipping status.", tools=(lookup_order,))


def test_one_agent_calls_its_tool_and_answers() -> None:
    result = ask(ORDERS, "Look up the shipping status of order ORD-1234")
    assert result.status is TaskStatus.SUCCEEDED and result.role == "orders"
    assert "TRK-998877" in result.summary
    assert any(a.name == "lookup_order" for a in result.artifacts)


def test_one_agent_passes_its_tool_calls_through_the_given_gate() -> None:
    gate = RuleGate([PolicyRule(verdict="deny", tools=("lookup_order",), reason="closed")], tools=ORDERS.tools)
    result = ask(ORDERS, "Look up the shipping status of order ORD-1234", policy=gate)
    assert "TRK-998877" not in result.summary


def test_the_logic_packages_and_the_single_agent_path_do_not_import_ray() -> None:
    code = (
        "import sys, agentrt, agentrt.contracts, agentrt.actors, agentrt.memory, agentrt.specialists, "
        "agentrt.supervisor\n"
        "from tests.fixtures.order_tools import lookup_order\n"
        "agentrt.ask(agentrt.AgentSpec(role='orders', instructions='x', tools=(lookup_order,)), "
        "'Look up the shipping status of order ORD-1234', data=['examples/weekly_sales/metrics.md'])\n"
        "print(sorted(m for m in sys.modules if m == 'ray' or m.startswith('ray.')))\n"
    )
    done = subprocess.run([sys.executable, "-c", code], cwd=REPO, capture_output=True, text=True, timeout=120,
                          check=False)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "[]"
