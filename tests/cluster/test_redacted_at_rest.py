"""Data at rest on the cluster: no raw personal data or secret in any file of the data dir.

A run gets them in its goal, its attachment and a tool error that quotes them.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
import ray

from agentrt import RuntimeConfig, connect
from agentrt.cluster.runtime import Runtime
from agentrt.contracts import Attachment, RunFailed, RunStatus

pytestmark = pytest.mark.usefixtures("ray_cluster")

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures"
RAW = {
    "email": "dana.whitfield@example.org",
    "card": "4111 1111 1111 1111",
    "phone": "+44 20 7946 0958",
    "iban": "GB82 WEST 1234 5698 7654 32",
    "api key": "sk-live0123456789abcdefABCDEF",
}


@pytest.fixture
def namespace() -> Iterator[str]:
    name = f"at-rest-{uuid.uuid4().hex[:8]}"
    yield name
    for actor in ray.util.list_named_actors(all_namespaces=True):
        if actor["namespace"] == name:
            ray.kill(ray.get_actor(actor["name"], namespace=name), no_restart=True)


def _holding(root: Path) -> dict[str, list[str]]:
    found: dict[str, list[str]] = {}
    for path in sorted(root.rglob("*")):
        if path.is_file():
            data = path.read_bytes()
            hits = [kind for kind, value in RAW.items() if value.encode() in data]
            if hits:
                found[str(path.relative_to(root))] = hits
    return found


def test_no_raw_value_reaches_any_file_of_the_data_dir(tmp_path: Path, namespace: str) -> None:
    config = RuntimeConfig(
        data_dir=tmp_path,
        namespace=namespace,
        tool_modules=("tests.fixtures.order_tools",),
        roles_file=FIXTURES / "orders_roles.yaml",
    )
    runtime = connect(config)
    assert isinstance(runtime, Runtime)
    details = f"customer {RAW['email']}, phone {RAW['phone']}, card {RAW['card']}, IBAN {RAW['iban']}"
    note = Attachment(name="note.txt", content=f"{details}; our key is {RAW['api key']}")
    with runtime.client(tenant="acme", user="ann") as client:
        held = client.submit(f"Look up the shipping status of order ORD-9999 for {details}", data=[note])
        with pytest.raises(RunFailed):
            held.result(timeout=180)
        events = held.trace()
        done = client.submit(f"Look up the shipping status of order ORD-1234 for {details}").result(timeout=180)
    errors = [e.error.message for e in events if e.error is not None]
    assert any("on hold" in m and "[REDACTED:CARD]" in m for m in errors), errors  # the tool error, redacted
    assert done.status is RunStatus.DONE and "TRK-998877" in done.output
    assert not any(value in done.output for value in RAW.values())  # the output gate redacted it
    assert _holding(tmp_path) == {}
