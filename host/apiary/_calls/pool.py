"""The connections every integration's requests go through.

Each integration gets its own ``aiohttp`` connector and session, made at its
first call: keep-alive, a DNS cache, and limits of its own, so one
integration fanning out can hold only its share (``connections_per_integration``
or the integration's ``connections``, at most ``limit_per_host`` to one
upstream host) and never makes another wait for a connection. The shares are
set aside from ``pool.limit``, which keeps the total bounded: an integration
whose share no longer fits gets what is left (at least one connection) and
the log says so. Every session is closed with the pool.

The sessions keep no cookies: their ``PerCallCookieJar`` hands cookie
handling to the context of the call making the request, so a call keeps its
own cookies (across redirects too) and nothing leaks between calls,
integrations or accounts. A per-integration semaphore (the bulkhead) caps
how many calls of one integration run at once.

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
        self._open = False
        self._sessions: dict[str, aiohttp.ClientSession] = {}
        self._reserved = 0  # connections set aside for the integrations' sessions
        self._bulkheads: dict[str, asyncio.Semaphore] = {}
        self._middlewares: tuple[aiohttp.ClientMiddlewareType, ...] = ()

    async def open(self) -> None:
        self._middlewares = (_override(self.upstreams),) if self.upstreams else ()
        self._open = True

    def session_for(self, integration_id: str, connections: int) -> aiohttp.ClientSession:
        """The session of ``integration_id``, holding at most ``connections``
        connections (less when ``pool.limit`` has no more to set aside); made
        on first use, valid until ``close()``."""
        session = self._sessions.get(integration_id)
        if session is None:
            if not self._open:
                raise RuntimeError("the session pool is not open (use the Host as 'async with Host() as host')")
            config = self.config
            share = self._set_aside(integration_id, connections)
            connector = aiohttp.TCPConnector(
                limit=share,
                limit_per_host=min(config.limit_per_host, share),
                keepalive_timeout=config.keepalive_timeout,
                ttl_dns_cache=config.dns_cache_ttl,
                use_dns_cache=True,
            )
            session = self._sessions[integration_id] = aiohttp.ClientSession(
                connector=connector,
                cookie_jar=PerCallCookieJar(),
                # sock_connect, not connect: aiohttp's connect also counts the
                # wait for a free connection of the share, which the call's
                # own deadline bounds; this bounds opening the socket.
                timeout=aiohttp.ClientTimeout(total=None, sock_connect=config.connect_timeout),
                middlewares=self._middlewares,
            )
        return session

    def _set_aside(self, integration_id: str, asked: int) -> int:
        share = max(1, min(asked, self.config.limit - self._reserved))
        self._reserved += share
        if share < asked:
            get_logger("apiary.pool").warning(
                "pool_limit_reached",
                integration=integration_id,
                connections=share,
                asked=asked,
                limit=self.config.limit,
                hint="raise pool.limit, or lower pool.connections_per_integration",
            )
        return share

    @property
    def is_open(self) -> bool:
        return self._open

    def bulkhead(self, integration_id: str, limit: int) -> asyncio.Semaphore:
        """The semaphore capping concurrent calls of ``integration_id``."""
        semaphore = self._bulkheads.get(integration_id)
        if semaphore is None:
            semaphore = self._bulkheads[integration_id] = asyncio.Semaphore(limit)
        return semaphore

    async def close(self) -> None:
        self._open = False
        sessions, self._sessions = list(self._sessions.values()), {}
        self._reserved = 0
        self._bulkheads.clear()
        for session in sessions:
            await session.close()
