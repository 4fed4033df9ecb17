"""Apiary: a host for many API integrations in one process.

The path of a call (see ``docs/architecture.md``): ``_loading`` finds
installed integrations and keeps one record each, importing them on first
use; ``_calls`` runs a call through the router and the shared session pool
into the SDK; ``_observe`` logs it with credentials redacted; ``hooks`` lets
host plugins take part. ``Host`` ties them together for every face: Python,
``apiary.cli``, ``apiary.web`` (HTTP) and ``apiary.mcp``.

Public names are imported on first access, so ``apiary list`` does not pay
for aiohttp and the SDK when it only reads config files. ``__all__`` is the
whole public surface (a test pins it); everything under a ``_`` is private.
"""

import typing as _typing
from importlib import import_module as _import_module

from ._version import __version__

if _typing.TYPE_CHECKING:
    from ._calls.results import ErrorKind, result_to_dict
    from ._config import (
        HostConfig,
        IntegrationSettings,
        LoggingConfig,
        McpConfig,
        PoolConfig,
        ServeConfig,
        load_config,
        parse_config,
    )
    from ._exceptions import (
        AccessError,
        ApiaryError,
        ConfigError,
        CredentialsError,
        LoadError,
        PackagingError,
        RequestError,
        UsageError,
    )
    from ._host import Host
    from ._loading.checks import CheckReport
    from ._loading.discovery import Discovered, EntryPointSource, Source
    from ._loading.folders import FolderSource
    from ._loading.registry import IntegrationRecord, IntegrationState, folder_integration
    from .hooks import CallInfo, UpstreamRequest, hookimpl

# Where each public name lives; imported on first access.
_PUBLIC = {
    "AccessError": "._exceptions",
    "ApiaryError": "._exceptions",
    "CallInfo": ".hooks",
    "CheckReport": "._loading.checks",
    "ConfigError": "._exceptions",
    "CredentialsError": "._exceptions",
    "Discovered": "._loading.discovery",
    "EntryPointSource": "._loading.discovery",
    "ErrorKind": "._calls.results",
    "FolderSource": "._loading.folders",
    "Host": "._host",
    "HostConfig": "._config",
    "IntegrationRecord": "._loading.registry",
    "IntegrationSettings": "._config",
    "IntegrationState": "._loading.registry",
    "LoadError": "._exceptions",
    "LoggingConfig": "._config",
    "McpConfig": "._config",
    "PackagingError": "._exceptions",
    "PoolConfig": "._config",
    "RequestError": "._exceptions",
    "ServeConfig": "._config",
    "Source": "._loading.discovery",
    "UpstreamRequest": ".hooks",
    "UsageError": "._exceptions",
    "folder_integration": "._loading.registry",
    "hookimpl": ".hooks",
    "load_config": "._config",
    "parse_config": "._config",
    "result_to_dict": "._calls.results",
}

__all__ = [
    "AccessError",
    "ApiaryError",
    "CallInfo",
    "CheckReport",
    "ConfigError",
    "CredentialsError",
    "Discovered",
    "EntryPointSource",
    "ErrorKind",
    "FolderSource",
    "Host",
    "HostConfig",
    "IntegrationRecord",
    "IntegrationSettings",
    "IntegrationState",
    "LoadError",
    "LoggingConfig",
    "McpConfig",
    "PackagingError",
    "PoolConfig",
    "RequestError",
    "ServeConfig",
    "Source",
    "UpstreamRequest",
    "UsageError",
    "__version__",
    "folder_integration",
    "hookimpl",
    "load_config",
    "parse_config",
    "result_to_dict",
]


def __getattr__(name: str) -> _typing.Any:
    module = _PUBLIC.get(name)
    if module is None:
        raise AttributeError(f"module 'apiary' has no attribute {name!r}")
    value = getattr(_import_module(module, __name__), name)
    globals()[name] = value  # later lookups are plain attribute reads
    return value


def __dir__() -> list[str]:
    return sorted({*globals(), *__all__})
