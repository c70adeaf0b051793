"""The installed command parses its arguments before it connects anywhere."""

from __future__ import annotations

import io
import subprocess
import sys

from agentrt.cluster.cli import EXIT_USAGE, build_parser, main
from agentrt.cluster.http import ApiKey, HttpConfig, hash_api_key


def test_command_without_arguments_exits_2_with_usage() -> None:
    done = subprocess.run(
        [sys.executable, "-m", "agentrt.cluster.cli", "run"], capture_output=True, text=True, timeout=120
    )
    assert done.returncode == EXIT_USAGE
    assert "usage: agentrt run" in done.stderr and "goal" in done.stderr


def test_every_command_of_the_brief_is_there() -> None:
    parser = build_parser()
    commands = next(a for a in parser._actions if a.dest == "command").choices
    assert {"run", "status", "runs", "approve", "answer", "scale", "serve", "trace", "demo", "cancel"} <= set(commands)
    args = parser.parse_args(["run", "goal text", "--data", "a.csv", "--data", "b.md", "--workflow", "weekly",
                              "--tenant", "acme", "--address", "auto", "--json"])
    assert (args.data, args.workflow, args.tenant, args.address, args.json) == (["a.csv", "b.md"], "weekly", "acme",
                                                                               "auto", True)


def test_apikey_prints_the_key_once_and_only_its_digest_for_the_keys_file() -> None:
    out, err = io.StringIO(), io.StringIO()
    assert main(["apikey", "--tenant", "acme", "--user", "ci"], out=out, err=err) == 0
    key = err.getvalue().strip().rsplit(" ", 1)[-1]
    entry = ApiKey.model_validate_json(out.getvalue())
    assert (entry.tenant, entry.user, entry.sha256) == ("acme", "ci", hash_api_key(key))
    assert key not in out.getvalue() and HttpConfig(keys=(entry,)).authenticate(key) == entry
