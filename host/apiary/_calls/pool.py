"""The shared session pool every integration's requests go through.

One ``aiohttp`` connector and session for the whole host: keep-alive,
total and per-host connection limits and a DNS cache, from the host config.
The session keeps no cookies: its ``PerCallCookieJar`` hands cookie handling
to the context of the call making the request, so a call keeps its own
cookies (across redirects too) and nothing leaks between calls,
integrations or accounts. A per-integration semaphore
(the bulkhead) caps how many calls of one integration run at once, so a slow
upstream cannot hold every connection.

The host config's ``upstreams`` override applies here, to every request
through the pool: a request for an overridden origin goes to its
replacement instead, and is logged as such.

The pool does not observe requests otherwise: each call's ``ExecutionContext``
reports its own (``on_request``), which costs far less per request than
aiohttp's tracing signals.
"""

from __future__ import annotations

import asyncio
from collections.abc import Mapping

import aiohttp
from yarl import URL

from autohive_integrations_sdk import PerCallCookieJar

from .._config import PoolConfig
from .._observe.logs import get_logger


def _parts(url: URL) -> tuple[str, str, int | None]:
    """An origin's scheme, host and explicit port."""
    return url.scheme, url.host or "", url.explicit_port


def _override(upstreams: Mapping[str, str]) -> aiohttp.ClientMiddlewareType:
    """aiohttp client middleware sending requests for an overridden origin
    to its replacement (redirect hops included)."""
    # Origins are normalised by the config (scheme://host[:port]), so each has a host.
    targets = {origin: _parts(URL(target)) for origin, target in upstreams.items()}
    log = get_logger("apiary.pool")

    async def override_upstream(
        request: aiohttp.ClientRequest, handler: aiohttp.ClientHandlerType
    ) -> aiohttp.ClientResponse:
        original = request.url
        target = targets.get(str(original.origin()))
        if target is not None:
            scheme, host, port = target
            request.url = original.with_scheme(scheme).with_host(host).with_port(port)
            request.headers["Host"] = request.url.raw_authority
            log.info(
                "upstream_overridden",
                method=request.method,
                origin=str(original.origin()),
                to=upstreams[str(original.origin())],
                path=original.path,
            )
        return await handler(request)

    return override_upstream


class SessionPool:
    """The host's connections: open with ``await open()``, close with ``await close()``."""

    def __init__(self, config: PoolConfig, upstreams: Mapping[str, str] | None = None) -> None:
        self.config = config
        self.upstreams = dict(upstreams or {})
        self._session: aiohttp.ClientSession | None = None
        self._bulkheads: dict[str, asyncio.Semaphore] = {}

    async def open(self) -> None:
        config = self.config
        connector = aiohttp.TCPConnector(
            limit=config.limit,
            limit_per_host=config.limit_per_host,
            keepalive_timeout=config.keepalive_timeout,
            ttl_dns_cache=config.dns_cache_ttl,
            use_dns_cache=True,
        )
        self._session = aiohttp.ClientSession(
            connector=connector,
            cookie_jar=PerCallCookieJar(),
            timeout=aiohttp.ClientTimeout(total=None, connect=config.connect_timeout),
            middlewares=(_override(self.upstreams),) if self.upstreams else (),
        )

    @property
    def session(self) -> aiohttp.ClientSession:
        """The shared session; only valid between ``open()`` and ``close()``."""
        if self._session is None or self._session.closed:
            raise RuntimeError("the session pool is not open (use the Host as 'async with Host() as host')")
        return self._session

    @property
    def is_open(self) -> bool:
        return self._session is not None and not self._session.closed

    def bulkhead(self, integration_id: str, limit: int) -> asyncio.Semaphore:
        """The semaphore capping concurrent calls of ``integration_id``."""
        semaphore = self._bulkheads.get(integration_id)
        if semaphore is None:
            semaphore = self._bulkheads[integration_id] = asyncio.Semaphore(limit)
        return semaphore

    async def close(self) -> None:
        if self._session is not None:
            await self._session.close()
            self._session = None
        self._bulkheads.clear()
