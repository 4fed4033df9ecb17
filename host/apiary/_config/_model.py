"""The host configuration as data: what each section holds, and its defaults.

The defaults here are those of the shipped ``config/apiary.toml`` (a test
holds the two equal), so a host given no file starts without a TOML parser.
Reading files is ``_files``' job, checking values ``_validation``'s.
"""

from __future__ import annotations

from collections.abc import Mapping
from types import MappingProxyType
from typing import Any, NamedTuple

CONFIG_ENV = "APIARY_CONFIG"
DEFAULT_ACCOUNT = "default"

_NO_ENTRIES: Mapping[str, Any] = MappingProxyType({})


# NamedTuples rather than dataclasses: ``apiary list`` imports this module,
# and dataclasses would add ~9 ms to every start.
class LoggingConfig(NamedTuple):
    format: str = "auto"
    level: str = "info"


class PoolConfig(NamedTuple):
    # Connections in all: each integration's share is set aside from it.
    limit: int = 500
    limit_per_host: int = 20
    keepalive_timeout: float = 30
    dns_cache_ttl: int = 300
    connect_timeout: float = 10
    per_integration: int = 32
    # Bytes of one upstream response an integration may read (10 MiB).
    max_response_bytes: int = 10 * 1024 * 1024
    # Connections one integration may hold at once (its own connector).
    connections_per_integration: int = 20
    # Retries of a request that failed to connect or timed out (the SDK's default).
    max_retries: int = 3


class ServeConfig(NamedTuple):
    """``apiary serve``: where it listens and how it treats requests."""

    host: str = "127.0.0.1"
    port: int = 8080
    max_body_bytes: int = 1024 * 1024
    grace_period: float = 30
    # Connections served at once; 0: the descriptor limit (ulimit -n) less
    # room for the pool and files (see apiary.web.connections).
    max_connections: int = 0
    # { env = "VAR" } naming the variable with the bearer token; APIARY_TOKEN
    # is read when this is not set.
    token: Mapping[str, str] | None = None


class McpConfig(NamedTuple):
    """``apiary mcp``: which actions become tools. Entries are integration ids
    (``"github"``) or single actions (``"github.create_issue"``); an empty
    ``include`` means every installed action; ``exclude`` wins over it."""

    include: tuple[str, ...] = ()
    exclude: tuple[str, ...] = ()


class IntegrationSettings(NamedTuple):
    """What the host config says about one integration."""

    enabled: bool = True
    call_timeout: float | None = None
    per_integration: int | None = None
    accounts: Mapping[str, Mapping[str, Any]] = _NO_ENTRIES
    max_response_bytes: int | None = None
    connections: int | None = None
    max_retries: int | None = None
    # Which claimant serves this id when several do: "entry_point", "folder",
    # a distribution name, or a folder's path (absolute once parsed).
    source: str | None = None


class HostConfig(NamedTuple):
    """The whole host configuration; its defaults are ``config/apiary.toml``'s."""

    eager: bool = False
    call_timeout: float = 30
    # Seconds an integration's import may take before it is broken for good.
    import_timeout: float = 60
    # Directories of folder integrations (absolute once parsed).
    folders: tuple[str, ...] = ()
    # The id prefix of each of ``folders`` ("" for none); empty when none has one.
    folder_prefixes: tuple[str, ...] = ()
    logging: LoggingConfig = LoggingConfig()
    pool: PoolConfig = PoolConfig()
    serve: ServeConfig = ServeConfig()
    mcp: McpConfig = McpConfig()
    integrations: Mapping[str, IntegrationSettings] = _NO_ENTRIES
    # Upstream origin -> origin to send its requests to instead (off when empty).
    upstreams: Mapping[str, str] = _NO_ENTRIES
    # Upstream origin -> max_retries of every request to it, over the integration's.
    upstream_retries: Mapping[str, int] = _NO_ENTRIES
    source: str = "<defaults>"

    def settings_for(self, integration_id: str) -> IntegrationSettings:
        return self.integrations.get(integration_id) or IntegrationSettings()

    def timeout_for(self, integration_id: str) -> float:
        return self.settings_for(integration_id).call_timeout or self.call_timeout

    def concurrency_for(self, integration_id: str) -> int:
        return self.settings_for(integration_id).per_integration or self.pool.per_integration

    def max_response_bytes_for(self, integration_id: str) -> int:
        return self.settings_for(integration_id).max_response_bytes or self.pool.max_response_bytes
    def retries_for(self, integration_id: str) -> int:
        retries = self.settings_for(integration_id).max_retries
        return self.pool.max_retries if retries is None else retries

    def connections_for(self, integration_id: str) -> int:
        return self.settings_for(integration_id).connections or self.pool.connections_per_integration


