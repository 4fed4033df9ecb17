"""``apiary deps FOLDER...``: folder integrations' requirements installed into
this environment with pip, the reference SDK's requirement met by ours."""

from __future__ import annotations

import argparse
import shlex
import subprocess
import sys
from pathlib import Path
from typing import Any

from .._exceptions import PackagingError, UsageError
from .._faces.outcomes import EXIT_ACTION_ERROR, EXIT_OK
from ._exits import command_exit_codes


def register(commands: Any, common: argparse.ArgumentParser) -> None:
    deps = commands.add_parser(
        "deps",
        help="install folder integrations' requirements.txt, keeping Apiary's SDK",
        description="Install the requirements.txt of each FOLDER into this environment with pip "
        "(its progress shown). autohive-integrations-sdk is met by Apiary's own SDK (apiary-sdk), so the "
        "reference SDK is never installed over it; a line pip would read as an option, a URL or a path is "
        "refused with its file and line. "
        f"Exit codes: {command_exit_codes('deps')}, 2 bad input.",
    )
    deps.add_argument("folders", metavar="FOLDER", nargs="+", type=Path, help="a folder integration's directory")
    deps.add_argument("--dry-run", action="store_true", help="print the pip command instead of running it")
    deps.set_defaults(handler=run_deps)


def run_deps(args: argparse.Namespace) -> int:
    from .._loading.dependencies import plan_dependencies

    try:
        plan = plan_dependencies(args.folders)
    except PackagingError as error:
        raise UsageError(str(error)) from None
    for folder in plan.without_requirements:
        print(f"apiary: {folder} has no requirements.txt", file=sys.stderr)
    if not plan.requirements:
        print("apiary: nothing to install", file=sys.stderr)
        return EXIT_OK
    command = plan.pip_command(sys.executable)
    if args.dry_run:
        print(shlex.join(command))
        return EXIT_OK
    print(f"apiary: {shlex.join(command)}", file=sys.stderr, flush=True)
    done = subprocess.run(command, check=False)
    if done.returncode != 0:
        print(f"apiary: error: pip failed (exit {done.returncode}); nothing else was changed", file=sys.stderr)
        return EXIT_ACTION_ERROR
    return EXIT_OK
