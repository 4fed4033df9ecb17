"""Paths in the host configuration, made absolute against the config file."""

from __future__ import annotations

from pathlib import Path

from .._exceptions import ConfigError


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


