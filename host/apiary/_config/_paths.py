"""Paths in the host configuration, made absolute against the config file."""

from __future__ import annotations

from pathlib import Path

from .._exceptions import ConfigError


def is_path_choice(value: str) -> bool:
    """Whether an ``[integrations.X] source`` names a folder's path (rather
    than ``entry_point``, ``folder`` or a distribution name)."""
    return "/" in value or "\\" in value or value.startswith((".", "~"))


def resolve_source(value: str, key: str, relative_to: Path | None) -> str:
    """An ``[integrations.X] source``, a path made absolute (it must be a directory)."""
    if not is_path_choice(value):
        return value
    path = Path(value).expanduser()
    if not path.is_absolute():
        path = (relative_to or Path.cwd()) / path
    if not path.is_dir():
        raise ConfigError(f"{key}: {value!r} is not a directory ({path})")
    return str(path.resolve())


def resolve_folders(folders: tuple[str, ...], relative_to: Path | None) -> tuple[str, ...]:
    """Absolute directories: ``~`` expanded, relative ones taken from the
    config file's directory (the working directory for in-memory configs)."""
    resolved = []
    for index, entry in enumerate(folders):
        path = Path(entry).expanduser()
        if not path.is_absolute():
            path = (relative_to or Path.cwd()) / path
        if not path.is_dir():
            raise ConfigError(f"host.folders[{index}]: {entry!r} is not a directory ({path})")
        resolved.append(str(path.resolve()))
    return tuple(resolved)


