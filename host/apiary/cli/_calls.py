"""``apiary call`` and ``apiary account``: one call through the host, its
result as JSON on stdout, its outcome as the exit code (see
``apiary._faces.outcomes``)."""

from __future__ import annotations

import argparse
import sys
from typing import TYPE_CHECKING, Any

from .._faces.encoding import to_json
from .._faces.messages import validation_lines, with_errors
from .._faces.outcomes import exit_code_table, outcome_for
from ._common import build_host, configure_logging, json_argument

if TYPE_CHECKING:
    from autohive_integrations_sdk import IntegrationResult

    from .._host import Host


def register(commands: Any, common: argparse.ArgumentParser) -> None:
    # What a call takes besides its inputs (call and account share it).
    calling = argparse.ArgumentParser(add_help=False)
    calling.add_argument("integration", metavar="ID", help="the integration's id (see 'apiary list')")
    calling.add_argument(
        "--auth",
        metavar="JSON|@FILE|@-",
        help="credentials to use instead of the configured ones: inline JSON, @FILE, or @- to read stdin",
    )
    calling.add_argument(
        "--retries",
        type=_retries,
        metavar="N",
        help="retries of each upstream request that fails to connect or times out (overrides max_retries)",
    )
    calling.add_argument("--account", metavar="NAME", help="a named account from the host config")
    calling.add_argument("--timeout", type=_seconds, metavar="SECONDS", help="override the call timeout")

    call = commands.add_parser(
        "call",
        parents=[common, calling],
        help="run one action and print its result as JSON",
        description="Run one action and print its result as JSON (logs on stderr). "
        f"Exit codes: {exit_code_table()}.",
    )
    call.add_argument("action", metavar="ACTION", help="the action's name (see 'apiary show ID')")
    call.add_argument(
        "--input",
        metavar="JSON|@FILE|@-",
        default="{}",
        help="the action's inputs: inline JSON, @FILE to read a file, or @- to read stdin, "
        "e.g. echo '{\"q\": 1}' | apiary call ID ACTION --input @- (default {})",
    )
    call.set_defaults(handler=run_call)

    account = commands.add_parser(
        "account",
        parents=[common, calling],
        help="whose account the credentials belong to",
        description="Print whose account the credentials belong to, as JSON (the integration's "
        f"connected-account handler). Exit codes: {exit_code_table()}.",
    )
    account.set_defaults(handler=run_call)


def _retries(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        value = -1
    if value < 0:
        raise argparse.ArgumentTypeError(f"expected a whole number, 0 or more, got {text!r}")
    return value


def _seconds(value: str) -> float:
    """``--timeout``: a positive, finite number of seconds (argparse names the flag)."""
    try:
        seconds = float(value)
    except ValueError:
        seconds = 0.0
    if not 0 < seconds < float("inf"):
        raise argparse.ArgumentTypeError(f"expected a positive number of seconds, got {value!r}")
    return seconds


async def _call(host: Host, args: argparse.Namespace) -> IntegrationResult:
    inputs = json_argument(args.input, "--input") if args.command == "call" else None
    auth = json_argument(args.auth, "--auth")
    async with host:
        if args.command == "call":
            return await host.call(
                args.integration,
                args.action,
                inputs or {},
                auth=auth,
                account=args.account,
                timeout=args.timeout,
                retries=args.retries,
            )
        return await host.connected_account(
            args.integration, auth=auth, account=args.account, timeout=args.timeout, retries=args.retries
        )


def run_call(args: argparse.Namespace) -> int:
    from .._calls.results import result_to_dict
    from .._faces.process import run

    host = build_host(args)
    configure_logging(host)
    document = with_errors(result_to_dict(run(_call(host, args))))  # not waiting for a handler's executor jobs
    print(to_json(document, pretty=sys.stdout.isatty()))
    if document["type"] == "validation_error":
        for line in validation_lines(document["result"]):
            print(f"apiary: invalid {_side(document['result'])}: {line}", file=sys.stderr)
    return outcome_for(document).exit_code


def _side(result: Any) -> str:
    return "output" if isinstance(result, dict) and result.get("source") == "output" else "input"
