"""The commands of ``agentrt``: each reads its arguments, calls the client and prints."""

from __future__ import annotations

import argparse
import json
import secrets
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from agentrt.cluster.client import RunHandle
from agentrt.cluster.command_config import BUDGET_ARGUMENTS, PART_ARGUMENTS, budget_from_args, workflow_name
from agentrt.cluster.console import Console
from agentrt.cluster.demo import WEEKLY_SALES_FILES, WEEKLY_SALES_GOAL, check_figures, weekly_sales_dir
from agentrt.cluster.http import ApiKey, hash_api_key
from agentrt.cluster.progress import progress_for
from agentrt.cluster.trace import export_trace, write_trace
from agentrt.contracts import RunState, RunStatus

__all__ = ["COMMANDS", "EXIT_FAILED", "EXIT_OK", "EXIT_USAGE", "CommandSpec"]

EXIT_OK = 0
EXIT_FAILED = 1
EXIT_USAGE = 2

Handler = Callable[[argparse.Namespace, Console], int]
Arguments = tuple[tuple[tuple[str, ...], dict[str, Any]], ...]


@dataclass(frozen=True)
class CommandSpec:
    """A subcommand: its name, help, arguments and handler."""

    name: str
    help: str
    handler: Handler
    arguments: tuple[tuple[tuple[str, ...], dict[str, Any]], ...] = ()


def _follow(handle: RunHandle, args: argparse.Namespace, console: Console) -> RunState:
    """Show the run's progress until it ends (nothing with --json) and return its final state."""
    if not args.json:
        print(f"Run {handle.run_id} submitted; following it (Ctrl-C stops following, the run goes on)",
              file=console.err, flush=True)
        view = progress_for(console.out, handle.run_id)
        for event in handle.events():
            view.show(event)
        view.close()
    return handle.result()  # returns at once now, or waits (with --json)


def _finish(state: RunState, args: argparse.Namespace, console: Console) -> int:
    if args.json:
        print(state.model_dump_json(indent=2), file=console.out)
        return EXIT_OK if state.status == RunStatus.DONE else EXIT_FAILED
    cost = state.cost
    print(f"\n{state.output}\n", file=console.out)
    print(f"Run {state.run_id} {state.status.value}: {'verified by QA' if state.verified else 'not verified'}, "
          f"{len(state.results)} step results, {cost.tokens} tokens, ${cost.usd:.4f}", file=console.out)
    print(f"Trace: agentrt trace {state.run_id}  (to a file: agentrt trace {state.run_id} "
          f"--export {state.run_id}.jsonl)", file=console.out)
    return EXIT_OK


def _run_cmd(args: argparse.Namespace, console: Console) -> int:
    workflow, budget = workflow_name(args), budget_from_args(args)  # bad flags fail before connecting
    client = console.connect(args)
    handle = client.submit(args.goal, data=args.data, workflow=workflow, budget=budget)
    if args.detach:
        print(handle.run_id, file=console.out)
        return EXIT_OK
    return _finish(_follow(handle, args, console), args, console)


def _describe_state(state: RunState) -> list[str]:
    lines = [f"run {state.run_id}  {state.status.value}  tenant {state.goal.tenant}  goal: {state.goal.text[:120]}"]
    for step in state.plan.steps if state.plan else ():
        lines.append(f"  {step.id:<10} {step.role:<12} {step.status.value}")
    lines += [f"  approval {r.id}: {r.tool} ({r.reason}) -> agentrt approve {r.id}" for r in state.pending_approvals]
    if state.pending_question is not None:
        q = state.pending_question
        lines.append(f"  question {q.id}: {q.question} -> agentrt answer {state.run_id} {q.id} \"...\"")
    if state.error:
        lines.append(f"  error: {state.error}")
    if state.status == RunStatus.DONE:
        lines += ["", state.output]
    return lines


def _status_cmd(args: argparse.Namespace, console: Console) -> int:
    state = console.connect(args).run(args.run).status()
    text = state.model_dump_json(indent=2) if args.json else "\n".join(_describe_state(state))
    print(text, file=console.out)
    return EXIT_OK


def _runs_cmd(args: argparse.Namespace, console: Console) -> int:
    runs = console.connect(args).runs()
    if args.json:
        print(json.dumps([r.model_dump(mode="json") for r in runs], indent=2), file=console.out)
        return EXIT_OK
    for r in runs:
        print(f"{r.run_id:<24} {r.status.value:<17} {r.updated_at:%Y-%m-%d %H:%M:%S}  {r.goal[:70]}", file=console.out)
    if not runs:
        print("no runs yet: agentrt run \"your goal\"", file=console.out)
    return EXIT_OK


def _approve_cmd(args: argparse.Namespace, console: Console) -> int:
    client = console.connect(args)
    summary = client.reject(args.id, args.reason) if args.reject else client.approve(args.id, args.reason)
    verb = "Rejected" if args.reject else "Approved"
    print(f"{verb} {args.id}; run {summary.run_id} is {summary.status.value}", file=console.out)
    return EXIT_OK


def _answer_cmd(args: argparse.Namespace, console: Console) -> int:
    summary = console.connect(args).answer(args.run, args.id, args.text)
    print(f"Answered {args.id}; run {summary.run_id} is {summary.status.value}", file=console.out)
    return EXIT_OK


def _scale_cmd(args: argparse.Namespace, console: Console) -> int:
    args.operator = True  # pools are shared by every tenant: scaling is the operator's
    ack = console.connect(args).scale(args.role, args.replicas)
    print(ack.detail, file=console.out)
    return EXIT_OK


def _cancel_cmd(args: argparse.Namespace, console: Console) -> int:
    summary = console.connect(args).run(args.run).cancel(args.reason)
    print(f"Run {summary.run_id} is {summary.status.value}", file=console.out)
    return EXIT_OK


def _trace_cmd(args: argparse.Namespace, console: Console) -> int:
    events = console.connect(args).run(args.run).trace()
    if args.export is None:
        write_trace(events, console.out)
        return EXIT_OK
    count = export_trace(events, args.export)
    print(f"Wrote {count} events of {args.run} to {args.export}", file=console.err)
    return EXIT_OK


def _serve_cmd(args: argparse.Namespace, console: Console) -> int:
    from agentrt.cluster.serving import serve_forever  # noqa: PLC0415  (Ray Serve loads only to serve)

    return serve_forever(args, console.out)


def _start_cmd(args: argparse.Namespace, console: Console) -> int:
    from agentrt.cluster.lifecycle import start_background  # noqa: PLC0415  (imports Ray)

    return start_background(args, console.out, console.err)


def _stop_cmd(args: argparse.Namespace, console: Console) -> int:
    from agentrt.cluster.lifecycle import stop_served  # noqa: PLC0415  (imports Ray)

    return stop_served(args, console.out, console.err)


def _apikey_cmd(args: argparse.Namespace, console: Console) -> int:
    key = secrets.token_urlsafe(32)
    entry = ApiKey(tenant=args.tenant or "default", user=args.user or "api", sha256=hash_api_key(key))
    print(f"API key (shown once; give it to the caller): {key}", file=console.err)
    print(entry.model_dump_json(), file=console.out)
    return EXIT_OK


def _demo_cmd(args: argparse.Namespace, console: Console) -> int:
    folder = weekly_sales_dir(args.examples)
    handle = console.connect(args).submit(WEEKLY_SALES_GOAL, data=[folder / name for name in WEEKLY_SALES_FILES])
    state = _follow(handle, args, console)
    code = _finish(state, args, console)
    check = check_figures(state.output, folder / "sales.csv")
    if not args.json:
        print(check.line(), file=console.out)
    if not state.verified:
        print("agentrt: the result was not verified by QA", file=console.err)
        return EXIT_FAILED
    return code


Spec = tuple[str, str, Handler, Arguments]

_RUN: Spec = ("run", "submit a goal, follow its progress and print the result", _run_cmd, (
    (("goal",), {"help": "what to achieve, in words"}),
    (("--data",), {"action": "append", "default": [], "metavar": "FILE", "help": "attach a file (repeatable)"}),
    (("--workflow",), {"metavar": "NAME|FILE",
                       "help": "workflow to follow: the name of a configured one, or a workflow file to load"}),
    (("--detach",), {"action": "store_true", "help": "print the run id and return at once"}),
    *PART_ARGUMENTS,
    *BUDGET_ARGUMENTS,
))
_SERVING: Arguments = (
    (("--http",), {"action": "store_true", "help": "also start the HTTP API on Ray Serve"}),
    (("--host",), {"default": "127.0.0.1", "help": "HTTP API host (default 127.0.0.1)"}),
    (("--port",), {"type": int, "default": 8000, "help": "HTTP API port (default 8000)"}),
    (("--api-keys",), {"metavar": "FILE", "help": "JSON file of hashed API keys (default: AGENTRT_API_KEYS)"}),
    (("--workflow",), {"action": "append", "default": [], "type": Path, "metavar": "FILE",
                       "help": "workflow file to load (repeatable)"}),
    *PART_ARGUMENTS,
)
_SERVE: Spec = ("serve", "keep the runtime up (detached actors) until Ctrl-C; every command joins it", _serve_cmd,
          _SERVING)
_START: Spec = ("start", "start `agentrt serve` in the background and return once it is up", _start_cmd, _SERVING)

_SPECS: tuple[Spec, ...] = (
    _RUN,
    ("status", "show a run's state", _status_cmd, ((("run",), {"help": "run id"}),)),
    ("runs", "list the tenant's runs, newest first", _runs_cmd, ()),
    ("approve", "approve (or reject) a held action", _approve_cmd, (
        (("id",), {"help": "approval request id"}),
        (("--reject",), {"action": "store_true", "help": "reject instead of approving"}),
        (("--reason",), {"default": "", "help": "why"}),
    )),
    ("answer", "answer a run's clarifying question", _answer_cmd, (
        (("run",), {"help": "run id"}), (("id",), {"help": "question id"}), (("text",), {"help": "the answer"}),
    )),
    ("scale", "set the replicas of a specialist role", _scale_cmd, (
        (("role",), {"help": "role name (researcher, analyst, writer, qa, ...)"}),
        (("replicas",), {"type": int, "help": "number of replicas"}),
    )),
    ("cancel", "cancel a run", _cancel_cmd, ((("run",), {"help": "run id"}), (("--reason",), {"default": ""}))),
    ("trace", "print a run's trace as JSON lines, or export it to a file", _trace_cmd, (
        (("run",), {"help": "run id"}),
        (("--export",), {"type": Path, "metavar": "FILE", "help": "write the trace to FILE (JSON lines)"}),
    )),
    _SERVE,
    _START,
    ("stop", "stop the runtime `agentrt start` (or serve) keeps up: its actors and its process", _stop_cmd, ()),
    ("apikey", "make an HTTP API key for --tenant/--user: prints the key once, and its entry for the keys file",
     _apikey_cmd, ()),
    ("demo", "run the weekly sales example end to end and print the verified result", _demo_cmd, (
        (("--examples",), {"type": Path, "metavar": "DIR", "help": "folder of the weekly sales example"}),
        *PART_ARGUMENTS,
    )),
)

COMMANDS: tuple[CommandSpec, ...] = tuple(CommandSpec(*spec) for spec in _SPECS)
