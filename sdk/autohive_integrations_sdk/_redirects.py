"""Redirects as ``ExecutionContext.fetch()`` follows them, hop by hop.

fetch() sends each request with ``allow_redirects=False`` and follows the
redirect itself, so that on a hop to another origin it can drop every
header carrying a credential of the call: aiohttp drops only
``Authorization``, ``Cookie`` and ``Proxy-Authorization``, and would send
``X-Api-Key`` or ``Private-Token`` to whatever origin the first server
names. Everything else is as aiohttp does it: the same statuses, the same
limit of 10 redirect responses, the same method and body changes, the same
errors for a ``Location`` that is not an http(s) URL. Free of I/O.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, NamedTuple

import aiohttp
from yarl import URL

# aiohttp's default max_redirects: the 10th redirect response raises.
MAX_REDIRECTS = 10

REDIRECT_STATUSES = frozenset({301, 302, 303, 307, 308})

# Dropped on every cross-origin hop, as aiohttp does, whatever their value.
_ALWAYS_DROPPED = frozenset({"authorization", "cookie", "proxy-authorization"})

# Request bodies that can be sent a second time as they are.
_REPLAYABLE = (bytes, bytearray, memoryview, str, Mapping)


class Hop(NamedTuple):
    """The request a redirect leads to."""

    method: str
    url: URL
    body: Any
    headers: dict[str, str]


def location_of(response_headers: Mapping[str, str]) -> str | None:
    """Where a redirect response points (``Location``, else ``URI``), if anywhere."""
    return response_headers.get("Location") or response_headers.get("URI")


def _origin(url: URL) -> tuple[str, str, int | None]:
    """Scheme, host and port, the default port spelled out (``http://a`` is ``http://a:80``)."""
    return url.scheme, (url.host or "").lower(), url.port


def target_of(current: URL, location: str) -> URL:
    """The absolute URL ``location`` names, relative to ``current``; raises
    aiohttp's redirect errors when it is not an http(s) URL."""
    try:
        parsed = URL(location)
    except ValueError as error:
        raise aiohttp.InvalidUrlRedirectClientError(
            location, "Server attempted redirecting to a location that does not look like a URL"
        ) from error
    if parsed.scheme not in ("http", "https", ""):
        raise aiohttp.NonHttpUrlRedirectClientError(location)
    target = current.join(parsed)
    if not target.is_absolute() or not target.host:
        raise aiohttp.InvalidUrlRedirectClientError(location, "Invalid redirect URL origin")
    return target


def without_credentials(headers: Mapping[str, str], secrets: tuple[str, ...]) -> dict[str, str]:
    """``headers`` less those that may carry a credential to another origin:
    ``Authorization``, ``Cookie``, ``Proxy-Authorization``, and any whose
    value contains one of the call's credential values (``secrets``)."""
    return {
        name: value
        for name, value in headers.items()
        if name.lower() not in _ALWAYS_DROPPED and not any(secret in str(value) for secret in secrets)
    }


def next_hop(
    status: int,
    method: str,
    current: URL,
    target: URL,
    body: Any,
    headers: dict[str, str],
    secrets: tuple[str, ...],
) -> Hop:
    """The request that follows a ``status`` redirect from ``current`` to ``target``.

    303 (but for HEAD), and 301 or 302 after a POST, become a GET without a
    body, as in aiohttp and browsers; other redirects resend the method and
    body, which must then be one that can be sent twice. On a hop to another
    origin the credential headers are dropped (``without_credentials``).
    """
    if (status == 303 and method.upper() != "HEAD") or (status in (301, 302) and method.upper() == "POST"):
        method, body = "GET", None
        headers = {name: value for name, value in headers.items() if name.lower() != "content-length"}
    elif body is not None and not isinstance(body, _REPLAYABLE):
        raise aiohttp.ClientPayloadError(
            f"cannot follow a {status} redirect: the request body ({type(body).__name__}) cannot be sent twice"
        )
    if _origin(current) != _origin(target):
        headers = without_credentials(headers, secrets)
    return Hop(method, target, body, headers)
