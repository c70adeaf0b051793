"""Where a command of ``agentrt`` writes, and the client it uses."""

from __future__ import annotations

import argparse
from dataclasses import dataclass, field
from typing import Any, TextIO

from agentrt.cluster.client import Client
from agentrt.cluster.command_config import config_from_args

__all__ = ["Console"]


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
    _runtimes: list[Any] = field(default_factory=list)

    def connect(self, args: argparse.Namespace) -> Client:
        """The client for a command: the given one, or one of the runtime the command's options name.

        With no part named (``--tools``, ``--roles``, ``--workflow FILE``, ``--model``) it joins
        the runtime that is up as it is; a local cluster is started only when none is.
        """
        if self.client is None:
            from agentrt.cluster.runtime import connect  # noqa: PLC0415  (imports Ray)

            runtime = connect(config_from_args(args))
            self._runtimes.append(runtime)
            # Commands that change the cluster (scale) act as its operator: this machine holds its key.
            operator = bool(getattr(args, "operator", False))
            self.client = Client(tenant=args.tenant, user=args.user, runtime=runtime, operator=operator)
            self._opened.append(self.client)
        return self.client

    def close(self) -> None:
        """Close the clients this console opened, and their runtime connections."""
        while self._opened:
            self._opened.pop().close()
        while self._runtimes:
            self._runtimes.pop().shutdown()
