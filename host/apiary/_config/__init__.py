"""The host configuration: read from TOML, checked, merged over the defaults.

``_model`` is the configuration as data, ``_validation`` checks decoded TOML
into it, ``_paths`` makes paths absolute, ``_files`` decides which file is in
force and reads it. A user file names only what it changes; every mistake is
a ``ConfigError`` naming the dotted key.
"""

from ._files import default_config, defaults_file, load_config
from ._model import (
    CONFIG_ENV,
    DEFAULT_ACCOUNT,
    HostConfig,
    IntegrationSettings,
    LoggingConfig,
    McpConfig,
    PoolConfig,
    ServeConfig,
)
from ._validation import normalize_origin, parse_config

__all__ = [
    "CONFIG_ENV",
    "DEFAULT_ACCOUNT",
    "HostConfig",
    "IntegrationSettings",
    "LoggingConfig",
    "McpConfig",
    "PoolConfig",
    "ServeConfig",
    "default_config",
    "defaults_file",
    "load_config",
    "normalize_origin",
    "parse_config",
]
