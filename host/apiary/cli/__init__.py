"""The ``apiary`` command line: a thin face over ``Host``.

One module per group of commands, each adding its own subcommands:
``_catalog`` (list, show), ``_calls`` (call, account), ``_check``,
``_servers`` (serve, mcp), ``_package``, ``_deps``. Exit codes of ``call`` and
``account`` come from the faces' shared outcome table
(``apiary._faces.outcomes``): 0 for a result, 1 for an action error the
integration returned, 3 for a validation error (inputs, auth or output), 4
for a host error (unknown integration or action, broken integration,
credentials, upstream failure, handler exception, timeout). 2 is a usage
error: bad flags, unreadable JSON, an invalid host config, an environment
whose SDK is not Apiary's (``_environment``: checked before every command).

Run as the console script (``main()`` without arguments: the process's own
command line), the process ends within ``EXIT_WAIT`` (0.5 s) of the command
being done, with its exit status, even if an integration left threads
running (see ``apiary._faces.process``).
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence

from .._faces.process import EXIT_WAIT, leave_within
from .._version import __version__
from ._environment import EXIT_FOREIGN_SDK, sdk_problem

__all__ = ["main"]


def _parser() -> argparse.ArgumentParser:
    # Imported here, after the SDK check: the commands import the SDK.
    from . import _calls, _catalog, _check, _deps, _package, _servers
    from ._common import common_options

    # In the order ``apiary --help`` lists them.
    groups = (_catalog, _calls, _servers, _package, _deps, _check)
    parser = argparse.ArgumentParser(
        prog="apiary",
        description="Run many API integrations in one process.",
        epilog="Run 'apiary COMMAND --help' for a command's options.",
    )
    parser.add_argument("--version", action="version", version=f"apiary {__version__}")
    commands = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)
    common = common_options()
    for module in groups:
        module.register(commands, common)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the ``apiary`` console script; with ``argv`` (a caller
    in the same process) the process is left alone when the command is done."""
    problem = sdk_problem()
    if problem is not None:
        sys.stderr.write(f"apiary: error: {problem}\n")
        return EXIT_FOREIGN_SDK
    # Imported once the SDK is known to be ours: the outcome table reads it.
    from .._exceptions import UsageError
    from .._faces.outcomes import EXIT_OK, EXIT_USAGE

    parser = _parser()
    args = parser.parse_args(argv)
    code: int = 1  # what Python exits with when an exception escapes
    try:
        code = args.handler(args)
        return code
    except UsageError as error:
        code = EXIT_USAGE
        parser.exit(EXIT_USAGE, f"apiary: error: {error}\n")
    except KeyboardInterrupt:
        code = 130
        return code
    finally:
        if argv is None:  # the process's own command: its end is near
            leave_within(EXIT_WAIT, code)
    return EXIT_OK
