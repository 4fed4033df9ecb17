"""Apiary's SDK against the reference one, in a fresh virtual environment.

Most public integrations list ``autohive-integrations-sdk`` in their
``requirements.txt``; pip installing that puts the reference SDK over ours
(the same import package). Here, as a user would: Apiary installed (our SDK
and the host), ``apiary deps`` on a folder whose requirements name the
reference SDK keeps ours and ``apiary call`` works; then the reference SDK
installed by hand makes every ``apiary`` command exit with one message
naming it and the repair, no traceback.

The environment is built with the interpreter running the suite (``.ci/run``
runs the suite on every supported Python it finds, 3.13 included), and
offline: it borrows this environment's third-party packages (``_venv``), pip
runs with ``--no-index``, and the reference SDK is a stand-in built here:
the same distribution name and import package, without our names.
"""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from ._venv import fresh_venv, pip_install

REPO = Path(__file__).resolve().parents[2]
NOARG = REPO / "tests" / "fixtures" / "folders" / "noarg"

# What the reference SDK 2.x looks like to the host: its names, not ours.
_REFERENCE_INIT = '''"""Stand-in for the reference Autohive Integrations SDK."""
from .integration import Integration
__version__ = "2.0.1"
'''
_REFERENCE_INTEGRATION = '''class Integration:
    @classmethod
    def load(cls, path=None):
        return cls()
'''


@pytest.fixture(scope="module")
def reference_sdk(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A source tree of the stand-in ``autohive-integrations-sdk``."""
    root = tmp_path_factory.mktemp("reference")
    package = root / "autohive_integrations_sdk"
    package.mkdir()
    (package / "__init__.py").write_text(_REFERENCE_INIT)
    (package / "integration.py").write_text(_REFERENCE_INTEGRATION)
    (root / "pyproject.toml").write_text(
        '[build-system]\nrequires = ["setuptools>=68"]\nbuild-backend = "setuptools.build_meta"\n'
        '[project]\nname = "autohive-integrations-sdk"\nversion = "2.0.1"\n'
        '[tool.setuptools]\npackages = ["autohive_integrations_sdk"]\n'
    )
    return root


def _apiary(venv: Path, *args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    env = {"PATH": f"{venv / 'bin'}:/usr/bin:/bin", "HOME": str(venv), "PYTHONDONTWRITEBYTECODE": "1",
           "PIP_NO_INDEX": "1", "PIP_DISABLE_PIP_VERSION_CHECK": "1", "PIP_CONFIG_FILE": "/dev/null"}
    return subprocess.run([str(venv / "bin" / "apiary"), *args], capture_output=True, text=True, env=env,
                          cwd=cwd, timeout=120)


def test_deps_keeps_our_sdk_and_the_reference_installed_by_hand_is_named(tmp_path, reference_sdk):
    venv = tmp_path / "venv"
    python = fresh_venv(venv)
    pip_install(python, REPO / "sdk", REPO, cwd=tmp_path)
    folders = tmp_path / "integrations"
    folder = folders / "noarg"
    shutil.copytree(NOARG, folder)
    (folder / "requirements.txt").write_text("# as the public folders have it\nautohive-integrations-sdk>=1.0.0\n"
                                             "aiohttp>=3.9\n")
    config = tmp_path / "apiary.toml"
    config.write_text('[host]\nfolders = ["integrations"]\n' + "".join(
        f"[integrations.{name}]\nenabled = false\n" for name in ("github", "hackernews", "feeds", "http")))

    dry = _apiary(venv, "deps", str(folder), "--dry-run", cwd=tmp_path)
    assert dry.returncode == 0, dry.stderr
    assert dry.stdout.strip() == f"{python} -m pip install 'apiary-sdk>=2.0' 'aiohttp>=3.9'"

    deps = _apiary(venv, "deps", str(folder), cwd=tmp_path)
    assert deps.returncode == 0, deps.stdout + deps.stderr
    assert "Requirement already satisfied: apiary-sdk>=2.0" in deps.stdout  # pip's own output, shown
    shown = subprocess.run([str(python), "-m", "pip", "show", "autohive-integrations-sdk"],
                           capture_output=True, text=True, timeout=60)
    assert shown.returncode == 1  # the reference SDK was not installed

    call = _apiary(venv, "call", "noarg", "count_words", "--input", '{"text": "one two three"}',
                   "--config", str(config), cwd=tmp_path)
    assert call.returncode == 0, call.stderr
    assert '"words": 3' in call.stdout

    # The user runs pip install -r requirements.txt, or pip install autohive-integrations-sdk, by hand.
    pip_install(python, reference_sdk, cwd=tmp_path)
    for command in (["list"], ["check"], ["show", "noarg"], ["deps", str(folder), "--dry-run"],
                    ["call", "noarg", "count_words", "--input", '{"text": "a"}'], ["serve", "--port", "0"]):
        run = _apiary(venv, *command, "--config", str(config), cwd=tmp_path) if command[0] != "deps" else \
            _apiary(venv, *command, cwd=tmp_path)
        assert run.returncode == 2, (command, run.stdout, run.stderr)
        assert run.stdout == ""
        assert "Traceback" not in run.stderr
        message = run.stderr
        assert message.startswith("apiary: error: the SDK this environment imports, autohive_integrations_sdk")
        assert "is not Apiary's (apiary-sdk): autohive-integrations-sdk 2.0.1 replaced it" in message
        assert f"{python} -m pip uninstall -y autohive-integrations-sdk\n" in message
        assert f"{python} -m pip install --force-reinstall {REPO / 'sdk'}\n" in message
        assert "apiary deps FOLDER" in message


def test_deps_refuses_a_line_it_cannot_honour_with_its_file_and_line(tmp_path):
    folder = tmp_path / "needy"
    shutil.copytree(NOARG, folder)
    (folder / "requirements.txt").write_text("aiohttp\n-e git+https://example.com/x.git#egg=x\n")
    run = subprocess.run([str(Path(sys.executable).parent / "apiary"), "deps", str(folder), "--dry-run"],
                         capture_output=True, text=True, timeout=60)
    assert run.returncode == 2
    assert run.stdout == ""
    assert run.stderr == (f"apiary: error: {folder / 'requirements.txt'}, line 2: pip option '-e' is not supported; "
                          "list plain requirements (name, version specifier, markers)\n")


def test_the_foreign_sdk_exit_code_is_the_usage_error_of_the_outcome_table():
    from apiary._faces.outcomes import EXIT_USAGE
    from apiary.cli._environment import EXIT_FOREIGN_SDK

    assert EXIT_FOREIGN_SDK == EXIT_USAGE
