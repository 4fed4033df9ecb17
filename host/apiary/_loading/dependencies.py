"""``apiary deps``: folder integrations' requirements installed into this
environment with pip, Apiary's SDK kept.

Almost every public integration lists ``autohive-integrations-sdk`` in its
``requirements.txt``; ``pip install -r`` of it installs the reference SDK
over ours (the same import package). The requirements are read exactly as
``apiary package`` reads them (``packaging.folder_requirements``): the
reference SDK becomes ``apiary-sdk``, which is already installed, and a
line pip would read as an option, a URL or a path is refused with its file
and line, so nothing but plain requirements reaches pip.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import NamedTuple

from .._exceptions import PackagingError
from .packaging import folder_requirements


class DependencyPlan(NamedTuple):
    """What ``apiary deps`` installs, and the folders that have nothing to."""

    requirements: list[str]
    without_requirements: list[Path]

    def pip_command(self, python: str) -> list[str]:
        """The command that installs them with the interpreter ``python``."""
        return [python, "-m", "pip", "install", *self.requirements]


def plan_dependencies(folders: Sequence[Path]) -> DependencyPlan:
    """Every requirement of ``folders``' ``requirements.txt`` files, in order,
    once each; a folder that is not a directory or a line that cannot be
    honoured is a PackagingError naming it."""
    requirements: list[str] = []
    without: list[Path] = []
    for folder in folders:
        if not folder.is_dir():
            raise PackagingError(f"{folder} is not a directory")
        path = folder / "requirements.txt"
        if not path.is_file():
            without.append(folder)
            continue
        requirements += folder_requirements(path)
    return DependencyPlan(list(dict.fromkeys(requirements)), without)
