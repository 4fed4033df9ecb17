"""The ``apiary`` command line: a thin face over ``Host``.

One module per group of commands, each adding its own subcommands:
``_catalog`` (list, show), ``_calls`` (call, account), ``_check``,
``_servers`` (serve, mcp), ``_package``, ``_deps``. Every command's exit
codes are in one table, ``_exits`` (``call`` and ``account`` take theirs
from the faces' outcome table, ``apiary._faces.outcomes``), which ends
``apiary --help``; 2 is a usage error for every command (bad flags,
unreadable JSON, an invalid host config, an environment whose SDK is not
Apiary's: ``_environment``, checked before every command).

Run as the console script (``main()`` without arguments: the process's own
command line), the process ends within ``EXIT_WAIT`` (0.5 s) of the command
being done, with its exit status, even if an integration left threads
running (see ``apiary._faces.process``).
"""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Sequence
from typing import Any

from .._faces.process import EXIT_BROKEN_PIPE, EXIT_INTERRUPTED, EXIT_WAIT, leave_within
from .._version import __version__
from ._environment import EXIT_FOREIGN_SDK, sdk_problem

__all__ = ["main"]


class _Parser(argparse.ArgumentParser):
    """argparse's parser, except that a closed stdout under ``--help`` or
    ``--version`` raises (argparse ignores it), so that ``main`` ends the
    command as any other whose output cannot be written."""

    def _print_message(self, message: str, file: Any = None) -> None:
        if message:
            try:
                (file or sys.stderr).write(message)
            except BrokenPipeError:
                raise
            except (AttributeError, OSError):  # as argparse: e.g. no stderr at all
                pass


def _parser() -> argparse.ArgumentParser:
    # Imported here, after the SDK check: the commands import the SDK.
    from . import _calls, _catalog, _check, _deps, _package, _servers
    from ._common import common_options
    from ._exits import exit_codes_text

    # In the order ``apiary --help`` lists them.
    groups = (_catalog, _calls, _servers, _package, _deps, _check)
    parser = _Parser(
        prog="apiary",
        description="Run many API integrations in one process.",
        epilog=f"Run 'apiary COMMAND --help' for a command's options.\n\n{exit_codes_text()}",
        formatter_class=argparse.RawDescriptionHelpFormatter,  # the table as it is
    )
    parser.add_argument("--version", action="version", version=f"apiary {__version__}")
    commands = parser.add_subparsers(dest="command", metavar="COMMAND", required=True, help="one of:")
    common = common_options()
    for module in groups:
        module.register(commands, common)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the ``apiary`` console script; with ``argv`` (a caller
    in the same process) the process is left alone when the command is done.

    A closed stdout (``apiary list | head``) ends any command quietly with
    ``EXIT_BROKEN_PIPE``, also when only the final flush finds it closed."""
    code: int = 1  # what Python exits with when an exception escapes
    try:
        code = _command(argv)
    except SystemExit as done:  # argparse's --help and --version, a usage error
        code = done.code if isinstance(done.code, int) else 0 if done.code is None else 1
        if _stdout_flushed():
            raise
        code = _stdout_closed()
    except BrokenPipeError:
        code = _stdout_closed()
    except KeyboardInterrupt:
        code = EXIT_INTERRUPTED
    else:
        if not _stdout_flushed():
            code = _stdout_closed()
    finally:
        if argv is None:  # the process's own command: its end is near
            leave_within(EXIT_WAIT, code)
    return code


def _command(argv: Sequence[str] | None) -> int:
    problem = sdk_problem()
    if problem is not None:
        sys.stderr.write(f"apiary: error: {problem}\n")
        return EXIT_FOREIGN_SDK
    # Imported once the SDK is known to be ours: the outcome table reads it.
    from .._exceptions import UsageError
    from .._faces.outcomes import EXIT_USAGE

    parser = _parser()
    args = parser.parse_args(argv)
    try:
        code: int = args.handler(args)
    except UsageError as error:
        parser.exit(EXIT_USAGE, f"apiary: error: {error}\n")
    return code


def _stdout_flushed() -> bool:
    """Flush stdout now (not in the interpreter's final flush, where a
    closed pipe is an ``Exception ignored`` message and exit 120)."""
    try:
        sys.stdout.flush()
    except BrokenPipeError:
        return False
    return True


def _stdout_closed() -> int:
    """The reader of stdout is gone: what is left to write goes to devnull
    (Python docs, "Note on SIGPIPE"), and the command ends with
    ``EXIT_BROKEN_PIPE``, as a shell reports a tool that SIGPIPE ended."""
    try:
        fileno = sys.stdout.fileno()
    except (OSError, ValueError):  # not a file (a caller's StringIO): nothing to redirect
        return EXIT_BROKEN_PIPE
    devnull = os.open(os.devnull, os.O_WRONLY)
    try:
        os.dup2(devnull, fileno)
    finally:
        os.close(devnull)
    return EXIT_BROKEN_PIPE
