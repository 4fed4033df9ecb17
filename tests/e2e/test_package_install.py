"""Folder integrations made into distributions with ``apiary package``, then
installed the way a user would: ``pip install`` into a fresh virtual
environment with the SDK and the host, and used through that environment's
``apiary``.

The twins share every module name (``twin``, ``helpers``,
``actions.lookup``): installed side by side, each must still run its own
files. No network: the new environment borrows this one's third-party
packages (flit_core included, which builds the sdist) through a ``.pth``
file, and pip installs ours with ``--no-deps --no-build-isolation``.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from ._venv import fresh_venv, pip_install

REPO = Path(__file__).resolve().parents[2]
FOLDERS = REPO / "tests" / "fixtures" / "folders"
APIARY = Path(sys.executable).parent / "apiary"
FROM_WHEELS = {"weather": "weather", "twin-alpha": "twin-alpha", "twin_beta": "twin-beta"}


def _package(folder: Path, out: Path) -> list[Path]:
    """``apiary package FOLDER --out OUT`` with this environment's console script."""
    done = subprocess.run([str(APIARY), "package", str(folder), "--out", str(out)],
                          capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    *files, hint = done.stdout.splitlines()
    assert hint.startswith("pip install ") and hint.endswith(".whl")
    return [Path(line) for line in files]


@pytest.fixture(scope="module")
def packaged_venv(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A fresh environment with the SDK, the host, three packaged folders
    installed from wheels and one (Solo_Notes) from its sdist."""
    dist = tmp_path_factory.mktemp("dist")
    wheels = [path for name in FROM_WHEELS for path in _package(FOLDERS / name, dist) if path.suffix == ".whl"]
    [sdist] = [path for path in _package(FOLDERS / "Solo_Notes", dist) if path.name.endswith(".tar.gz")]
    root = tmp_path_factory.mktemp("packaged") / "venv"
    python = fresh_venv(root)
    pip_install(python, REPO / "sdk", REPO, *wheels, sdist, cwd=tmp_path_factory.mktemp("build"))
    return root


def _apiary(venv: Path, *args: str) -> subprocess.CompletedProcess:
    env = {"PATH": "/usr/bin:/bin", "HOME": str(venv), "PYTHONDONTWRITEBYTECODE": "1"}
    return subprocess.run([str(venv / "bin" / "apiary"), *args], capture_output=True, text=True, env=env, timeout=60)


def _listed(venv: Path) -> dict[str, dict]:
    listed = _apiary(venv, "list", "--json")
    assert listed.returncode == 0, listed.stderr
    return {item["id"]: item for item in json.loads(listed.stdout)}


def test_packaged_folders_list_with_their_actions(packaged_venv):
    items = _listed(packaged_venv)
    expected = {"weather": ["forecast", "convert"], "twin-alpha": ["lookup"], "twin-beta": ["lookup"],
                "solo-notes": None}
    assert set(expected) <= set(items)
    for integration_id, actions in expected.items():
        item = items[integration_id]
        assert item["state"] == "discovered", item
        assert item["distribution"] == f"apiary-integration-{integration_id}"
        assert item["source"] == (
            f"entry point {integration_id} = apiary_integration_{integration_id.replace('-', '_')}:integration"
        )
        names = [action["name"] for action in item["actions"]]
        assert names and all(action["description"] for action in item["actions"])
        if actions is not None:
            assert sorted(names) == sorted(actions)


def test_packaged_folders_load_and_pass_check(packaged_venv):
    eager = _apiary(packaged_venv, "list", "--json", "--eager")
    items = {item["id"]: item for item in json.loads(eager.stdout)}
    for integration_id in ("weather", "twin-alpha", "twin-beta", "solo-notes"):
        assert items[integration_id]["state"] == "loaded", items[integration_id]
    checked = _apiary(packaged_venv, "check", "--json")
    reports = {report["id"]: report for report in json.loads(checked.stdout)}
    for integration_id in ("weather", "twin-alpha", "twin-beta", "solo-notes"):
        assert reports[integration_id]["ok"], reports[integration_id]["problems"]


@pytest.mark.parametrize("integration_id, twin, value", [("twin-alpha", "alpha", 10), ("twin-beta", "beta", 105)])
def test_each_installed_twin_runs_its_own_files(packaged_venv, integration_id, twin, value):
    called = _apiary(packaged_venv, "call", integration_id, "lookup", "--input", '{"x": 5}')
    assert called.returncode == 0, called.stderr
    result = json.loads(called.stdout)
    assert result["type"] == "action"
    data = result["result"]["data"]
    assert (data["twin"], data["value"]) == (twin, value)
    package = f"apiary_integration_{integration_id.replace('-', '_')}"
    assert data["helpers_file"].startswith(str(packaged_venv)) and f"/{package}/helpers.py" in data["helpers_file"]


def test_weather_runs_an_action_needing_no_upstream(packaged_venv):
    called = _apiary(packaged_venv, "call", "weather", "convert", "--input", '{"fahrenheit": 212}',
                     "--auth", '{"api_key": "k"}')
    assert called.returncode == 0, called.stderr
    assert json.loads(called.stdout)["result"]["data"]["celsius"] == 100.0
