"""The ``agentrt`` command line.

::

    agentrt run "Prepare the weekly sales summary" --data sales.csv --data metrics.md
    agentrt status RUN            agentrt runs               agentrt trace RUN --export run.jsonl
    agentrt approve ID [--reject] [--reason TEXT]            agentrt answer RUN ID TEXT
    agentrt scale ROLE N          agentrt cancel RUN          agentrt serve [--http]
    agentrt demo

Exit codes: 0 success, 1 a run failed (or was cancelled, or did not end in time),
2 a usage error (bad arguments, unknown run, invalid configuration).
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import TextIO

from cluster._commands import COMMANDS, EXIT_FAILED, EXIT_OK, EXIT_USAGE
from cluster.client import Client
from contracts import ResultTimeout, RunError, UsageError

__all__ = ["EXIT_FAILED", "EXIT_OK", "EXIT_USAGE", "Console", "build_parser", "main"]

@dataclass
class Console:
    """Where a command writes, and the client it uses.

    Args:
        out: Results.
        err: Diagnostics.
        client: A client to use instead of connecting from the command's options.
    """

    out: TextIO
    err: TextIO
    client: Client | None = None
    _opened: list[Client] = field(default_factory=list)

    def connect(self, args: argparse.Namespace) -> Client:
        """The client for a command: the given one, or a new one from ``--address/--tenant/--user``."""
        if self.client is None:
            self.client = Client(address=args.address, tenant=args.tenant, user=args.user)
            self._opened.append(self.client)
        return self.client

    def close(self) -> None:
        """Close the clients this console opened."""
        while self._opened:
            self._opened.pop().close()


def _common() -> argparse.ArgumentParser:
    common = argparse.ArgumentParser(add_help=False)
    common.add_argument("--address", help="Ray cluster to join (default: RAY_ADDRESS, else a local cluster)")
    common.add_argument("--tenant", help="tenant to act for (default: AGENTRT_TENANT or 'default')")
    common.add_argument("--user", help="user to act as (default: AGENTRT_USER or the login name)")
    common.add_argument("--json", action="store_true", help="print machine-readable JSON")
    return common


def build_parser() -> argparse.ArgumentParser:
    """Return the argument parser of the ``agentrt`` command."""
    parser = argparse.ArgumentParser(prog="agentrt", description="Run multi-step agent workflows on Ray.")
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
        print(f"agentrt: cannot reach the Ray cluster: {exc}; start one with `ray start --head`, "
              "or leave --address and RAY_ADDRESS unset to run on a local cluster", file=console.err)
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
