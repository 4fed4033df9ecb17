"""Config mistakes caught through the CLI: ``apiary check`` reports them (and
fails), ``apiary serve`` and ``apiary mcp`` refuse to start on them (exit 2,
one clear message, nothing served), and ``--timeout`` must be positive."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

from .conftest import APIARY

MISTAKES = (
    "[integrations.ekho]\ncall_timeout = 5\n\n"
    '[integrations.keyed.accounts.default]\napi_kye = { env = "APIARY_E2E_KEY" }\n'
)


def _config(tmp_path: Path, text: str) -> str:
    path = tmp_path / "apiary.toml"
    path.write_text(text, encoding="utf-8")
    return str(path)


def test_check_reports_the_config_mistakes_first(apiary, tmp_path):
    run = apiary("check", "--config", _config(tmp_path, MISTAKES))
    assert run.returncode == 1
    lines = run.stdout.splitlines()
    assert lines[0] == "FAIL (host config)"
    assert any(line.startswith("     - integrations.ekho: ") and "did you mean 'echo'?" in line for line in lines)
    assert any(
        line.startswith("     - integrations.keyed.accounts.default.api_kye: ") and "'api_key'" in line
        for line in lines
    )


@pytest.mark.parametrize("command", [["serve", "--port", "0"], ["mcp"], ["mcp", "--http", "--port", "0"]])
def test_servers_refuse_to_start_on_a_config_mistake(apiary_env, tmp_path, command):
    completed = subprocess.run(
        [str(APIARY), *command, "--config", _config(tmp_path, MISTAKES)],
        input="",
        capture_output=True,
        text=True,
        env=apiary_env,
        timeout=30,
    )
    assert completed.returncode == 2
    assert "integrations.ekho: " in completed.stderr
    assert "integrations.keyed.accounts.default.api_kye: " in completed.stderr
    assert "Traceback" not in completed.stderr and "serving on" not in completed.stderr
    assert completed.stdout == ""


def test_mcp_include_of_nothing_installed_is_refused(apiary):
    run = apiary("mcp", "--list", "--include", "echo,ecko.echo")
    assert run.returncode == 2
    assert "--include: 'ecko.echo' names no installed integration or action" in run.stderr
    assert "did you mean 'echo.echo'" in run.stderr
    assert run.stdout == ""
    assert apiary("mcp", "--list", "--include", "echo").returncode == 0


@pytest.mark.parametrize("value", ["0", "-1", "nan", "soon"])
def test_a_timeout_must_be_a_positive_number(apiary, value):
    run = apiary("call", "echo", "echo", f"--timeout={value}")
    assert run.returncode == 2
    assert "--timeout" in run.stderr and "positive number of seconds" in run.stderr
    assert "Traceback" not in run.stderr
