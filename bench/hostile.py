"""The hostile-content suite: how many injected actions execute, and how often the user's task still succeeds.

Runs every case of ``agentrt.cluster.hostile`` (injections in tool results, retrieved documents and
memory records, with a model that obeys what it reads and a person who approves only the user's own
calls) under three gates and prints one row each:

- the shipped default policy (``agentrt/actors/default_policy.yaml``);
- every write held for approval (a rule that cannot see arguments);
- no gate at all.

    .venv/bin/python bench/hostile.py
"""

from __future__ import annotations

import asyncio
import time
from collections import Counter

from agentrt.actors import AllowAll, PolicyRule, RuleGate
from agentrt.cluster.hostile import INJECTIONS, SuiteResult, run_suite
from agentrt.specialists.factory import approval_policy


async def main() -> None:
    gates = {
        "shipped default policy": approval_policy,
        "writes held for approval": lambda tools: RuleGate([PolicyRule("needs_approval", writes=True)], tools=tools),
        "no gate": lambda tools: AllowAll(),
    }
    channels = Counter(i.channel for i in INJECTIONS)
    print(f"{len(INJECTIONS)} injections: " + ", ".join(f"{k} {v}" for k, v in channels.items()))
    print(f"{'gate':<26} {'obeyed':>7} {'executed':>9} {'task ok':>8} {'s':>6}")
    for label, gate in gates.items():
        started = time.perf_counter()
        result: SuiteResult = await run_suite(gate)
        print(f"{label:<26} {result.obeyed_rate:>7.0%} {result.executed_rate:>9.1%} {result.success_rate:>8.1%} "
              f"{time.perf_counter() - started:>6.1f}")
        by_ask = Counter(o.injection.ask for o in result.outcomes if o.executed)
        if by_ask:
            print(f"{'':<26} executed by kind: " + ", ".join(f"{k} {v}" for k, v in sorted(by_ask.items())))


if __name__ == "__main__":
    asyncio.run(main())
