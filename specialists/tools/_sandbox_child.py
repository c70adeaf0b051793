"""Bootstrap of a sandboxed child process. Standard library only; run as ``python -I -S <this file>``.

It runs under bubblewrap (see ``sandbox.py``). Reads one JSON request on
stdin: ``{"source", "payload", "host_netns", "block_sockets",
"max_output_bytes"}``. Refuses to run as uid 0; confirms the network guard
(bwrap's fresh network namespace, or else, and when asked, an audit hook that
refuses sockets); refuses process spawning, native code loading and limit
changes for the rest of its life; runs ``source`` with ``payload`` bound, and
writes one JSON reply to the original stdout: ``{"ok": true, "result",
"stdout", "guard"}`` or ``{"ok": false, "error_type", "message",
"traceback", "guard"}``.
"""

import contextlib
import io
import json
import math
import os
import sys
import traceback
from typing import Any

_ALWAYS_REFUSED = (
    "subprocess.Popen",
    "os.system",
    "os.exec",
    "os.posix_spawn",
    "os.spawn",
    "os.fork",
    "os.forkpty",
    "pty.spawn",
    "ctypes.dlopen",
    "ctypes.dlsym",
    "ctypes.dlsym/handle",
    "resource.setrlimit",
    "resource.prlimit",
)
_SOCKET_EVENTS = ("socket.",)


def _own_netns() -> str | None:
    try:
        return os.readlink("/proc/self/ns/net")
    except OSError:
        return None


def _install_guard(host_netns: str | None, block_sockets: bool) -> str:
    own = _own_netns()
    isolated = own is not None and host_netns is not None and own != host_netns
    guard = "bwrap" if isolated and not block_sockets else "socket-block"
    refused_prefixes = _SOCKET_EVENTS if guard == "socket-block" else ()

    def hook(event: str, _args: tuple[Any, ...]) -> None:
        if event in _ALWAYS_REFUSED or event.startswith(refused_prefixes):
            raise PermissionError(f"sandbox refuses {event}")

    # An audit hook cannot be removed once added, so sandboxed code cannot undo it.
    sys.addaudithook(hook)
    return guard


def _plain(value: object) -> object:
    # Results must be JSON; anything else is shown by its repr rather than failing the run.
    if isinstance(value, dict):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_plain(v) for v in value]
    if isinstance(value, float) and not math.isfinite(value):
        return None
    if value is None or isinstance(value, (bool, int, float, str)):
        return value
    return repr(value)


def _run(source: str, payload: object) -> dict[str, object]:
    captured = io.StringIO()
    namespace: dict[str, object] = {"__name__": "__sandbox__", "payload": payload, "result": None}
    try:
        with contextlib.redirect_stdout(captured):
            exec(compile(source, "<sandbox>", "exec"), namespace)
    except BaseException as exc:  # noqa: BLE001 - every failure becomes a typed reply
        # Free what the code built (a memory hog lives in its globals) before formatting the error.
        namespace.clear()
        tb = traceback.format_exception(exc)
        return {
            "ok": False,
            "error_type": type(exc).__name__,
            "message": str(exc)[:2000],
            "traceback": "".join(tb)[-4000:],
            "stdout": captured.getvalue()[-4000:],
        }
    return {"ok": True, "result": _plain(namespace.get("result")), "stdout": captured.getvalue()}


def main() -> None:
    request = json.loads(sys.stdin.read())
    reply_fd = os.dup(1)
    # Writes to fd 1 by sandboxed code must not corrupt the reply.
    devnull = os.open(os.devnull, os.O_WRONLY)
    os.dup2(devnull, 1)
    guard = _install_guard(request.get("host_netns"), bool(request.get("block_sockets")))
    if os.getuid() == 0:
        reply: dict[str, object] = {"ok": False, "error_type": "Unconfined", "message": "the child runs as uid 0"}
    else:
        reply = _run(request["source"], request.get("payload"))
    reply["guard"] = guard
    encoded = json.dumps(reply, allow_nan=False, default=repr).encode()
    if len(encoded) > request["max_output_bytes"]:
        encoded = json.dumps(
            {
                "ok": False,
                "error_type": "OutputTooLarge",
                "guard": guard,
                "message": f"reply of {len(encoded)} bytes exceeds the output limit",
            }
        ).encode()
    with os.fdopen(reply_fd, "wb") as out:
        out.write(encoded)


if __name__ == "__main__":
    main()
