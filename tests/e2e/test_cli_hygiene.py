"""The command line's manners, as subprocesses: a port it cannot listen on
is one line and exit 2, a closed stdout ends a command quietly, and
``--help`` documents ``@-`` and every command's exit codes."""

from __future__ import annotations

import os
import signal
import socket
import subprocess

import pytest

from .conftest import APIARY

SERVERS = (["serve"], ["mcp", "--http"])


def _no_traceback(stderr: str) -> None:
    assert "Traceback" not in stderr and "Exception ignored" not in stderr, stderr


@pytest.fixture(scope="module")
def taken_port():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        sock.listen()
        yield sock.getsockname()[1]


@pytest.mark.parametrize("server", SERVERS, ids=" ".join)
@pytest.mark.parametrize("port", ["taken", "70000", "-1"])
def test_a_port_it_cannot_listen_on_is_one_line_and_exit_2(apiary, server, port, taken_port):
    number = str(taken_port) if port == "taken" else port
    run = apiary(*server, "--port", number, "--log-level", "error")
    reason = "Address already in use" if port == "taken" else "port must be 0 to 65535"
    assert run.returncode == 2, run.stderr
    assert run.stderr == f"apiary: error: cannot listen on 127.0.0.1:{number}: {reason}\n"
    assert run.stdout == ""


def _with_closed_stdout(args: list[str], env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    """``apiary ARGS | head -0``: stdout a pipe whose reader is already gone."""
    read, write = os.pipe()
    os.close(read)
    try:
        return subprocess.run(
            [str(APIARY), *args], stdout=write, stderr=subprocess.PIPE, stdin=subprocess.DEVNULL,
            text=True, env=env, timeout=60,
        )
    finally:
        os.close(write)


@pytest.mark.parametrize(
    "args",
    [
        ["list"],  # small: lost in the interpreter's final flush
        ["list", "--json"],
        ["show", "echo", "--json"],
        ["check"],
        ["call", "echo", "echo", "--input", '{"message": "' + "x" * 100_000 + '"}'],  # large: lost in print
        ["mcp", "--list"],
        ["--help"],
        ["call", "--help"],
        ["--version"],
    ],
    ids=lambda args: " ".join(args)[:30],
)
def test_a_closed_stdout_ends_every_command_quietly(apiary_env, args):
    completed = _with_closed_stdout(args, apiary_env)
    _no_traceback(completed.stderr)
    assert "BrokenPipe" not in completed.stderr
    assert completed.returncode == 128 + signal.SIGPIPE, completed.stderr


def test_an_open_stdout_is_unchanged(apiary):
    run = apiary("list", "--json")
    assert run.returncode == 0 and run.stdout.startswith("[")


def test_call_help_documents_stdin_input(apiary):
    run = apiary("call", "--help")
    assert run.returncode == 0
    assert "@-" in " ".join(run.stdout.split()).split("--input", 1)[1].split("--", 1)[0]


def test_help_ends_with_the_exit_codes_of_every_command(apiary):
    from apiary.cli._exits import exit_codes_text

    run = apiary("--help")
    assert run.returncode == 0
    assert run.stdout.rstrip().endswith(exit_codes_text().rstrip())
