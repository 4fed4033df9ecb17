"""A fresh virtual environment for install tests, without the network.

``python -m venv --without-pip``, then a ``.pth`` file lending it this
environment's third-party packages (aiohttp, jsonschema, pip, setuptools,
feedparser...). Our own distributions are installed here only as editable
installs, whose finders a ``.pth`` path does not load, so whatever a test
``pip install``s into the new environment is what it imports.
"""

from __future__ import annotations

import subprocess
import sys
import sysconfig
from pathlib import Path


def fresh_venv(root: Path) -> Path:
    """Create the environment at ``root``; return its python."""
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(root)], check=True)
    python = root / "bin" / "python"
    purelib = subprocess.run(
        [str(python), "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
        check=True, capture_output=True, text=True,
    ).stdout.strip()
    Path(purelib, "borrowed.pth").write_text(sysconfig.get_paths()["purelib"] + "\n")
    return python


def pip_install(python: Path, *targets: Path, cwd: Path) -> None:
    """``pip install`` local projects, offline and without their dependencies."""
    subprocess.run(
        [str(python), "-m", "pip", "install", "--quiet", "--no-deps", "--no-build-isolation", "--no-index",
         *map(str, targets)],
        check=True, capture_output=True, text=True, cwd=cwd, timeout=300,
    )
