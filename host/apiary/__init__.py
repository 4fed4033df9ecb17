"""Apiary: a host for many API integrations in one process.

The path of a call: ``discovery`` finds installed integrations, the
``registry`` keeps one record each and loads them on first use, the
``router`` runs a call through the shared session ``pool`` into the SDK.
``Host`` ties them together for every face (Python, CLI, HTTP, MCP).

Public names are imported on first access, so ``apiary list`` does not pay
for aiohttp and the SDK when it only reads config files.
"""

from importlib import import_module
from typing import Any

from ._version import __version__

_PUBLIC = {
    "CallInfo": "hooks",
    "ConfigError": "config",
    "ErrorKind": "results",
    "Host": "host",
    "HostConfig": "config",
    "UpstreamRequest": "hooks",
    "hookimpl": "hooks",
    "load_config": "config",
    "result_to_dict": "results",
}

__all__ = ["__version__", *_PUBLIC]


def __getattr__(name: str) -> Any:
    module = _PUBLIC.get(name)
    if module is None:
        raise AttributeError(f"module 'apiary' has no attribute {name!r}")
    return getattr(import_module(f".{module}", __name__), name)
