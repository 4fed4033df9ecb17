"""``apiary check``: every installed integration checked, each problem
printed, a non-zero exit when there is any; warnings (schemas that are not
strictly Draft 7) printed as ``warn`` lines, never failing the check."""

from __future__ import annotations

import argparse
import sys
from typing import Any

from .._faces.encoding import to_json
from .._faces.outcomes import EXIT_ACTION_ERROR, EXIT_OK
from ._common import build_host, configure_logging


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
        bad = sum(not report.ok for report in reports)
        warned = sum(len(report.warnings) for report in reports)
        print(f"{len(reports)} integrations checked, {bad} with problems" + (f", {warned} warnings" if warned else ""))
    return EXIT_OK if all(report.ok for report in reports) else EXIT_ACTION_ERROR
