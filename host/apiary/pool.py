"""The shared session pool every integration's requests go through.

One ``aiohttp`` connector and session for the whole host: keep-alive,
total and per-host connection limits and a DNS cache, from the host config.
The session keeps no cookies: its ``PerCallCookieJar`` hands cookie handling
to the context of the call making the request, so a call keeps its own
cookies (across redirects too) and nothing leaks between calls,
integrations or accounts. A per-integration semaphore
(the bulkhead) caps how many calls of one integration run at once, so a slow
upstream cannot hold every connection.

Each completed or failed request is reported to ``on_request``; the pool
itself does not log.
"""

from __future__ import annotations

import asyncio
import time
from types import SimpleNamespace
from typing import Any, Callable, Dict, Optional

import aiohttp
from autohive_integrations_sdk import PerCallCookieJar

from .config import PoolConfig
from .hooks import UpstreamRequest

RequestObserver = Callable[[UpstreamRequest], None]


def _retry_count(trace_ctx: SimpleNamespace) -> int:
    request_ctx = getattr(trace_ctx, "trace_request_ctx", None)
    if isinstance(request_ctx, dict):
        return int(request_ctx.get("retry_count", 0))
    return 0


def _tracer(observer: RequestObserver) -> aiohttp.TraceConfig:
    async def on_start(session: Any, ctx: SimpleNamespace, params: aiohttp.TraceRequestStartParams) -> None:
        ctx.started = time.perf_counter()

    def report(ctx: SimpleNamespace, method: str, url: Any, status: Optional[int], error: Optional[str]) -> None:
        port = f":{url.explicit_port}" if url.explicit_port else ""
        observer(
            UpstreamRequest(
                method=method,
                origin=f"{url.scheme}://{url.host}{port}",
                path=url.path,
                status=status,
                duration_ms=round((time.perf_counter() - ctx.started) * 1000, 3),
                retry_count=_retry_count(ctx),
                error=error,
            )
        )

    async def on_end(session: Any, ctx: SimpleNamespace, params: aiohttp.TraceRequestEndParams) -> None:
        report(ctx, params.method, params.url, params.response.status, None)

    async def on_exception(session: Any, ctx: SimpleNamespace, params: aiohttp.TraceRequestExceptionParams) -> None:
        report(ctx, params.method, params.url, None, type(params.exception).__name__)

    trace = aiohttp.TraceConfig()
    trace.on_request_start.append(on_start)
    trace.on_request_end.append(on_end)
    trace.on_request_exception.append(on_exception)
    return trace


class SessionPool:
    """The host's connections: open with ``await open()``, close with ``await close()``."""

    def __init__(self, config: PoolConfig, on_request: Optional[RequestObserver] = None) -> None:
        self.config = config
        self._on_request = on_request
        self._session: Optional[aiohttp.ClientSession] = None
        self._bulkheads: Dict[str, asyncio.Semaphore] = {}

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
            trace_configs=[_tracer(self._on_request)] if self._on_request else None,
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
