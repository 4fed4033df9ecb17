"""Credentials from the host config, resolved from the environment.

An account in the config is the auth dict the integration expects, with
every secret written as ``{ env = "VAR" }``. Resolution swaps each
reference for the variable's value at call time, so rotating a secret needs
no restart and the config file never holds one.

``ConfigCredentials`` answers the ``apiary_resolve_credentials`` hook last,
so a plugin (a vault) can answer first.
"""

from __future__ import annotations

import os
from collections.abc import Mapping, MutableMapping
from typing import Any

from .._config import DEFAULT_ACCOUNT, HostConfig
from .._exceptions import CredentialsError
from ..hooks import hookimpl


def resolve_references(value: Any, where: str, environ: Mapping[str, str]) -> Any:
    """``value`` with every ``{"env": "VAR"}`` replaced by ``environ["VAR"]``."""
    if isinstance(value, Mapping):
        if set(value) == {"env"}:
            name = value["env"]
            if name not in environ:
                raise CredentialsError(f"{where}: environment variable {name} is not set")
            return environ[name]
        return {key: resolve_references(inner, f"{where}.{key}", environ) for key, inner in value.items()}
    return value


class ConfigCredentials:
    """The built-in credentials plugin: accounts from the host config."""

    def __init__(self, environ: MutableMapping[str, str] | None = None) -> None:
        self._environ = environ if environ is not None else os.environ

    @hookimpl(trylast=True)
    def apiary_resolve_credentials(
        self, integration: str, account: str | None, config: HostConfig
    ) -> dict[str, Any] | None:
        accounts = config.settings_for(integration).accounts
        name = account or DEFAULT_ACCOUNT
        table = accounts.get(name)
        if table is None:
            if account is None:
                return None  # no default account: the call runs without auth
            known = ", ".join(sorted(accounts)) or "none"
            raise CredentialsError(
                f"integration {integration!r} has no account {account!r} in the host config (accounts: {known})"
            )
        auth: dict[str, Any] = resolve_references(table, f"integrations.{integration}.accounts.{name}", self._environ)
        return auth
