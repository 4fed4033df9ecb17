"""``apiary check``: every installed integration checked, each problem
printed, a non-zero exit when there is any; warnings (schemas that are not
strictly Draft 7) printed as ``warn`` lines, never failing the check; and the
servers' refusal to start on a config that names what is not installed."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from .._exceptions import ConfigError, UsageError
from .._faces.encoding import to_json
from .._faces.outcomes import EXIT_ACTION_ERROR, EXIT_OK
from ._common import build_host, configure_logging

if TYPE_CHECKING:
    from .._host import Host


def register(commands: Any, common: argparse.ArgumentParser) -> None:
    check = commands.add_parser("check", parents=[common], help="validate every installed integration")
    check.add_argument("--json", action="store_true", help="print JSON")
    check.set_defaults(handler=run_check)


def run_check(args: argparse.Namespace) -> int:
    host = build_host(args)
    configure_logging(host)
    reports = host.check()
    if args.json:
        rows = [{"id": r.id, "source": r.source, "ok": r.ok, "problems": r.problems, "warnings": r.warnings}
                for r in reports]
        print(to_json(rows, pretty=sys.stdout.isatty()))
    else:
        for report in reports:
            print(f"{'ok  ' if report.ok else 'FAIL'} {report.id}")
            for problem in report.problems:
                print(f"     - {problem}")
            for warning in report.warnings:
                print(f"     warn {warning}")
        from .._loading.config_checks import CONFIG_REPORT

        integrations = [report for report in reports if report.id != CONFIG_REPORT]
        bad = sum(not report.ok for report in integrations)
        warned = sum(len(report.warnings) for report in reports)
        warnings = f", {warned} warnings" if warned else ""
        print(f"{len(integrations)} integrations checked, {bad} with problems{warnings}")
    return EXIT_OK if all(report.ok for report in reports) else EXIT_ACTION_ERROR


def refuse_unsound_config(host: Host, include: Sequence[str] = (), exclude: Sequence[str] = ()) -> None:
    """A usage error naming every config mistake against what is installed
    (``include``/``exclude``: ``apiary mcp``'s flags), before a server starts."""
    from .._loading.config_checks import require_sound_config

    try:
        require_sound_config(host.config, host.registry, include, exclude)
    except ConfigError as error:
        raise UsageError(str(error)) from None
