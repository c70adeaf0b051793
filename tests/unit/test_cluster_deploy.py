"""The cluster launcher file and the HTTP example configuration match the command line and the API."""

from __future__ import annotations

import shlex
from pathlib import Path

import yaml

from agentrt.cluster.cli import build_parser
from agentrt.cluster.http import HttpConfig

DEPLOY = Path(__file__).resolve().parents[2] / "deploy"


def test_cluster_file_has_head_and_worker_types_installs_agentrt_and_serves() -> None:
    spec = yaml.safe_load((DEPLOY / "cluster.yaml").read_text(encoding="utf-8"))
    assert set(spec["available_node_types"]) == {"head", "worker"} and spec["head_node_type"] == "head"
    assert any("pip install ~/agentrt" in c for c in spec["setup_commands"])
    serve = [c for c in spec["head_start_ray_commands"] if "agentrt serve" in c]
    assert len(serve) == 1
    words = shlex.split(serve[0].split("agentrt ", 1)[1].split(">", 1)[0])
    args = build_parser().parse_args(words)
    assert (args.command, args.address, args.http, args.port) == ("serve", "auto", True, 8000)
    assert all(c.startswith("ray start --address=") for c in spec["worker_start_ray_commands"][1:])


def test_http_example_configuration_loads() -> None:
    config = HttpConfig.from_file(DEPLOY / "http.example.json")
    assert config.keys == () and "ticket" in config.hooks
