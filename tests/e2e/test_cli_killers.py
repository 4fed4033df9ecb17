"""Integrations that kill the interpreter at import (``os._exit(3)``, a
SIGKILL) or never finish importing, installed next to healthy ones:
``apiary check`` still reports every integration, ``apiary list --eager``
still lists every one (the killer broken with the reason), and ``apiary
serve`` says which integration it was loading when it died.

The killers are throw-away distributions written to a temporary directory
(a package and a hand-written dist-info with the entry point) and put on
``PYTHONPATH`` before the installed fixture plugins, so no other test ever
meets them.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from ._serve import start_serve

KILLERS = {
    "killer": "import os\nos._exit(3)\n",
    "sigkiller": "import os, signal\nos.kill(os.getpid(), signal.SIGKILL)\n",
    "hanger": "import time\ntime.sleep(600)\n",
}
HEALTHY = ("echo", "keyed")


def write_distribution(site: Path, integration_id: str, code: str) -> None:
    package = f"apiary_test_{integration_id}"
    (site / package).mkdir(parents=True)
    (site / package / "__init__.py").write_text(code, encoding="utf-8")
    config = {
        "name": integration_id,
        "version": "0.1.0",
        "description": f"Test integration {integration_id}: misbehaves at import",
        "actions": {
            "ping": {
                "description": "Never runs",
                "input_schema": {"type": "object"},
                "output_schema": {"type": "object"},
            }
        },
    }
    (site / package / "config.json").write_text(json.dumps(config), encoding="utf-8")
    info = site / f"apiary_test_{integration_id}-0.1.0.dist-info"
    info.mkdir()
    (info / "METADATA").write_text(
        f"Metadata-Version: 2.1\nName: apiary-test-{integration_id}\nVersion: 0.1.0\n", encoding="utf-8"
    )
    (info / "entry_points.txt").write_text(f"[apiary.integrations]\n{integration_id} = {package}\n", encoding="utf-8")


@pytest.fixture
def killers_env(tmp_path, installed_plugins) -> dict[str, str]:
    """``PYTHONPATH`` with the killers in front of the installed fixture plugins."""
    site = tmp_path / "killers"
    for integration_id, code in KILLERS.items():
        write_distribution(site, integration_id, code)
    return {"PYTHONPATH": os.pathsep.join([str(site), str(installed_plugins)])}


@pytest.fixture
def short_timeout(tmp_path) -> Path:
    config = tmp_path / "apiary.toml"
    config.write_text("[host]\nimport_timeout = 2\n", encoding="utf-8")
    return config


def reports_by_id(run) -> dict:
    return {report["id"]: report for report in run.json() if report["id"] != "dup"}


def test_check_reports_every_integration_when_some_kill_the_interpreter(apiary, killers_env, short_timeout):
    run = apiary("check", "--json", "--config", str(short_timeout), env=killers_env)
    assert run.returncode == 1, run.stderr
    reports = reports_by_id(run)
    for name in HEALTHY:
        assert reports[name]["ok"] is True, reports[name]
    assert reports["broken"]["ok"] is False and "library_that_is_not_installed" in reports["broken"]["problems"][0]
    [killed] = reports["killer"]["problems"]
    assert "exited with status 3" in killed and "apiary_test_killer" in killed
    [signalled] = reports["sigkiller"]["problems"]
    assert "killed by signal SIGKILL" in signalled
    [hung] = reports["hanger"]["problems"]
    assert "did not finish within 2 s" in hung and "host.import_timeout" in hung


def test_check_prints_the_killers_failure_and_the_summary(apiary, killers_env, tmp_path):
    config = tmp_path / "no-hanger.toml"
    config.write_text("[integrations.hanger]\nenabled = false\n", encoding="utf-8")
    run = apiary("check", "--config", str(config), env=killers_env)
    lines = run.stdout.splitlines()
    assert "ok   echo" in lines and "ok   keyed" in lines
    assert "FAIL killer" in lines and "FAIL sigkiller" in lines
    killer = lines.index("FAIL killer")
    assert lines[killer + 1] == "     - the interpreter exited with status 3 while importing apiary_test_killer"
    assert lines[-1].endswith("with problems") and "integrations checked" in lines[-1]


def test_eager_list_lists_every_integration_with_the_killer_broken(apiary, killers_env, short_timeout):
    run = apiary("list", "--json", "--eager", "--config", str(short_timeout), env=killers_env)
    assert run.returncode == 0, run.stderr
    items = {item["id"]: item for item in run.json() if item["id"] != "dup"}
    for name in HEALTHY:
        assert items[name]["state"] == "loaded", items[name]
    for name in KILLERS:
        assert items[name]["state"] == "broken", items[name]
    assert "exited with status 3" in items["killer"]["reason"]
    assert "did not finish within 2 s" in items["hanger"]["reason"]
    assert "library_that_is_not_installed" in items["broken"]["reason"]


async def test_serve_names_the_integration_it_was_loading_when_it_died(installed_plugins, killers_env, tmp_path):
    config = tmp_path / "eager.toml"
    config.write_text("[host]\neager = true\nimport_timeout = 2\n[logging]\nformat = \"json\"\n", encoding="utf-8")
    server = start_serve(installed_plugins, tmp_path, config=config, env=killers_env)
    try:
        code = await server.wait_exit_async(timeout=30)
    finally:
        server.stop()
    assert code == 3, server.stderr()
    loading = [line for line in server.log_lines() if line.get("event") == "integration_loading"]
    assert loading, server.stderr()
    assert loading[-1]["integration"] == "killer"
    assert loading[-1]["module"] == "apiary_test_killer"
