"""Joining a cluster by explicit address under Ray's token authentication.

With the token it works; without it the command fails with a hint that names the token variables.
"""

from __future__ import annotations

import os
import secrets
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent.parent


_HEAD = """
import sys, time, ray
ray.init(num_cpus=2, include_dashboard=False, log_to_driver=False)
print(ray.get_runtime_context().gcs_address, flush=True)
sys.stdin.read()  # until the test closes stdin; ray.shutdown then stops this cluster only
ray.shutdown()
"""


@pytest.fixture
def token_cluster(tmp_path: Path) -> Iterator[tuple[str, str, dict[str, str]]]:
    """A local cluster of its own with token authentication on (``ray stop`` would stop every cluster here)."""
    token = secrets.token_hex(16)
    base = {k: v for k, v in os.environ.items() if not k.startswith(("RAY_ADDRESS", "RAY_AUTH"))}
    base |= {"HOME": str(tmp_path / "home"), "AGENTRT_DATA_DIR": str(tmp_path / "data"), "PYTHONPATH": str(REPO),
             "RAY_USAGE_STATS_ENABLED": "0"}
    secured = base | {"RAY_AUTH_MODE": "token", "RAY_AUTH_TOKEN": token}
    head = subprocess.Popen([sys.executable, "-c", _HEAD], env=secured, stdin=subprocess.PIPE,
                            stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
    try:
        assert head.stdout is not None
        address = head.stdout.readline().strip()
        assert address, "the token-authenticated cluster did not start"
        yield address, token, base
    finally:
        if head.stdin is not None:
            head.stdin.close()
        try:
            head.wait(timeout=120)
        except subprocess.TimeoutExpired:
            head.kill()


def _runs(address: str, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "agentrt.cluster.cli", "runs", "--address", address],
                          env=env, capture_output=True, text=True, timeout=300, cwd=REPO, check=False)


def test_an_explicit_address_with_token_authentication(token_cluster: tuple[str, str, dict[str, str]]) -> None:
    address, token, base = token_cluster
    refused = _runs(address, base | {"RAY_AUTH_MODE": "token"})
    assert refused.returncode == 1, refused.stdout + refused.stderr
    assert "RAY_AUTH_TOKEN" in refused.stderr and "Traceback" not in refused.stderr
    assert "ray start --head" not in refused.stderr

    token_file = Path(base["HOME"]) / "token"
    token_file.parent.mkdir(parents=True, exist_ok=True)
    token_file.write_text(token)
    joined = _runs(address, base | {"RAY_AUTH_MODE": "token", "RAY_AUTH_TOKEN_PATH": str(token_file)})
    assert joined.returncode == 0, joined.stderr[-3000:]
    assert "no runs yet" in joined.stdout
