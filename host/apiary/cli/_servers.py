"""``apiary serve`` and ``apiary mcp``: the network faces, started from the
command line. Each runs until stopped; a refusal to start (no token on a
public address) is a usage error."""

from __future__ import annotations

import argparse
import sys
from typing import Any

from .._exceptions import AccessError, UsageError
from .._faces.encoding import to_json
from .._faces.outcomes import EXIT_OK
from ._check import refuse_unsound_config
from ._common import build_host, configure_logging


def register(commands: Any, common: argparse.ArgumentParser) -> None:
    serve = commands.add_parser(
        "serve",
        parents=[common],
        help="serve every installed action over HTTP",
        description="Serve every installed action over HTTP (OpenAPI at /openapi.json). Without a token "
        "(APIARY_TOKEN or serve.token) it listens on 127.0.0.1 only.",
    )
    serve.add_argument("--host", help="address to listen on (default from config: 127.0.0.1)")
    serve.add_argument("--port", type=int, help="port to listen on (default from config: 8080)")
    serve.set_defaults(handler=run_serve)

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
        "--include",
        action="append",
        metavar="ID[.ACTION][,...]",
        help="expose only these integrations/actions (repeatable; replaces mcp.include of the config)",
    )
    mcp.add_argument(
        "--exclude",
        action="append",
        metavar="ID[.ACTION][,...]",
        help="leave these integrations/actions out (repeatable; replaces mcp.exclude of the config)",
    )
    mcp.set_defaults(handler=run_mcp)


def run_serve(args: argparse.Namespace) -> int:
    from ..web import serve

    host = build_host(args)
    configure_logging(host)
    refuse_unsound_config(host)
    try:
        serve(host.config, host=args.host, port=args.port)
    except AccessError as error:
        raise UsageError(str(error)) from None
    return EXIT_OK


def _entries(values: list[str] | None) -> list[str]:
    """``--include a,b --include c`` as ``[a, b, c]``."""
    return [entry.strip() for value in values or [] for entry in value.split(",") if entry.strip()]


def run_mcp(args: argparse.Namespace) -> int:
    from .._faces.process import run
    from ..mcp import select_tools, selection, serve, tools_table

    host = build_host(args)
    configure_logging(host)  # stderr: on stdio, stdout carries protocol messages only
    include, exclude = selection(host.config, _entries(args.include), _entries(args.exclude))
    refuse_unsound_config(host, _entries(args.include), _entries(args.exclude))
    if args.list:
        if host.config.eager:
            host.load_all()
        tools = select_tools(host, include, exclude)
        if args.json:
            rows = [
                {"name": t.name, "integration": t.integration, "action": t.action, "description": t.description}
                for t in tools
            ]
            print(to_json(rows, pretty=sys.stdout.isatty()))
        else:
            print(tools_table(tools))
        return EXIT_OK
    try:
        run(serve(host, include, exclude, http=args.http, bind=args.host, port=args.port))
    except AccessError as error:
        raise UsageError(str(error)) from None
    return EXIT_OK
