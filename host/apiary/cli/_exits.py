"""Every ``apiary`` command's exit codes: the one table ``apiary --help``
ends with, each command's ``--help`` quotes and README.md holds a copy of
(a test keeps the copy equal). ``call`` and ``account`` take theirs from the
faces' outcome table (``apiary._faces.outcomes``)."""

from __future__ import annotations

from collections.abc import Mapping

from .._faces.outcomes import EXIT_ACTION_ERROR, EXIT_HOST_ERROR, EXIT_MEANINGS, EXIT_OK, EXIT_USAGE
from .._faces.process import EXIT_BROKEN_PIPE, EXIT_INTERRUPTED

__all__ = ["COMMAND_EXIT_CODES", "COMMON_EXIT_CODES", "command_exit_codes", "exit_codes_text"]

# What every command may exit with, besides its own.
COMMON_EXIT_CODES: Mapping[int, str] = {
    EXIT_USAGE: "usage error (bad flags or input, an invalid host config, a port it cannot listen on, a foreign SDK)",
    EXIT_INTERRUPTED: "interrupted (Ctrl-C)",
    EXIT_BROKEN_PIPE: "stdout closed early (e.g. | head)",
}
_CALLS = {code: meaning for code, meaning in EXIT_MEANINGS.items() if code != EXIT_USAGE}

# In the order ``apiary --help`` lists the commands.
COMMAND_EXIT_CODES: Mapping[str, Mapping[int, str]] = {
    "list": {EXIT_OK: "listed"},
    "show": {EXIT_OK: "shown", EXIT_HOST_ERROR: "not installed or disabled"},
    "call": _CALLS,
    "account": _CALLS,
    "serve": {EXIT_OK: "stopped by SIGTERM/SIGINT"},
    "mcp": {EXIT_OK: "the client left (stdio), stopped by SIGTERM/SIGINT (--http), or listed"},
    "package": {EXIT_OK: "built"},
    "deps": {EXIT_OK: "installed, or nothing to install", EXIT_ACTION_ERROR: "pip failed"},
    "check": {EXIT_OK: "no problems", EXIT_ACTION_ERROR: "problems found"},
}


def _codes(codes: Mapping[int, str]) -> str:
    return ", ".join(f"{code} {meaning}" for code, meaning in codes.items())


def command_exit_codes(command: str) -> str:
    """``command``'s own codes in words, for its ``--help``: ``0 built``."""
    return _codes(COMMAND_EXIT_CODES[command])


def exit_codes_text() -> str:
    """The table: one line per command, then what any command may exit with."""
    width = max(map(len, COMMAND_EXIT_CODES)) + 2
    rows = [f"  {command:<{width}}{_codes(codes)}" for command, codes in COMMAND_EXIT_CODES.items()]
    common = [
        f"  {'' if index else 'any':<{width}}{code} {meaning}"
        for index, (code, meaning) in enumerate(COMMON_EXIT_CODES.items())
    ]
    return "exit codes:\n" + "\n".join([*rows, *common]) + "\n"
