"""The ``agentrt`` command line.

::

    agentrt run "Prepare the weekly sales summary" --data sales.csv --data metrics.md
    agentrt status RUN            agentrt runs               agentrt trace RUN --export run.jsonl
    agentrt approve ID [--reject] [--reason TEXT]            agentrt answer RUN ID TEXT
    agentrt scale ROLE N          agentrt cancel RUN          agentrt serve [--http]
    agentrt start / stop          agentrt demo                agentrt --version

``run``, ``serve``, ``start`` and ``demo`` take the runtime's parts: ``--tools MODULE``,
``--roles FILE``, ``--workflow FILE``, ``--model SPEC``; ``run`` takes a budget:
``--max-tokens``, ``--max-cost``, ``--max-steps``, ``--timeout``. Every command joins the
runtime ``agentrt serve``/``start`` keeps up, and starts a local cluster only when none is.

Exit codes: 0 success, 1 a run failed (or was cancelled, or did not end in time),
2 a usage error (bad arguments, unknown run, invalid configuration).
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable, Sequence
from typing import TextIO

from agentrt.cluster._commands import COMMANDS, EXIT_FAILED, EXIT_OK, EXIT_USAGE
from agentrt.cluster.client import Client
from agentrt.cluster.console import Console
from agentrt.contracts import ResultTimeout, RunError, UsageError

__all__ = ["EXIT_FAILED", "EXIT_OK", "EXIT_USAGE", "Console", "build_parser", "main"]

def _version() -> str:
    from importlib.metadata import PackageNotFoundError, version  # noqa: PLC0415

    try:
        return version("agentrt")
    except PackageNotFoundError:
        return "unknown"


def _common() -> argparse.ArgumentParser:
    common = argparse.ArgumentParser(add_help=False)
    common.add_argument("--address", help="Ray cluster to join (default: RAY_ADDRESS, else the served runtime, "
                        "else a local cluster)")
    common.add_argument("--tenant", help="tenant to act for (default: AGENTRT_TENANT or 'default')")
    common.add_argument("--user", help="user to act as (default: AGENTRT_USER or the login name)")
    common.add_argument("--json", action="store_true", help="print machine-readable JSON")
    return common


def build_parser() -> argparse.ArgumentParser:
    """Return the argument parser of the ``agentrt`` command."""
    parser = argparse.ArgumentParser(prog="agentrt", description="Run multi-step agent workflows on Ray.")
    parser.add_argument("--version", action="version", version=f"agentrt {_version()}")
    commands = parser.add_subparsers(dest="command", metavar="COMMAND")
    common = _common()
    for spec in COMMANDS:
        sub = commands.add_parser(spec.name, help=spec.help, description=spec.help, parents=[common])
        for flags, options in spec.arguments:
            sub.add_argument(*flags, **options)
        sub.set_defaults(handler=spec.handler)
    return parser


def _run(handler: Callable[[argparse.Namespace, Console], int], args: argparse.Namespace, console: Console) -> int:
    try:
        return handler(args, console)
    except UsageError as exc:
        print(f"agentrt: {exc}", file=console.err)
        return EXIT_USAGE
    except (RunError, ResultTimeout) as exc:
        print(f"agentrt: {exc}", file=console.err)
        return EXIT_FAILED
    except ConnectionError as exc:
        print(f"agentrt: cannot reach the Ray cluster: {exc}. Leave --address and RAY_ADDRESS unset to join "
              "the runtime `agentrt start` keeps up, or to run on a local cluster", file=console.err)
        return EXIT_FAILED
    except KeyboardInterrupt:
        print("agentrt: interrupted; runs go on (see `agentrt runs`)", file=console.err)
        return EXIT_FAILED


def main(
    argv: Sequence[str] | None = None,
    *,
    client: Client | None = None,
    out: TextIO | None = None,
    err: TextIO | None = None,
) -> int:
    """Entry point of the ``agentrt`` command; returns the exit code.

    Args:
        argv: Arguments (default: ``sys.argv[1:]``).
        client: A client to use instead of connecting (embedding, tests).
        out: Where results go (default: standard output).
        err: Where diagnostics go (default: standard error).
    """
    parser = build_parser()
    try:
        args = parser.parse_args(argv)
    except SystemExit as stop:
        return stop.code if isinstance(stop.code, int) else EXIT_USAGE
    if args.command is None:
        parser.print_help(out or sys.stdout)
        return EXIT_USAGE
    console = Console(out or sys.stdout, err or sys.stderr, client)
    try:
        return _run(args.handler, args, console)
    finally:
        console.close()


if __name__ == "__main__":
    sys.exit(main())
