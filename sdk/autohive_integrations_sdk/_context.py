"""``ExecutionContext``: the authenticated HTTP client every handler gets.

Differences from the reference SDK, all behind the same API:

- it can borrow a session (the host's pool) and then never closes it;
- cookies live in the context, not in a borrowed session, so a shared
  session carries none from one call to the next (``PerCallCookieJar``);
- a write (POST, PATCH) is retried only when it provably never left, and
  nothing is retried that cannot succeed (a bad URL, a redirect loop, TLS);
- redirects are followed here, hop by hop, so that no credential header
  reaches another origin (``_redirects``);
- ``request_config["max_response_bytes"]`` caps how much of a response is
  read; the session's connect timeouts are kept beside the call's total;
- diagnostics go to the context's logger, never with credentials, query
  strings or bodies.
"""

from __future__ import annotations

import asyncio
import functools
import logging
import time
from collections.abc import Callable
from typing import Any, NamedTuple

import aiohttp
from yarl import URL

from . import _http, _redirects
from ._cookies import CallCookies, CookieRoute, PerCallCookieJar, release_cookies, use_cookies
from ._errors import HTTPError, RateLimitError, ResponseTooLargeError
from ._results import FetchResponse


class UpstreamAttempt(NamedTuple):
    """One attempt of one ``fetch``, as reported to ``on_request``.

    ``url`` is the full URL, query included: an observer that logs it must
    mask what it should not show. Each hop of a redirect is an attempt of its
    own. ``status`` is ``None`` when no response arrived, and ``error`` then
    names the exception (``"cancelled"`` for an attempt cut by cancellation);
    a response whose body was refused has both (``ResponseTooLargeError``).
    """

    method: str
    url: str
    status: int | None
    seconds: float
    retry_count: int
    error: str | None


_DEFAULT_REQUEST_CONFIG = {"max_retries": 3, "timeout": 30}
_LOGGER_NAME = "autohive_integrations_sdk"


@functools.lru_cache(maxsize=64)
def _client_timeout(seconds: float, base: aiohttp.ClientTimeout | None) -> aiohttp.ClientTimeout:
    """Timeouts are immutable: one object per distinct value, not per request."""
    return _http.client_timeout(seconds, base)


async def _read_body(response: aiohttp.ClientResponse, method: str, limit: int | None) -> bytes | bytearray:
    """The (decoded) body, or ``ResponseTooLargeError`` once it passes ``limit``:
    a declared ``Content-Length`` over it is refused unread, otherwise the
    body is read as it arrives and reading stops past the limit, so at most
    ``limit`` bytes (plus one chunk) are ever held."""
    if limit is None:
        return await response.read()
    declared = response.content_length
    if declared is not None and declared > limit and method.upper() != "HEAD" and response.status not in (204, 304):
        raise ResponseTooLargeError(limit, response.status, declared)
    body = bytearray()
    async for chunk in response.content.iter_any():
        body += chunk
        if len(body) > limit:
            raise ResponseTooLargeError(limit, response.status)
    return body


class ExecutionContext:
    """Context handed to every handler: auth, config, and ``fetch()``.

    Use it as an async context manager. Without ``session`` it opens its own
    ``aiohttp.ClientSession`` on entry (or lazily on the first ``fetch``) and
    closes it on exit; cookies live as long as the context. With ``session``
    it uses that one and leaves it open: the session belongs to the caller.
    A borrowed session must keep no cookies itself: create it with
    ``cookie_jar=PerCallCookieJar()`` (each context then keeps the cookies
    of its own call) or ``aiohttp.DummyCookieJar()`` (no cookies at all).

    ``on_request``, if given, is called once per attempt of every ``fetch``
    with an ``UpstreamAttempt`` (the host counts and logs requests with it).

    ``auth`` is either flat (``{"api_key": ...}``, as in local tests) or the
    platform's wrapped form ``{"auth_type": ..., "credentials": {...}}``.
    ``request_config`` overrides ``max_retries`` (3) and ``timeout`` (30 s),
    and may set ``max_response_bytes`` (no limit by default; a host sets it):
    a larger response raises ``ResponseTooLargeError``; and
    ``retries_by_origin`` (``{"https://api.example.com": 1}``): the
    ``max_retries`` of requests to those origins, unless a handler sets
    ``context.config["max_retries"]`` itself.
    """

    def __init__(
        self,
        auth: dict[str, Any] | None = None,
        request_config: dict[str, Any] | None = None,
        metadata: dict[str, Any] | None = None,
        logger: logging.Logger | None = None,
        *,
        session: aiohttp.ClientSession | None = None,
        on_request: Callable[[UpstreamAttempt], None] | None = None,
    ) -> None:
        if session is not None and not isinstance(session.cookie_jar, aiohttp.DummyCookieJar):
            raise ValueError(
                "ExecutionContext(session=...) needs a session created with "
                "cookie_jar=autohive_integrations_sdk.PerCallCookieJar() (or "
                "aiohttp.DummyCookieJar()): a shared session must not carry one "
                "call's cookies into another"
            )
        self.auth = auth if auth is not None else {}
        self.config = {**_DEFAULT_REQUEST_CONFIG, **(request_config or {})}
        self._given_retries = self.config["max_retries"]  # a handler that changes it has chosen its own
        self.metadata = metadata or {}
        self.logger = logger or logging.getLogger(_LOGGER_NAME)
        self._borrowed = session
        self._session: aiohttp.ClientSession | None = session
        self._cookies: CallCookies | None = None  # for a PerCallCookieJar session
        self._secrets: tuple[str, ...] | None = None  # auth values, masked in logs
        self._on_request = on_request

    async def __aenter__(self) -> ExecutionContext:
        if self._session is None:
            self._session = self._open_session()
        return self

    async def __aexit__(self, exc_type: Any, exc: Any, tb: Any) -> None:
        if self._session is not None and self._session is not self._borrowed:
            await self._session.close()
            self._session = None
        self._cookies = None

    @staticmethod
    def _open_session() -> aiohttp.ClientSession:
        return aiohttp.ClientSession()

    async def fetch(
        self,
        url: str,
        method: str = "GET",
        params: dict[str, Any] | None = None,
        data: Any = None,
        json: Any = None,
        headers: dict[str, str] | None = None,
        content_type: str | None = None,
        timeout: float | None = None,
        retry_count: int = 0,
    ) -> FetchResponse:
        """Send one HTTP request and return the parsed response.

        Platform OAuth auth adds ``Authorization: Bearer <access_token>``
        unless ``headers`` sets ``Authorization``. ``params`` is appended to
        the URL's query (dicts and lists JSON-encoded, ``None`` dropped).
        ``json=`` sends JSON, as does ``data`` with a JSON ``content_type``;
        a dict ``data`` with ``content_type`` form-urlencoded is form-encoded.
        Redirects are followed (at most 10), credential headers dropped on a
        hop to another origin. Transient network errors are retried up to
        ``max_retries`` times with exponential back-off (1 s, 2 s, 4 s...),
        writes only when they never left; an invalid URL, a redirect loop or
        a TLS failure never. Raises ``RateLimitError`` on 429, ``HTTPError``
        on any other non-2xx status, ``ResponseTooLargeError`` past
        ``max_response_bytes``.
        """
        if self._session is None:
            self._session = self._open_session()
        if json is not None:
            data, content_type = json, "application/json"

        final_headers: dict[str, str] = {}
        if not _http.has_header(headers, "Authorization"):
            bearer = _http.bearer_header(self.auth)
            if bearer is not None:
                final_headers["Authorization"] = bearer
        if content_type:
            final_headers["Content-Type"] = content_type
        if headers:
            final_headers.update(headers)

        url = _http.with_query(url, params)
        body = _http.encode_body(data, content_type)
        seconds = timeout or self.config["timeout"]
        max_retries = self._max_retries(url)
        attempt = retry_count
        cookie_route = self._route_cookies()
        try:
            while True:
                started = time.perf_counter()
                try:
                    return await self._send(method, url, body, final_headers, seconds, attempt)
                except (TimeoutError, aiohttp.ClientError) as error:
                    retry = attempt < max_retries and _http.may_retry(method, error)
                    self._log_failure(method, url, error, attempt, started, retry)
                    if not retry:
                        raise
                    await asyncio.sleep(2**attempt)
                    attempt += 1
        finally:
            if cookie_route is not None:
                release_cookies(cookie_route)

    def _max_retries(self, url: str) -> int:
        """``max_retries``, or for a URL whose origin ``retries_by_origin``
        names, that origin's, unless the handler set ``max_retries`` itself."""
        configured: int = self.config["max_retries"]
        by_origin = self.config.get("retries_by_origin")
        if not by_origin or configured != self._given_retries:
            return configured
        try:
            origin = str(URL(url).origin())
        except (ValueError, TypeError):  # not an absolute URL: fetch will say so
            return configured
        retries = by_origin.get(origin, configured)
        return retries if isinstance(retries, int) else configured

    def _route_cookies(self) -> CookieRoute | None:
        """On a ``PerCallCookieJar`` session, send this context's cookies."""
        assert self._session is not None
        if not isinstance(self._session.cookie_jar, PerCallCookieJar):
            return None
        if self._cookies is None:
            self._cookies = CallCookies()
        return use_cookies(self._cookies)

    def _secret_values(self) -> tuple[str, ...]:
        """The credential values in ``auth``, worked out once."""
        if self._secrets is None:
            self._secrets = _http.secret_strings(self.auth)
        return self._secrets

    def _where(self, url: str) -> dict[str, str]:
        """Origin and path of ``url`` for a log line, credentials masked."""
        return _http.describe_url(url, self._secret_values())

    async def _send(
        self, method: str, url: str, body: Any, headers: dict[str, str], seconds: float, attempt: int
    ) -> FetchResponse:
        """One attempt: the request and the redirects it leads to, within
        ``seconds`` in all; each hop reported to ``on_request``."""
        assert self._session is not None
        session = self._session
        base = session.timeout if isinstance(getattr(session, "timeout", None), aiohttp.ClientTimeout) else None
        limit = self.config.get("max_response_bytes")
        begun = time.perf_counter()
        timeout = _client_timeout(seconds, base)
        target: str | URL = url
        redirects = 0
        while True:
            started = time.perf_counter()
            shown = str(target)
            try:
                async with session.request(
                    method=method,
                    url=target,
                    data=body,
                    headers=headers,
                    timeout=timeout,
                    allow_redirects=False,
                ) as response:
                    location = None
                    if response.status in _redirects.REDIRECT_STATUSES:
                        location = _redirects.location_of(response.headers)
                    if location is None:
                        raw = await _read_body(response, method, limit)
                        self._report(method, shown, response.status, attempt, started, None)
                        self._log_response(method, shown, response.status, attempt, started)
                        return _result(response, raw)
                    status = response.status
                    self._report(method, shown, status, attempt, started, None)
                    self._log_response(method, shown, status, attempt, started)
            except ResponseTooLargeError as error:
                self._report(method, shown, error.status, attempt, started, type(error).__name__)
                raise
            except (TimeoutError, aiohttp.ClientError) as error:
                self._report(method, shown, None, attempt, started, type(error).__name__)
                raise
            except asyncio.CancelledError:  # the caller's deadline: the attempt still counts
                self._report(method, shown, None, attempt, started, "cancelled")
                raise
            redirects += 1
            current = URL(target) if isinstance(target, str) else target
            if redirects >= _redirects.MAX_REDIRECTS:
                raise aiohttp.TooManyRedirects(
                    response.request_info,
                    (),
                    status=status,
                    message=f"redirect loop? gave up after {redirects} redirect responses",
                )
            hop = _redirects.next_hop(
                status, method, current, _redirects.target_of(current, location), body, headers, self._secret_values()
            )
            method, target, body, headers = hop
            timeout = _http.client_timeout(max(seconds - (time.perf_counter() - begun), 0.001), base)

    def _report(
        self, method: str, url: str, status: int | None, attempt: int, started: float, error: str | None
    ) -> None:
        if self._on_request is not None:
            self._on_request(
                UpstreamAttempt(method, url, status, time.perf_counter() - started, attempt, error)
            )

    def _log_response(self, method: str, url: str, status: int, attempt: int, started: float) -> None:
        if self.logger.isEnabledFor(logging.DEBUG):
            where = self._where(url)
            self.logger.debug(
                "upstream %s %s%s -> %s",
                method,
                where["origin"],
                where["path"],
                status,
                extra={
                    "upstream": {
                        "method": method,
                        **where,
                        "status": status,
                        "duration_ms": round((time.perf_counter() - started) * 1000, 3),
                        "retry_count": attempt,
                    }
                },
            )

    def _log_failure(
        self, method: str, url: str, error: BaseException, attempt: int, started: float, retry: bool
    ) -> None:
        where = self._where(url)
        self.logger.warning(
            "upstream %s %s%s failed (%s), attempt %d, %s",
            method,
            where["origin"],
            where["path"],
            type(error).__name__,
            attempt + 1,
            "retrying" if retry else "giving up",
            extra={
                "upstream": {
                    "method": method,
                    **where,
                    "error": type(error).__name__,
                    "duration_ms": round((time.perf_counter() - started) * 1000, 3),
                    "retry_count": attempt,
                }
            },
        )


def _result(response: aiohttp.ClientResponse, raw: bytes | bytearray) -> FetchResponse:
    """The parsed response, or the ``HTTPError`` (``RateLimitError`` on 429) it stands for."""
    headers = dict(response.headers)
    if response.status == 429:
        retry_after = _http.parse_retry_after(response.headers.get("Retry-After"))
        text = _http.decode_body(raw, "text/plain", lambda: response.charset, response.status)
        raise RateLimitError(retry_after, response.status, "Rate limit exceeded", text, headers=headers)
    data = _http.decode_body(raw, response.headers.get("Content-Type", ""), lambda: response.charset, response.status)
    if not response.ok:
        raise HTTPError(response.status, str(data), data, headers=headers)
    return FetchResponse(status=response.status, headers=headers, data=data)
