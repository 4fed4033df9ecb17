"""The shipped plugins as a user gets them: ``pip install`` of the SDK, the
host and every ``plugins/*`` distribution into a fresh virtual environment,
then ``apiary list``, ``apiary check`` and ``apiary call`` against a local
fake upstream through the upstream override.

No network: the new environment borrows this one's third-party packages
through a ``.pth`` file and pip installs ours with ``--no-deps``.
"""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import pytest
from aiohttp import web
from aiohttp.test_utils import TestServer

from ._venv import fresh_venv, pip_install

REPO = Path(__file__).resolve().parents[2]
SHIPPED = sorted(path for path in (REPO / "plugins").iterdir() if (path / "pyproject.toml").is_file())


@pytest.fixture(scope="module")
def fresh_venv_with_plugins(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("shipped") / "venv"
    python = fresh_venv(root)
    pip_install(python, REPO / "sdk", REPO, *SHIPPED, cwd=tmp_path_factory.mktemp("build"))
    return root


def _apiary(venv: Path, *args: str, config: Path | None = None) -> subprocess.CompletedProcess:
    env = {"PATH": "/usr/bin:/bin", "HOME": str(venv)}
    if config is not None:
        env["APIARY_CONFIG"] = str(config)
    return subprocess.run([str(venv / "bin" / "apiary"), *args], capture_output=True, text=True, env=env, timeout=60)


def test_every_shipped_plugin_is_listed_with_its_actions(fresh_venv_with_plugins):
    listed = _apiary(fresh_venv_with_plugins, "list", "--json")
    assert listed.returncode == 0, listed.stderr
    items = {item["id"]: item for item in json.loads(listed.stdout)}
    assert {"hackernews", "github", "feeds", "http"} <= set(items)
    for integration_id in ("hackernews", "github", "feeds", "http"):
        item = items[integration_id]
        assert item["state"] == "discovered" and item["actions"], item
        assert item["distribution"] == f"apiary-{integration_id}"
        assert all(action["description"] for action in item["actions"])
        shown = _apiary(fresh_venv_with_plugins, "show", integration_id, "--json")
        assert json.loads(shown.stdout)["config_path"].startswith(str(fresh_venv_with_plugins)), (
            "the plugin must come from its installation in the fresh environment"
        )


def test_check_passes_on_every_shipped_plugin(fresh_venv_with_plugins):
    checked = _apiary(fresh_venv_with_plugins, "check", "--json")
    reports = {report["id"]: report for report in json.loads(checked.stdout)}
    for integration_id in ("hackernews", "github", "feeds", "http"):
        assert reports[integration_id]["ok"], reports[integration_id]["problems"]


async def test_call_runs_against_a_fake_through_the_override(fresh_venv_with_plugins, tmp_path):
    body = {"status": "ok", "items": [1, 2]}

    async def answer(request: web.Request) -> web.Response:
        return web.json_response({**body, "path": request.path, "query": dict(request.query)})

    app = web.Application()
    app.router.add_get("/{tail:.*}", answer)
    async with TestServer(app, host="127.0.0.1") as server:
        config = tmp_path / "apiary.toml"
        config.write_text(f'[upstreams]\n"https://api.example.com" = "http://127.0.0.1:{server.port}"\n')
        inputs = {"method": "GET", "url": "https://api.example.com/things", "query": {"page": 2}}
        # The CLI blocks on its own event loop: run it off this test's loop.
        import asyncio

        called = await asyncio.to_thread(
            _apiary, fresh_venv_with_plugins, "call", "http", "request", "--input", json.dumps(inputs), config=config
        )
    assert called.returncode == 0, called.stderr
    result = json.loads(called.stdout)
    assert result["type"] == "action"
    assert result["result"]["data"]["status"] == 200
    assert result["result"]["data"]["body"]["path"] == "/things"
    assert result["result"]["data"]["body"]["query"] == {"page": "2"}
    assert '"upstream_overridden"' in called.stderr


def test_every_host_subpackage_is_in_the_installed_distribution(fresh_venv_with_plugins):
    """A package missing from pyproject's list installs fine editable but not from a wheel."""
    host_package = REPO / "host" / "apiary"
    expected = {path.parent.relative_to(host_package.parent).as_posix().replace("/", ".")
                for path in host_package.rglob("__init__.py")}
    python = fresh_venv_with_plugins / "bin" / "python"
    code = "import importlib, sys; [importlib.import_module(name) for name in sys.argv[1:]]; print('ok')"
    imported = subprocess.run([str(python), "-c", code, *sorted(expected)], capture_output=True, text=True)
    assert imported.stdout.strip() == "ok", imported.stderr
    for name in ("apiary.web", "apiary.mcp"):
        assert name in expected


def test_both_packages_ship_their_type_information(fresh_venv_with_plugins):
    """PEP 561 markers are package data: only a real (non-editable) install shows they ship."""
    python = fresh_venv_with_plugins / "bin" / "python"
    code = (
        "from importlib.resources import files; "
        "print([files(name).joinpath('py.typed').is_file() for name in ('apiary', 'autohive_integrations_sdk')])"
    )
    shown = subprocess.run([str(python), "-c", code], capture_output=True, text=True)
    assert shown.stdout.strip() == "[True, True]", shown.stderr
