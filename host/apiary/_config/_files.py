"""Reading the host configuration: which file is in force, TOML decoding,
and the files shipped in ``config/`` (installed as ``apiary.defaults``)."""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from .._exceptions import ConfigError
from ._model import CONFIG_ENV, HostConfig
from ._validation import parse_config


def _read_toml(text: str, source: str) -> Mapping[str, Any]:
    import tomllib

    try:
        return tomllib.loads(text)
    except tomllib.TOMLDecodeError as error:
        raise ConfigError(f"{source}: not valid TOML: {error}") from None


def defaults_file(name: str) -> Path:
    """A file shipped in ``config/`` (installed as the package ``apiary.defaults``)."""
    from .. import defaults

    return Path(defaults.__file__).parent / name


def default_config() -> HostConfig:
    """The shipped defaults, ``config/apiary.toml``."""
    text = defaults_file("apiary.toml").read_text(encoding="utf-8")
    return parse_config(_read_toml(text, "apiary.toml (defaults)"), source="<defaults>")


def load_config(path: str | Path | None = None) -> HostConfig:
    """The configuration in force: ``path``, else ``$APIARY_CONFIG``, else the defaults.

    The defaults are ``HostConfig()``, whose values are those of the shipped
    ``config/apiary.toml`` (a test holds the two equal), so a host given
    nothing does not spend start-up time importing a TOML parser.
    """
    path = path or os.environ.get(CONFIG_ENV) or None
    if path is None:
        return HostConfig()
    try:
        text = Path(path).read_text(encoding="utf-8")
    except OSError as error:
        raise ConfigError(f"cannot read config file {path}: {error.strerror or error}") from None
    data = _read_toml(text, str(path))  # its errors name the file already
    try:
        return parse_config(data, source=str(path), relative_to=Path(path).resolve().parent)
    except ConfigError as error:
        raise ConfigError(f"{path}: {error}") from None
