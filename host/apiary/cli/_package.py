"""``apiary package DIR``: a folder integration as an sdist and a wheel."""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

from .._exceptions import PackagingError, UsageError
from .._faces.outcomes import EXIT_OK
from ._exits import command_exit_codes


def register(commands: Any, common: argparse.ArgumentParser) -> None:
    package = commands.add_parser(
        "package",
        help="build an sdist and a wheel of a folder integration",
        description="Build a pip-installable sdist and wheel (apiary-integration-ID) of a folder integration: "
        "its files untouched, an apiary.integrations entry point, requirements.txt as dependencies. "
        f"Exit codes: {command_exit_codes('package')}, 2 bad input.",
    )
    package.add_argument("folder", metavar="DIR", help="the folder holding config.json and the entry point")
    package.add_argument("--out", metavar="DIST_DIR", default="dist", help="where to write them (default ./dist)")
    package.set_defaults(handler=run_package)


def run_package(args: argparse.Namespace) -> int:
    import shlex

    from .._loading.packaging import package_folder

    try:
        built = package_folder(Path(args.folder), Path(args.out))
    except PackagingError as error:
        raise UsageError(str(error)) from None
    for path in built:
        print(path)
    wheel = next(path for path in built if path.suffix == ".whl")
    print(f"pip install {shlex.quote(str(wheel))}")
    return EXIT_OK
