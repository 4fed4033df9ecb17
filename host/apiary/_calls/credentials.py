"""Credentials from the host config, resolved from the environment.

An account in the config is the auth dict the integration expects, with
every secret written as ``{ env = "VAR" }``. Resolution swaps each
reference for the variable's value at call time, so rotating a secret needs
no restart and the config file never holds one.

``ConfigCredentials`` answers the ``apiary_resolve_credentials`` hook last,
so a plugin (a vault) can answer first.

Whatever its source (an account, a plugin, the caller), auth reaches the
handler in the production shape ``{"auth_type", "credentials": {...}}``
(``production_auth``), which also answers the flat reads of local tests;
``credentials_problem`` says why resolved credentials cannot serve a call.
"""

from __future__ import annotations

import os
from collections.abc import Mapping, MutableMapping
from typing import Any

from autohive_integrations_sdk import Integration
from autohive_integrations_sdk import ValidationError as SDKValidationError

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


# config.json ``auth.type`` values whose production ``auth_type`` is known:
# the platform's OAuth, for which ``fetch`` adds the bearer token.
_PLATFORM_AUTH_TYPES = {
    "platform": "PlatformOauth2",
    "platformoauth2": "PlatformOauth2",
    "platformteams": "PlatformTeams",
}


class ProductionAuth(dict[str, Any]):
    """Auth in the production shape, ``{"auth_type", "credentials": {...}}``,
    that also answers flat reads of a credential (``auth["api_key"]``,
    ``auth.get("api_key")``, ``"api_key" in auth``), as integrations written
    against local tests' flat auth do. Its own keys come first; iterating,
    ``len`` and JSON see the production shape only."""

    def _credentials(self) -> Mapping[str, Any]:
        credentials = dict.get(self, "credentials")
        return credentials if isinstance(credentials, Mapping) else {}

    def __missing__(self, key: Any) -> Any:
        credentials = self._credentials()
        if key in credentials:
            return credentials[key]
        raise KeyError(key)

    def get(self, key: Any, default: Any = None) -> Any:
        if dict.__contains__(self, key):
            return dict.__getitem__(self, key)
        return self._credentials().get(key, default)

    def __contains__(self, key: object) -> bool:
        return dict.__contains__(self, key) or key in self._credentials()


def _declared(integration: Integration) -> Mapping[str, Any]:
    auth = integration.config.auth
    return auth if isinstance(auth, Mapping) else {}


def _fields(declared: Mapping[str, Any]) -> Mapping[str, Any]:
    fields = declared.get("fields")
    return fields if isinstance(fields, Mapping) else {}


def _is_wrapped(auth: Mapping[str, Any], fields: Mapping[str, Any]) -> bool:
    """The SDK's rule: ``credentials`` a mapping, nothing but ``auth_type``
    beside it, and no auth field of the integration named ``credentials``."""
    properties = fields.get("properties")
    declares = isinstance(properties, Mapping) and "credentials" in properties
    return isinstance(auth.get("credentials"), Mapping) and set(auth) <= {"auth_type", "credentials"} and not declares


def production_auth(auth: Mapping[str, Any] | None, integration: Integration) -> dict[str, Any]:
    """``auth`` as handlers get it in production: wrapped auth as given, flat
    auth as the ``credentials`` of a ``ProductionAuth`` (with the
    ``auth_type`` of a platform integration); no auth, ``{}``."""
    if not auth:
        return {}
    declared = _declared(integration)
    if _is_wrapped(auth, _fields(declared)):
        return ProductionAuth(auth)
    properties = _fields(declared).get("properties")
    if isinstance(properties, Mapping) and "credentials" in properties:
        return dict(auth)  # its own fields include ``credentials``: flat is its shape
    auth_type = _PLATFORM_AUTH_TYPES.get(str(declared.get("type", "")).lower())
    wrapped = ProductionAuth(auth_type=auth_type) if auth_type else ProductionAuth()
    wrapped["credentials"] = dict(auth)
    return wrapped


def credentials_problem(integration: Integration, integration_id: str, account: str | None, auth: Any) -> str | None:
    """Why host-resolved ``auth`` cannot serve a call of ``integration``:
    none where its ``auth.fields`` need some (or it uses the platform's
    OAuth), or some that fail them; ``None`` when they serve. Names the
    account and the fields, never a value."""
    declared = _declared(integration)
    name = account or DEFAULT_ACCOUNT
    table = f"[integrations.{integration_id}.accounts.{name}]"
    try:
        integration.check_auth(auth or {})
    except SDKValidationError as error:
        fields = ", ".join(repr(item["property"]) for item in error.errors if item.get("property")) or "its fields"
        if not auth:
            return _not_configured(integration_id, name, fields, table)
        details = "; ".join(f"{item['message']}" for item in error.errors) or str(error)
        return (
            f"the credentials of account {name!r} of integration {integration_id!r} are invalid "
            f"({details}): fix {table} or the environment variables it names"
        )
    if not auth and not _fields(declared) and str(declared.get("type", "")).lower() in _PLATFORM_AUTH_TYPES:
        return _not_configured(integration_id, name, "'access_token'", table)
    return None


def _not_configured(integration_id: str, account: str, fields: str, table: str) -> str:
    return (
        f"integration {integration_id!r} needs credentials ({fields}) and account {account!r} "
        f"is not configured: add {table} to the host config, each secret as {{ env = \"VAR\" }}"
    )
