"""Folder integrations: the layout most existing integrations use.

A folder integration is a directory holding a ``config.json`` whose
``entry_point`` names a Python file in the same directory, usually with a
``helpers.py`` and an ``actions/`` package beside it, all imported with
top-level absolute imports as if the folder were the only thing on
``sys.path``. The host config names directories of such folders
(``[host] folders``); each subfolder with a ``config.json`` is one
integration, its id the folder's name normalised.

This module only finds them, reading ``config.json`` files and nothing else:
importing them side by side is ``apiary.isolation``'s job.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator, Mapping
from pathlib import Path
from typing import Any

from .discovery import Discovered, read_config_file

_NOT_ID = re.compile(r"[^a-z0-9]+")


def folder_id(name: str) -> str:
    """The integration id of a folder named ``name``.

    Lower case, with every run of other characters (``-``, ``_``, ``.``,
    spaces) turned into one ``-``, so ``Google_Calendar`` and
    ``google-calendar`` are the same integration; ``""`` when nothing is left.
    """
    return _NOT_ID.sub("-", name.lower()).strip("-")


def entry_module(config: Mapping[str, Any], folder: Path) -> str:
    """The module name of the folder's entry point (``"weather"`` for
    ``"entry_point": "weather.py"``); ``ValueError`` says what is wrong."""
    entry = config.get("entry_point")
    if not isinstance(entry, str) or not entry:
        raise ValueError(f"{folder / 'config.json'}: 'entry_point' must name the integration's Python file")
    stem = entry[:-3] if entry.endswith(".py") else entry
    if not stem.isidentifier() or "/" in entry or "\\" in entry:
        raise ValueError(
            f"{folder / 'config.json'}: 'entry_point' {entry!r} must be a Python file directly in the folder, "
            "like 'my_integration.py'"
        )
    if not (folder / f"{stem}.py").is_file() and not (folder / f"{stem}.pyc").is_file():  # .pyc: shipped as bytecode
        raise ValueError(f"{folder / 'config.json'}: 'entry_point' names {stem}.py, which is not in {folder}")
    return stem


def _integration_folders(directory: Path) -> Iterator[Path]:
    """``directory`` itself when it is one integration, else its subfolders
    holding a ``config.json``, in name order."""
    if (directory / "config.json").is_file():
        yield directory
        return
    for child in sorted(directory.iterdir()):
        if child.is_dir() and not child.name.startswith(".") and (child / "config.json").is_file():
            yield child


def discover_folder(folder: Path) -> Discovered:
    """One folder integration as found on disk, with what is wrong with it."""
    integration_id = folder_id(folder.name)
    config_path = folder / "config.json"
    module, problem, config = "", None, None
    try:
        config = read_config_file(config_path)
        module = entry_module(config, folder)
    except ValueError as error:
        problem = str(error)
    if not integration_id:
        problem = f"folder name {folder.name!r} gives no usable id (letters or digits needed)"
    return Discovered(
        id=integration_id or folder.name,
        module=module,
        attribute=None,
        source=f"folder {folder}",
        config_path=config_path,
        problem=problem,
        folder=folder,
        config=config,
    )


class FolderSource:
    """Every folder integration in the given directories.

    Each directory is either one integration (it holds a ``config.json``) or
    a directory of them. Scanned on each ``discover()``: a folder copied in
    shows up at the next start without any install step.
    """

    def __init__(self, directories: Iterable[str | Path], prefixes: Iterable[str] = ()) -> None:
        """``prefixes``: the id prefix of each directory (``host.folders``'
        ``prefix``), ``""`` or missing for none."""
        self.directories: tuple[Path, ...] = tuple(Path(directory) for directory in directories)
        self.prefixes: tuple[str, ...] = tuple(prefixes)

    def discover(self) -> Iterator[Discovered]:
        for index, directory in enumerate(self.directories):
            prefix = self.prefixes[index] if index < len(self.prefixes) else ""
            for folder in _integration_folders(directory):
                found = discover_folder(folder)
                yield found._replace(id=prefix + found.id) if prefix else found
