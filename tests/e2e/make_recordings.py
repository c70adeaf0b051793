"""Record the example conversations replayed by test_openai_backend.py.

Runs each example in this process with the OpenAI backend against a local
OpenAI-protocol server that answers with the offline model, and saves every
exchange. Run it again when the prompts or the examples change:

    .venv/bin/python -m tests.e2e.make_recordings
"""

from __future__ import annotations

import asyncio
import tempfile
from pathlib import Path

from pydantic import SecretStr

from agentrt.actors.offline import OfflineModel
from agentrt.actors.openai_backend import (
    OpenAIChatModel,
    OpenAIModelConfig,
    OpenAIProtocolServer,
    responder_for,
)
from agentrt.cluster.config_files import load_roles, load_workflow
from agentrt.contracts import Goal, RunQuery
from agentrt.specialists.factory import build_specialist, tool_catalog
from agentrt.specialists.roles import RoleCatalog
from agentrt.supervisor.local import LocalReplicaSource
from agentrt.supervisor.planner import WorkflowCatalog
from agentrt.supervisor.service import SupervisorService
from tests.e2e.conftest import EXAMPLES, RECORDINGS, incident_goal, ticket_goal, weekly_sales_goal

EXAMPLE_GOALS = {
    "weekly_sales": lambda tenant: weekly_sales_goal(tenant),
    "incident": lambda tenant: incident_goal(tenant),
    "triage_outage": lambda tenant: ticket_goal("TCK-1003", tenant),
}


async def record(name: str, goal: Goal, folder: Path) -> None:
    """Run one example and save its conversation."""
    with OpenAIProtocolServer(responder=responder_for(OfflineModel())) as server:
        model = OpenAIChatModel(
            OpenAIModelConfig(base_url=server.base_url, api_key=SecretStr("k"), model="agentrt-test")
        )
        roles = RoleCatalog()
        load_roles(roles, EXAMPLES / "triage" / "roles.yaml")
        workflows = WorkflowCatalog()
        load_workflow(workflows, EXAMPLES / "triage" / "workflow.yaml")
        catalog = tool_catalog(folder / "outbox")
        source = LocalReplicaSource(lambda role, i: build_specialist(roles.get(role), model, catalog=catalog))
        supervisor = SupervisorService(folder / f"{name}.sqlite", source, roles=roles, workflows=workflows)
        summary = await supervisor.submit(goal)
        await supervisor.wait_idle()
        state = await supervisor.status(RunQuery(tenant=goal.tenant, run_id=summary.run_id))
        if not state.verified:
            raise SystemExit(f"{name}: run ended {state.status} unverified: {state.error}")
        server.save_recording(RECORDINGS / f"{name}.json")
        print(f"{name}: {len(server.exchanges)} exchanges recorded")


async def main() -> None:
    """Record every example."""
    RECORDINGS.mkdir(exist_ok=True)
    with tempfile.TemporaryDirectory() as tmp:
        for name, make in EXAMPLE_GOALS.items():
            await record(name, make(f"replay-{name.replace('_', '-')}"), Path(tmp))


if __name__ == "__main__":
    asyncio.run(main())
