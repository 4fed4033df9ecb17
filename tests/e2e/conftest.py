"""End-to-end fixtures: the fixture plugins installed as real distributions,
and ``apiary`` run as a subprocess against them.

Once per session the folders of ``tests/fixtures/plugins`` are copied to a
temporary directory (so building leaves nothing in the source tree) and
installed with ``pip install --no-deps --no-build-isolation --target``.
Subprocesses get that directory on ``PYTHONPATH``: importlib-metadata then
finds the installed dist-infos and their entry points exactly as it would
in a virtualenv.
"""

from __future__ import annotations

import asyncio
import json
import os
import shutil
import subprocess
import sys
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

PLUGINS_DIR = Path(__file__).parents[1] / "fixtures" / "plugins"
BIN = Path(sys.executable).parent
APIARY = BIN / "apiary"


def _can_build_wheels() -> bool:
    """``--no-build-isolation`` builds with the setuptools of this venv, which
    needs ``bdist_wheel``: built in from setuptools 70.1, else the ``wheel`` package."""
    probe = "import setuptools.command.bdist_wheel"
    fallback = "import wheel.bdist_wheel"
    for code in (probe, fallback):
        if subprocess.run([sys.executable, "-c", code], capture_output=True).returncode == 0:
            return True
    return False


@pytest.fixture(scope="session")
def installed_plugins(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A directory holding the fixture plugins pip-installed as distributions."""
    assert APIARY.is_file(), f"the apiary console script is not installed at {APIARY}"
    assert _can_build_wheels(), (
        "building the fixture plugins needs setuptools>=70.1 (or the 'wheel' package) in the venv: "
        "install the test extra (requirements-dev.txt)"
    )
    base = tmp_path_factory.mktemp("plugins")
    sources = base / "src"
    target = base / "site"
    folders = []
    for folder in sorted(PLUGINS_DIR.iterdir()):
        if (folder / "pyproject.toml").is_file():
            ignore = shutil.ignore_patterns("__pycache__", "build", "*.egg-info")
            shutil.copytree(folder, sources / folder.name, ignore=ignore)
            folders.append(str(sources / folder.name))
    completed = subprocess.run(
        [
            sys.executable, "-m", "pip", "install", "--quiet", "--no-deps", "--no-build-isolation",
            "--no-index", "--disable-pip-version-check", "--target", str(target), *folders,
        ],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert completed.returncode == 0, completed.stdout + completed.stderr
    return target


@dataclass
class Run:
    returncode: int
    stdout: str
    stderr: str

    def json(self) -> Any:
        return json.loads(self.stdout)

    def log_lines(self) -> list:
        """stderr as parsed JSON log lines (the format when stderr is not a terminal)."""
        return [json.loads(line) for line in self.stderr.splitlines() if line.startswith("{")]


@pytest.fixture
def apiary_env(installed_plugins: Path) -> dict[str, str]:
    """The environment of an ``apiary`` subprocess (tests may add to it)."""
    env = {key: value for key, value in os.environ.items() if not key.startswith("APIARY_")}
    env["PYTHONPATH"] = str(installed_plugins)
    env["PYTHONDONTWRITEBYTECODE"] = "1"
    env.pop("COLUMNS", None)
    return env


@pytest.fixture
def apiary(apiary_env):
    """``apiary(*args)``: run the console script, wait, return a ``Run``."""

    def run(*args: str, stdin: str | None = None, env: dict[str, str] | None = None) -> Run:
        completed = subprocess.run(
            [str(APIARY), *args],
            input=stdin,
            capture_output=True,
            text=True,
            env={**apiary_env, **(env or {})},
            timeout=60,
        )
        return Run(completed.returncode, completed.stdout, completed.stderr)

    return run


@pytest.fixture
def apiary_async(apiary_env):
    """``await apiary_async(*args)``: the same, without blocking the loop (for
    tests whose fake upstream runs in the test's event loop)."""

    async def run(*args: str, env: dict[str, str] | None = None, cmd: Sequence[str] | None = None) -> Run:
        process = await asyncio.create_subprocess_exec(
            *(cmd or [str(APIARY)]),
            *args,
            stdin=asyncio.subprocess.DEVNULL,
            stdout=asyncio.subprocess.PIPE,
            stderr=asyncio.subprocess.PIPE,
            env={**apiary_env, **(env or {})},
        )
        stdout, stderr = await asyncio.wait_for(process.communicate(), timeout=60)
        return Run(process.returncode, stdout.decode(), stderr.decode())

    return run
