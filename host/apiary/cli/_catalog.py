"""``apiary list`` and ``apiary show``: what is installed, from config.json
files alone (nothing imported unless ``--eager``, which imports each first
in a child process, so that one killing its interpreter is listed broken)."""

from __future__ import annotations

import argparse
import sys
from typing import Any

from .._faces.encoding import to_json
from .._faces.outcomes import EXIT_HOST_ERROR, EXIT_OK
from ._common import build_host, configure_logging
from ._render import integration_page, integrations_table


def register(commands: Any, common: argparse.ArgumentParser) -> None:
    listing = commands.add_parser("list", parents=[common], help="every installed integration and action")
    listing.add_argument("--json", action="store_true", help="print JSON instead of a table")
    listing.add_argument("--eager", action="store_true", help="import every integration to report load failures")
    listing.set_defaults(handler=run_list)

    show = commands.add_parser("show", parents=[common], help="one integration: actions, schemas, triggers, auth")
    show.add_argument("integration", metavar="ID", help="the integration's id (see 'apiary list')")
    show.add_argument("--json", action="store_true", help="print JSON")
    show.add_argument(
        "--eager", action="store_true", help="import it first, to report load failures and unavailable actions"
    )
    show.set_defaults(handler=run_show)


def run_list(args: argparse.Namespace) -> int:
    host = build_host(args)
    if args.eager:
        configure_logging(host)  # stderr: stdout is the listing
        host.load_all()  # each first in a child process: a killer is listed broken
    items = host.list()
    print(to_json(items, pretty=sys.stdout.isatty()) if args.json else integrations_table(items))
    return EXIT_OK


def run_show(args: argparse.Namespace) -> int:
    host = build_host(args)
    if args.eager:
        configure_logging(host)  # stderr: stdout is the page
        host.load_all(only=[args.integration])  # in a child process first, as list --eager
    item = host.describe(args.integration)
    if item is None:
        why = (
            "is disabled in the host config"
            if not host.config.settings_for(args.integration).enabled
            else "is not installed (see 'apiary list')"
        )
        print(f"apiary: integration {args.integration!r} {why}", file=sys.stderr)
        return EXIT_HOST_ERROR
    print(to_json(item, pretty=sys.stdout.isatty()) if args.json else integration_page(item))
    return EXIT_OK
