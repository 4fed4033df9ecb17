"""Property-based: schemathesis against ``/openapi.json`` of a real server.

The server hosts only ``echo``: the shipped plugins and ``keyed`` reach
upstreams, and the broken fixtures answer 503 on purpose, so they are
disabled (schemathesis learns ids from ``GET /integrations``). The run is
restricted to operations that answer without one: the catalogue, health,
the connected-account endpoint, and ``echo``'s ``echo``, ``action_error``
and ``log_auth`` (its other actions fail, time out or fetch on purpose).
Bounded and reproducible: at most 30 examples per operation, deterministic
generation (no seed, no example database), one worker, a hard timeout.
Checks: no 5xx, and every response conforms to the document (status code,
content type, body schema).
"""

from __future__ import annotations

import re
import subprocess
from pathlib import Path

import pytest

from ._serve import BIN, SHIPPED, bearer, disabled, serve_env, start_serve

ST = BIN / "st"
TOKEN = "st-token-canary-Wd83Jh"
OPERATIONS = (
    r"^/(integrations|integrations/\{id\}|integrations/\{id\}/account|healthz|readyz"
    r"|integrations/echo/actions/(echo|action_error|log_auth))$"
)
# Off in this server: they reach upstreams (keyed) or answer 503 on purpose.
BY_DESIGN = ("keyed", "broken", "nohandler", "dup")
CHECKS = "not_a_server_error,response_schema_conformance,status_code_conformance,content_type_conformance"


@pytest.fixture
def server(installed_plugins: Path, tmp_path: Path):
    config = tmp_path / "apiary.toml"
    config.write_text('[logging]\nformat = "json"\n' + disabled(*SHIPPED, *BY_DESIGN), encoding="utf-8")
    process = start_serve(installed_plugins, tmp_path, config=config, env={"APIARY_TOKEN": TOKEN})
    try:
        process.wait_ready()
        yield process
    finally:
        process.stop()


def test_schemathesis_finds_no_server_error_and_no_schema_violation(server, installed_plugins, tmp_path):
    assert ST.is_file(), f"schemathesis is not installed at {ST} (the test extra)"
    workdir = tmp_path / "schemathesis"
    workdir.mkdir()
    completed = subprocess.run(
        [
            str(ST), "run", f"{server.base_url}/openapi.json",
            "--header", f"Authorization: {bearer(TOKEN)['Authorization']}",
            "--checks", CHECKS,
            "--include-path-regex", OPERATIONS,
            "--phases", "examples,coverage,fuzzing",
            "--max-examples", "30",
            "--generation-deterministic",  # implies no example database
            "--workers", "1",
            "--request-timeout", "10",
            "--no-color",
        ],
        capture_output=True,
        text=True,
        cwd=workdir,
        env=serve_env(installed_plugins),
        timeout=120,
        stdin=subprocess.DEVNULL,
    )
    report = completed.stdout + completed.stderr
    assert completed.returncode == 0, report[-8000:]
    selected = re.search(r"Selected:\s*(\d+)/\d+", report)
    tested = re.search(r"Tested:\s*(\d+)", report)
    assert selected and tested, report[-4000:]
    # /integrations, /integrations/{id}, .../account, /healthz, /readyz and three echo actions.
    assert int(selected.group(1)) == int(tested.group(1)) == 8, report[-4000:]
    cases = re.search(r"(\d+) generated, (\d+) passed", report)
    assert cases and cases.group(1) == cases.group(2) and int(cases.group(1)) >= 8 * 10, report[-4000:]

    # The server's side of the story: every request answered below 500, no bug caught.
    answered = server.events("http_request")
    assert len(answered) >= int(cases.group(1)), len(answered)
    assert not [line for line in answered if line["status"] >= 500]
    assert not server.events("http_handler_failed")
    assert TOKEN not in server.stderr()
