"""The user's own parts reach a running runtime on Ray; changes are applied or refused, never ignored."""

from __future__ import annotations

import io
import json
import sys
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
import ray

from agentrt import Budget, RuntimeConfig, connect
from agentrt.actors.offline import OfflineModel
from agentrt.actors.openai_backend import OpenAIProtocolServer, responder_for
from agentrt.cluster.cli import EXIT_OK, main
from agentrt.cluster.demo import WEEKLY_SALES_FILES, WEEKLY_SALES_GOAL
from agentrt.cluster.runtime import SUPERVISOR_ACTOR, Runtime
from agentrt.cluster.settings import settings_from_env
from agentrt.contracts import ConfigError, RunFailed, RunStatus
from agentrt.specialists.roles import RoleSpec

pytestmark = pytest.mark.usefixtures("ray_cluster")

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures"
EXAMPLES = Path(__file__).resolve().parent.parent.parent / "examples"
ORDER_GOAL = "Look up the shipping status of order ORD-1234"
STOCK_GOAL = "Check the stock level of SKU-42"
STOCK_ROLE = RoleSpec(name="stock", description="Checks stock levels of products.",
                      instructions="You are stock. Check the stock level of the product.",
                      tools=("stock_level",), keywords=("stock", "sku"), output="stock_report")
STOCK_MODULE = '''from agentrt import tool


@tool
def stock_level(sku: str) -> dict[str, str]:
    """Stock level of a product by its SKU."""
    return {{"sku": sku, "stock": "in stock at the {} warehouse"}}


TOOLS = (stock_level,)
'''


def _actors(namespace: str) -> list[str]:
    return sorted(a["name"] for a in ray.util.list_named_actors(all_namespaces=True) if a["namespace"] == namespace)


def _supervisor_id(namespace: str) -> str:
    return ray.get_actor(SUPERVISOR_ACTOR, namespace=namespace)._actor_id.hex()


@pytest.fixture
def namespace() -> Iterator[str]:
    name = f"open-{uuid.uuid4().hex[:8]}"
    yield name
    for actor in _actors(name):
        ray.kill(ray.get_actor(actor, namespace=name), no_restart=True)


def _orders_config(data_dir: Path, namespace: str, **fields: object) -> RuntimeConfig:
    return RuntimeConfig(data_dir=data_dir, namespace=namespace, tool_modules=("tests.fixtures.order_tools",),
                         roles_file=FIXTURES / "orders_roles.yaml", **fields)  # type: ignore[arg-type]


def test_a_custom_role_and_tool_reach_the_running_runtime_by_client_and_by_cli(
    tmp_path: Path, namespace: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    runtime = connect(_orders_config(tmp_path, namespace))
    assert isinstance(runtime, Runtime)
    with runtime.client(tenant="acme", user="ann") as client:
        state = client.submit(ORDER_GOAL).result(timeout=180)
    assert state.status is RunStatus.DONE and state.verified and "TRK-998877" in state.output
    assert state.plan is not None and state.plan.steps[0].role == "orders"
    before = _supervisor_id(namespace)

    monkeypatch.setenv("AGENTRT_NAMESPACE", namespace)
    monkeypatch.setenv("AGENTRT_DATA_DIR", str(tmp_path))
    out, err = io.StringIO(), io.StringIO()
    code = main(["run", ORDER_GOAL, "--tools", "tests.fixtures.order_tools", "--roles",
                 str(FIXTURES / "orders_roles.yaml"), "--tenant", "acme", "--json"], out=out, err=err)
    assert code == EXIT_OK, err.getvalue()
    by_cli = json.loads(out.getvalue())
    assert by_cli["status"] == "done" and "TRK-998877" in by_cli["output"]
    assert _supervisor_id(namespace) == before  # the same parts: joined, not replaced


def test_a_changed_tool_module_replaces_the_old_replicas(tmp_path: Path, namespace: str) -> None:
    module_name = f"shop_tools_{uuid.uuid4().hex[:8]}"
    module = tmp_path / "mods" / f"{module_name}.py"
    module.parent.mkdir()
    module.write_text(STOCK_MODULE.format("Berlin"))
    sys.path.insert(0, str(module.parent))  # only here: the code travels to the replicas by value
    try:
        config = RuntimeConfig(data_dir=tmp_path / "data", namespace=namespace, tool_modules=(module_name,),
                               roles=(STOCK_ROLE,))
        first = connect(config)
        with first.client(tenant="acme", user="ann") as client:
            assert "Berlin warehouse" in client.submit(STOCK_GOAL).result(timeout=180).output
        old = [n for n in _actors(namespace) if n.endswith(first.manifest.fingerprint)]
        assert any(n.startswith("agentrt-stock-0-") for n in old), old

        module.write_text(STOCK_MODULE.format("Lisbon"))
        second = connect(config)
        assert second.applied == ("tool:stock_level changed",)
        assert second.manifest.fingerprint != first.manifest.fingerprint
        with second.client(tenant="acme", user="ann") as client:
            assert "Lisbon warehouse" in client.submit(STOCK_GOAL).result(timeout=180).output
        names = _actors(namespace)
        assert not set(old) & set(names), names
        assert any(n.startswith("agentrt-stock-0-") and n.endswith(second.manifest.fingerprint) for n in names)
    finally:
        sys.path.remove(str(module.parent))


def test_a_conflicting_config_is_refused_with_the_difference_named(tmp_path: Path, namespace: str) -> None:
    connect(_orders_config(tmp_path, namespace))
    running = _supervisor_id(namespace)
    with pytest.raises(ConfigError) as moved:
        connect(_orders_config(tmp_path / "elsewhere", namespace))
    assert "data_dir changed" in str(moved.value) and moved.value.detail("differences") == "data_dir changed"
    with pytest.raises(ConfigError) as strict:
        connect(RuntimeConfig(data_dir=tmp_path, namespace=namespace, on_change="refuse"))
    assert "role:orders removed" in str(strict.value) and "tool:lookup_order removed" in str(strict.value)
    assert _supervisor_id(namespace) == running  # nothing was replaced


def test_a_price_from_the_environment_reaches_the_runtime_and_max_cost_stops_the_run(
    tmp_path: Path, namespace: str
) -> None:
    with OpenAIProtocolServer(responder=responder_for(OfflineModel()), model="priced") as server:
        env = {"OPENAI_BASE_URL": server.base_url, "OPENAI_API_KEY": "test-key", "AGENTRT_MODEL": "priced",
               "AGENTRT_PROMPT_USD_PER_1K": "0.02", "AGENTRT_COMPLETION_USD_PER_1K": "0.04",
               "AGENTRT_DATA_DIR": str(tmp_path), "AGENTRT_NAMESPACE": namespace}
        runtime = connect(RuntimeConfig(**settings_from_env(env).runtime_fields()))
        data = [EXAMPLES / "weekly_sales" / name for name in WEEKLY_SALES_FILES]
        with runtime.client(tenant="acme", user="ann") as client:
            paid = client.submit(WEEKLY_SALES_GOAL, data=data).result(timeout=300)
            capped = client.submit(WEEKLY_SALES_GOAL, data=data, budget=Budget(max_cost_usd=paid.cost.usd / 4))
            with pytest.raises(RunFailed, match="budget|cost"):
                capped.result(timeout=300)
            stopped = capped.status()
    assert paid.status is RunStatus.DONE and paid.cost.usd > 0 and len(server.requests) > 0
    expected = (paid.cost.prompt_tokens * 0.02 + paid.cost.completion_tokens * 0.04) / 1000
    assert paid.cost.usd == pytest.approx(expected, rel=1e-6)
    assert stopped.status is RunStatus.FAILED and stopped.cost.usd < paid.cost.usd
