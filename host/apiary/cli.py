"""The ``apiary`` command line: a thin face over ``Host``.

Exit codes of ``call`` and ``account``: 0 for a result, 1 for an action
error the integration returned, 3 for a validation error (inputs, auth or
output), 4 for a host error (unknown integration or action, broken
integration, credentials, upstream failure, handler exception, timeout).
2 is a usage error: bad flags, unreadable JSON, an invalid host config.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any, Dict, List, Optional, Sequence

from ._version import __version__

EXIT_OK, EXIT_ACTION_ERROR, EXIT_USAGE, EXIT_VALIDATION_ERROR, EXIT_HOST_ERROR = 0, 1, 2, 3, 4
_EXIT_BY_TYPE = {
    "action": EXIT_OK,
    "connected_account": EXIT_OK,
    "action_error": EXIT_ACTION_ERROR,
    "validation_error": EXIT_VALIDATION_ERROR,
    "error": EXIT_HOST_ERROR,
}


class UsageError(Exception):
    """Bad command-line input; printed as ``apiary: error: ...`` with exit 2."""


def _json_argument(value: Optional[str], option: str) -> Optional[Dict[str, Any]]:
    """Decode ``--input``/``--auth``: inline JSON, ``@file`` or ``@-`` (stdin)."""
    if value is None:
        return None
    if value.startswith("@"):
        try:
            value = sys.stdin.read() if value == "@-" else Path(value[1:]).read_text(encoding="utf-8")
        except OSError as error:
            raise UsageError(f"{option}: cannot read {value[1:]}: {error.strerror or error}") from None
    try:
        data = json.loads(value)
    except json.JSONDecodeError as error:
        raise UsageError(f"{option}: not valid JSON: {error}") from None
    if not isinstance(data, dict):
        raise UsageError(f"{option}: expected a JSON object, got {type(data).__name__}")
    return data


def _host(args: argparse.Namespace) -> Any:
    from .config import ConfigError, load_config
    from .host import Host

    try:
        config = load_config(args.config)
    except ConfigError as error:
        raise UsageError(str(error)) from None
    if getattr(args, "eager", False):
        config = config._replace(eager=True)
    overrides = {key: value for key, value in (("format", args.log_format), ("level", args.log_level)) if value}
    if overrides:
        config = config._replace(logging=config.logging._replace(**overrides))
    return Host(config)


def _configure_logging(host: Any) -> None:
    from . import logs

    logs.configure(host.config.logging)


# ---- commands ----------------------------------------------------------


def cmd_list(args: argparse.Namespace) -> int:
    from ._render import integrations_table, to_json

    host = _host(args)
    if args.eager:
        host.registry.load_all()
    items = host.list()
    print(to_json(items) if args.json else integrations_table(items))
    return EXIT_OK


def cmd_show(args: argparse.Namespace) -> int:
    from ._render import integration_page, to_json

    host = _host(args)
    item = host.describe(args.integration)
    if item is None:
        why = "is disabled in the host config" if not host.config.settings_for(args.integration).enabled else (
            "is not installed (see 'apiary list')"
        )
        print(f"apiary: integration {args.integration!r} {why}", file=sys.stderr)
        return EXIT_HOST_ERROR
    print(to_json(item) if args.json else integration_page(item))
    return EXIT_OK


async def _run_call(host: Any, args: argparse.Namespace) -> Any:
    inputs = _json_argument(args.input, "--input") if args.command == "call" else None
    auth = _json_argument(args.auth, "--auth")
    async with host:
        if args.command == "call":
            return await host.call(
                args.integration, args.action, inputs or {}, auth=auth, account=args.account, timeout=args.timeout
            )
        return await host.connected_account(args.integration, auth=auth, account=args.account, timeout=args.timeout)


def cmd_call(args: argparse.Namespace) -> int:
    import asyncio

    from ._render import to_json
    from .results import result_to_dict

    host = _host(args)
    _configure_logging(host)
    result = asyncio.run(_run_call(host, args))
    print(to_json(result_to_dict(result)))
    return _EXIT_BY_TYPE.get(result.type.value, EXIT_HOST_ERROR)


def cmd_check(args: argparse.Namespace) -> int:
    from ._render import to_json
    from .checks import check_all

    host = _host(args)
    _configure_logging(host)
    reports = check_all(host.registry)
    if args.json:
        print(to_json([{"id": r.id, "source": r.source, "ok": r.ok, "problems": r.problems} for r in reports]))
    else:
        for report in reports:
            print(f"{'ok  ' if report.ok else 'FAIL'} {report.id}")
            for problem in report.problems:
                print(f"     - {problem}")
        bad = sum(not report.ok for report in reports)
        print(f"{len(reports)} integrations checked, {bad} with problems")
    return EXIT_OK if all(report.ok for report in reports) else EXIT_ACTION_ERROR


def cmd_serve(args: argparse.Namespace) -> int:
    from .web import ServeError, serve

    host = _host(args)
    _configure_logging(host)
    try:
        serve(host.config, host=args.host, port=args.port)
    except ServeError as error:
        raise UsageError(str(error)) from None
    return EXIT_OK


def _entries(values: Optional[List[str]]) -> List[str]:
    """``--include a,b --include c`` as ``[a, b, c]``."""
    return [entry.strip() for value in values or [] for entry in value.split(",") if entry.strip()]


def cmd_mcp(args: argparse.Namespace) -> int:
    import asyncio

    from .mcp import McpError, select_tools, selection, serve, tools_table

    host = _host(args)
    _configure_logging(host)  # stderr: on stdio, stdout carries protocol messages only
    include, exclude = selection(host.config, _entries(args.include), _entries(args.exclude))
    if args.list:
        from ._render import to_json

        if host.config.eager:
            host.registry.load_all()
        tools = select_tools(host, include, exclude)
        if args.json:
            print(to_json([
                {"name": t.name, "integration": t.integration, "action": t.action, "description": t.description}
                for t in tools
            ]))
        else:
            print(tools_table(tools))
        return EXIT_OK
    try:
        asyncio.run(serve(host, include, exclude, http=args.http, bind=args.host, port=args.port))
    except McpError as error:
        raise UsageError(str(error)) from None
    return EXIT_OK


def cmd_package(args: argparse.Namespace) -> int:
    import shlex

    from .packager import PackagingError, package_folder

    try:
        built = package_folder(Path(args.folder), Path(args.out))
    except PackagingError as error:
        raise UsageError(str(error)) from None
    for path in built:
        print(path)
    wheel = next(path for path in built if path.suffix == ".whl")
    print(f"pip install {shlex.quote(str(wheel))}")
    return EXIT_OK


# ---- parser ------------------------------------------------------------


def _parser() -> argparse.ArgumentParser:
    common = argparse.ArgumentParser(add_help=False)
    common.add_argument("--config", metavar="PATH", help="host config file (default: $APIARY_CONFIG, else the shipped defaults)")
    common.add_argument("--log-format", choices=["auto", "json", "console"], help="log rendering (default from config)")
    common.add_argument("--log-level", choices=["debug", "info", "warning", "error"], help="log level (default from config)")

    # What a call takes besides its inputs (call and account share it).
    calling = argparse.ArgumentParser(add_help=False)
    calling.add_argument("integration", metavar="ID")
    calling.add_argument("--auth", metavar="JSON|@FILE", help="credentials to use instead of the configured ones")
    calling.add_argument("--account", metavar="NAME", help="a named account from the host config")
    calling.add_argument("--timeout", type=float, metavar="SECONDS", help="override the call timeout")

    parser = argparse.ArgumentParser(
        prog="apiary",
        description="Run many API integrations in one process.",
        epilog="Run 'apiary COMMAND --help' for a command's options.",
    )
    parser.add_argument("--version", action="version", version=f"apiary {__version__}")
    commands = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)

    listing = commands.add_parser("list", parents=[common], help="every installed integration and action")
    listing.add_argument("--json", action="store_true", help="print JSON instead of a table")
    listing.add_argument("--eager", action="store_true", help="import every integration to report load failures")
    listing.set_defaults(handler=cmd_list)

    show = commands.add_parser("show", parents=[common], help="one integration: actions, schemas, triggers, auth")
    show.add_argument("integration", metavar="ID")
    show.add_argument("--json", action="store_true", help="print JSON")
    show.set_defaults(handler=cmd_show)

    call = commands.add_parser(
        "call",
        parents=[common, calling],
        help="run one action and print its result as JSON",
        description="Run one action and print its result as JSON. Exit codes: 0 result, 1 action error, "
        "2 usage error, 3 validation error, 4 host error.",
    )
    call.add_argument("action", metavar="ACTION")
    call.add_argument("--input", metavar="JSON|@FILE", default="{}", help="the action's inputs (default {})")
    call.set_defaults(handler=cmd_call)

    account = commands.add_parser(
        "account", parents=[common, calling], help="whose account the credentials belong to"
    )
    account.set_defaults(handler=cmd_call)

    serve = commands.add_parser(
        "serve",
        parents=[common],
        help="serve every installed action over HTTP",
        description="Serve every installed action over HTTP (OpenAPI at /openapi.json). Without a token "
        "(APIARY_TOKEN or serve.token) it listens on 127.0.0.1 only.",
    )
    serve.add_argument("--host", help="address to listen on (default from config: 127.0.0.1)")
    serve.add_argument("--port", type=int, help="port to listen on (default from config: 8080)")
    serve.set_defaults(handler=cmd_serve)

    mcp = commands.add_parser(
        "mcp",
        parents=[common],
        help="serve every installed action as an MCP tool (stdio, or streamable HTTP)",
        description="Serve every installed action as a Model Context Protocol tool named "
        "{integration}__{action}: over stdio by default (stdout carries protocol messages only, logs go "
        "to stderr), or over the streamable HTTP transport at http://HOST:PORT/mcp with --http.",
    )
    mcp.add_argument("--http", action="store_true", help="serve the streamable HTTP transport instead of stdio")
    mcp.add_argument("--host", default="127.0.0.1", help="with --http: address to listen on (default 127.0.0.1)")
    mcp.add_argument("--port", type=int, default=8000, help="with --http: port to listen on (default 8000)")
    mcp.add_argument("--list", action="store_true", help="print the tools that would be exposed, and exit")
    mcp.add_argument("--json", action="store_true", help="with --list: print JSON")
    mcp.add_argument(
        "--include", action="append", metavar="ID[.ACTION][,...]",
        help="expose only these integrations/actions (repeatable; replaces mcp.include of the config)",
    )
    mcp.add_argument(
        "--exclude", action="append", metavar="ID[.ACTION][,...]",
        help="leave these integrations/actions out (repeatable; replaces mcp.exclude of the config)",
    )
    mcp.set_defaults(handler=cmd_mcp)

    package = commands.add_parser(
        "package",
        help="build an sdist and a wheel of a folder integration",
        description="Build a pip-installable sdist and wheel (apiary-integration-ID) of a folder integration: "
        "its files untouched, an apiary.integrations entry point, requirements.txt as dependencies. "
        "Exit codes: 0 built, 2 bad input.",
    )
    package.add_argument("folder", metavar="DIR", help="the folder holding config.json and the entry point")
    package.add_argument("--out", metavar="DIST_DIR", default="dist", help="where to write them (default ./dist)")
    package.set_defaults(handler=cmd_package)

    check = commands.add_parser("check", parents=[common], help="validate every installed integration")
    check.add_argument("--json", action="store_true", help="print JSON")
    check.set_defaults(handler=cmd_check)
    return parser


def main(argv: Optional[Sequence[str]] = None) -> int:
    """Entry point of the ``apiary`` console script."""
    parser = _parser()
    args = parser.parse_args(argv)
    try:
        return args.handler(args)
    except UsageError as error:
        parser.exit(EXIT_USAGE, f"apiary: error: {error}\n")
    except KeyboardInterrupt:
        return 130
    return EXIT_OK
