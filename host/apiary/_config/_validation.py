"""Checking the host configuration: decoded TOML in, a ``HostConfig`` out.

Every value is checked by a small function named for what it expects; every
mistake is a ``ConfigError`` naming the dotted key and what was expected,
before anything runs. Secrets never live in the file: credential values
must be ``{ env = "VAR" }`` references.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

from .._exceptions import ConfigError
from ._model import HostConfig, IntegrationSettings
from ._paths import resolve_folders, resolve_source


def _positive_number(value: Any, key: str) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float)) or value <= 0:
        raise ConfigError(f"{key}: expected a positive number, got {value!r}")
    return value


def _positive_int(value: Any, key: str) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or value <= 0:
        raise ConfigError(f"{key}: expected a positive whole number, got {value!r}")
    return value


def _count_or_zero(value: Any, key: str) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or value < 0:
        raise ConfigError(f"{key}: expected a whole number, 0 for the default, got {value!r}")
    return value


def _retries(value: Any, key: str) -> int:
    """A number of retries: a whole number, 0 or more."""
    if isinstance(value, bool) or not isinstance(value, int) or value < 0:
        raise ConfigError(f"{key}: expected a whole number of retries, 0 or more, got {value!r}")
    return value


def _boolean(value: Any, key: str) -> bool:
    if not isinstance(value, bool):
        raise ConfigError(f"{key}: expected true or false, got {value!r}")
    return value


def _choice(*choices: str) -> Callable[[Any, str], str]:
    def check(value: Any, key: str) -> str:
        if not isinstance(value, str) or value not in choices:
            raise ConfigError(f"{key}: expected one of {', '.join(choices)}, got {value!r}")
        return value

    return check


def _table(value: Any, key: str) -> Mapping[str, Any]:
    if not isinstance(value, Mapping):
        raise ConfigError(f"{key}: expected a table, got {value!r}")
    return value


Check = Callable[[Any, str], Any]  # (value, dotted key) -> the value as the config holds it


def _fields(table: Mapping[str, Any], key: str, checks: Mapping[str, Check]) -> dict[str, Any]:
    """Check each key of ``table`` with its function in ``checks``."""
    unknown = sorted(set(table) - set(checks))
    if unknown:
        raise ConfigError(f"{key}.{unknown[0]}: unknown key (known: {', '.join(sorted(checks))})")
    return {name: checks[name](value, f"{key}.{name}") for name, value in table.items()}


def _credential_value(value: Any, key: str) -> Any:
    """An account's value: nested tables, or a ``{ env = "VAR" }`` reference."""
    if isinstance(value, Mapping):
        if set(value) == {"env"}:
            if not isinstance(value["env"], str) or not value["env"]:
                raise ConfigError(f"{key}.env: expected the name of an environment variable")
            return dict(value)
        return {name: _credential_value(inner, f"{key}.{name}") for name, inner in value.items()}
    raise ConfigError(
        f"{key}: credential values must be environment references like {{ env = \"MY_TOKEN\" }}; "
        "the config file never holds a secret itself"
    )


def _account(value: Any, key: str) -> dict[str, Any]:
    table = _table(value, key)
    account: dict[str, Any] = {}
    for name, inner in table.items():
        if name == "auth_type":  # a kind, not a secret
            if not isinstance(inner, str):
                raise ConfigError(f"{key}.auth_type: expected a string, got {inner!r}")
            account[name] = inner
        else:
            account[name] = _credential_value(inner, f"{key}.{name}")
    return account


def _accounts(value: Any, key: str) -> dict[str, dict[str, Any]]:
    return {name: _account(inner, f"{key}.{name}") for name, inner in _table(value, key).items()}


_INTEGRATION_KEYS: Mapping[str, Check] = {
    "enabled": _boolean,
    "call_timeout": _positive_number,
    "per_integration": _positive_int,
    "accounts": _accounts,
    "max_response_bytes": _positive_int,
    "connections": _positive_int,
    "max_retries": _retries,
    "source": lambda value, key: _text(value, key),
}


def _integrations(value: Any, key: str, relative_to: Path | None = None) -> dict[str, IntegrationSettings]:
    settings = {}
    for name, inner in _table(value, key).items():
        fields = _fields(_table(inner, f"{key}.{name}"), f"{key}.{name}", _INTEGRATION_KEYS)
        if "source" in fields:
            fields["source"] = resolve_source(fields["source"], f"{key}.{name}.source", relative_to)
        settings[name] = IntegrationSettings(**fields)
    return settings


def normalize_origin(value: Any, key: str) -> str:
    """``scheme://host[:port]`` in canonical form (lower case, default port
    dropped); anything with a path, query or user info is refused."""
    from urllib.parse import urlsplit

    parts = urlsplit(value) if isinstance(value, str) else None
    if (
        parts is None
        or parts.scheme not in ("http", "https")
        or not parts.hostname
        or parts.path not in ("", "/")
        or parts.query
        or parts.fragment
        or parts.username
    ):
        raise ConfigError(
            f"{key}: expected an origin like 'https://api.example.com' or 'http://127.0.0.1:8081', got {value!r}"
        )
    try:
        port = parts.port
    except ValueError:
        raise ConfigError(f"{key}: invalid port in {value!r}") from None
    default = {"http": 80, "https": 443}[parts.scheme]
    host = parts.hostname if ":" not in parts.hostname else f"[{parts.hostname}]"
    return f"{parts.scheme}://{host}" + (f":{port}" if port and port != default else "")


def _port(value: Any, key: str) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value <= 65535:
        raise ConfigError(f"{key}: expected a port number (0-65535), got {value!r}")
    return value


def _text(value: Any, key: str) -> str:
    if not isinstance(value, str) or not value:
        raise ConfigError(f"{key}: expected a non-empty string, got {value!r}")
    return value


def _env_reference(value: Any, key: str) -> Mapping[str, str]:
    if not (isinstance(value, Mapping) and set(value) == {"env"} and isinstance(value["env"], str) and value["env"]):
        raise ConfigError(
            f"{key}: write {{ env = \"MY_TOKEN\" }} naming the environment variable; "
            "the config file never holds a secret itself"
        )
    return dict(value)


_PREFIX = re.compile(r"^[a-z0-9][a-z0-9_-]*$")


def _folder_entry(entry: Any, key: str) -> tuple[str, str]:
    """``"dir"`` or ``{ path = "dir", prefix = "autohive-" }`` as ``(dir, prefix)``."""
    if isinstance(entry, str) and entry:
        return entry, ""
    if not isinstance(entry, Mapping):
        raise ConfigError(
            f"{key}: expected a directory, or {{ path = \"dir\", prefix = \"id-prefix-\" }}, got {entry!r}"
        )
    fields = _fields(entry, key, {"path": _text, "prefix": _text})
    if "path" not in fields:
        raise ConfigError(f"{key}.path: missing (the directory holding integration folders)")
    prefix = fields.get("prefix", "")
    if prefix and not _PREFIX.match(prefix):
        raise ConfigError(
            f"{key}.prefix: expected lower-case letters, digits, '-' or '_' (like \"autohive-\"), got {prefix!r}"
        )
    return fields["path"], prefix


def _folders(value: Any, key: str) -> tuple[tuple[str, str], ...]:
    """``(directory, id prefix)`` pairs, the directories checked by
    ``resolve_folders`` once the base is known."""
    if not isinstance(value, list):
        raise ConfigError(f"{key}: expected a list of directories holding integration folders, got {value!r}")
    return tuple(_folder_entry(entry, f"{key}[{index}]") for index, entry in enumerate(value))


def _selection(value: Any, key: str) -> tuple[str, ...]:
    """A list of integration ids and ``integration.action`` names."""
    if not isinstance(value, list):
        raise ConfigError(f"{key}: expected a list of integration ids or \"integration.action\" names, got {value!r}")
    for index, entry in enumerate(value):
        if not isinstance(entry, str) or not entry.strip(".") or entry.startswith(".") or entry.endswith("."):
            raise ConfigError(
                f"{key}[{index}]: expected an integration id (\"github\") or an action (\"github.create_issue\"), "
                f"got {entry!r}"
            )
    return tuple(value)


def _upstream_retries(value: Any, key: str) -> dict[str, int]:
    return {
        normalize_origin(origin, f"{key}.{origin!r}"): _retries(count, f"{key}.{origin!r}")
        for origin, count in _table(value, key).items()
    }


def _upstreams(value: Any, key: str) -> dict[str, str]:
    return {
        normalize_origin(origin, f"{key}.{origin!r}"): normalize_origin(target, f"{key}.{origin!r}")
        for origin, target in _table(value, key).items()
    }


_SECTIONS: Mapping[str, Mapping[str, Check]] = {
    "host": {
        "eager": _boolean,
        "call_timeout": _positive_number,
        "folders": _folders,
        "import_timeout": _positive_number,
    },
    "logging": {"format": _choice("auto", "json", "console"), "level": _choice("debug", "info", "warning", "error")},
    "serve": {
        "host": _text,
        "port": _port,
        "max_body_bytes": _positive_int,
        "grace_period": _positive_number,
        "max_connections": _count_or_zero,
        "token": _env_reference,
    },
    "mcp": {"include": _selection, "exclude": _selection},
    "pool": {
        "limit": _positive_int,
        "limit_per_host": _positive_int,
        "keepalive_timeout": _positive_number,
        "dns_cache_ttl": _positive_int,
        "connect_timeout": _positive_number,
        "per_integration": _positive_int,
        "max_response_bytes": _positive_int,
        "connections_per_integration": _positive_int,
        "max_retries": _retries,
    },
}


def parse_config(
    data: Mapping[str, Any],
    source: str = "<memory>",
    base: HostConfig | None = None,
    relative_to: Path | None = None,
) -> HostConfig:
    """Check ``data`` (decoded TOML) and lay it over ``base`` (the defaults).

    Relative paths in it are taken from ``relative_to`` (the config file's
    directory), else from the working directory.
    """
    base = base or HostConfig()
    tables = {"integrations", "upstreams", "upstream_retries"}
    unknown = sorted(set(data) - set(_SECTIONS) - tables)
    if unknown:
        known = ", ".join(sorted([*_SECTIONS, *tables]))
        raise ConfigError(f"{unknown[0]}: unknown section (known: {known})")
    sections = {name: _fields(_table(data.get(name, {}), name), name, checks) for name, checks in _SECTIONS.items()}
    integrations = dict(base.integrations)
    integrations.update(_integrations(data.get("integrations", {}), "integrations", relative_to))
    folders = sections["host"].get("folders")
    prefixes = tuple(prefix for _, prefix in folders or ())
    return HostConfig(
        eager=sections["host"].get("eager", base.eager),
        call_timeout=sections["host"].get("call_timeout", base.call_timeout),
        import_timeout=sections["host"].get("import_timeout", base.import_timeout),
        folders=resolve_folders(tuple(path for path, _ in folders), relative_to)
        if folders is not None
        else base.folders,
        folder_prefixes=(prefixes if any(prefixes) else ()) if folders is not None else base.folder_prefixes,
        logging=base.logging._replace(**sections["logging"]),
        pool=base.pool._replace(**sections["pool"]),
        serve=base.serve._replace(**sections["serve"]),
        mcp=base.mcp._replace(**sections["mcp"]),
        integrations=integrations,
        upstreams={**base.upstreams, **_upstreams(data.get("upstreams", {}), "upstreams")},
        upstream_retries={
            **base.upstream_retries,
            **_upstream_retries(data.get("upstream_retries", {}), "upstream_retries"),
        },
        source=source,
    )


