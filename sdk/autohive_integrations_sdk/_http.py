"""Pure helpers behind ``ExecutionContext.fetch()``: how a request is built,
when a failure may be retried, and how a response body is read.

Kept free of I/O so each rule can be tested on its own.
"""

from __future__ import annotations

import json as _json
import math
from collections.abc import Callable, Mapping
from datetime import UTC, datetime
from typing import Any
from urllib.parse import urlencode, urlsplit

import aiohttp

DEFAULT_RETRY_AFTER = 60

# RFC 9110 idempotent methods: repeating one has the effect of sending it once.
_IDEMPOTENT = frozenset({"GET", "HEAD", "OPTIONS", "TRACE", "PUT", "DELETE"})

# Failures that prove the request never reached the server: the connection
# was refused, the name did not resolve, or connecting timed out.
_NEVER_SENT: tuple[type, ...] = (aiohttp.ClientConnectorError, aiohttp.ConnectionTimeoutError)

# Failures the same request would meet again: a URL that is not a valid
# http(s) URL (given, or in a redirect), a redirect loop, a TLS failure (an
# untrusted or mismatched certificate). Checked before _NEVER_SENT, whose
# ClientConnectorError the TLS errors subclass.
_NEVER_RETRIED: tuple[type, ...] = (
    aiohttp.InvalidURL,
    aiohttp.NonHttpUrlClientError,
    aiohttp.RedirectClientError,
    aiohttp.TooManyRedirects,
    aiohttp.ClientSSLError,
    aiohttp.ServerFingerprintMismatch,
)


def bearer_header(auth: Any) -> str | None:
    """The ``Authorization`` value ``fetch()`` adds for platform OAuth.

    A missing ``auth_type`` counts as ``PlatformOauth2``; any other type, or
    no ``credentials.access_token``, adds nothing.
    """
    if not isinstance(auth, Mapping) or not auth:
        return None
    if auth.get("auth_type", "PlatformOauth2") != "PlatformOauth2":
        return None
    credentials = auth.get("credentials")
    if isinstance(credentials, Mapping) and "access_token" in credentials:
        return f"Bearer {credentials['access_token']}"
    return None


def has_header(headers: Mapping[str, Any] | None, name: str) -> bool:
    """Whether ``headers`` sets ``name``, whatever its case."""
    lowered = name.lower()
    return any(key.lower() == lowered for key in (headers or {}))


def with_query(url: str, params: Mapping[str, Any] | None) -> str:
    """Append ``params`` to ``url``'s query: dicts and lists JSON-encoded,
    ``None`` dropped. A ``#fragment`` stays last, out of the query (clients
    never send it, so params written after it would be lost)."""
    if not params:
        return url
    flat = {}
    for key, value in params.items():
        if isinstance(value, (dict, list)):
            flat[key] = _json.dumps(value)
        elif value is not None:
            flat[key] = str(value)
    if not flat:
        return url
    base, hash_sign, fragment = url.partition("#")
    separator = "" if base.endswith(("?", "&")) else "&" if "?" in base else "?"
    return f"{base}{separator}{urlencode(flat)}{hash_sign}{fragment}"


def media_type(content_type: str | None) -> str:
    """The media type of a ``Content-Type`` value, lower case, without parameters."""
    return (content_type or "").split(";", 1)[0].strip().lower()


def is_json(content_type: str | None) -> bool:
    """Whether ``content_type`` names JSON (``application/json`` or a ``+json`` type)."""
    media = media_type(content_type)
    return media == "application/json" or media.endswith("+json")


def encode_body(data: Any, content_type: str | None) -> Any:
    """Encode a body for ``content_type`` (parameters such as ``charset``
    ignored): JSON for a JSON media type, form for a mapping sent
    form-urlencoded, else as given."""
    if data is None:
        return None
    if is_json(content_type):
        return _json.dumps(data)
    if media_type(content_type) == "application/x-www-form-urlencoded" and isinstance(data, Mapping):
        return urlencode(data)
    return data


def may_retry(method: str, error: BaseException) -> bool:
    """Whether a failure of ``method`` may be retried.

    Never when retrying cannot help (an invalid URL or scheme, a redirect
    loop, a TLS failure), whatever the method. Otherwise idempotent methods
    may; others (POST, PATCH) only when the request provably never left, so
    a write is never repeated upstream.
    """
    if isinstance(error, _NEVER_RETRIED):
        return False
    return method.upper() in _IDEMPOTENT or isinstance(error, _NEVER_SENT)


def client_timeout(total: float, base: aiohttp.ClientTimeout | None) -> aiohttp.ClientTimeout:
    """The timeout of one request: ``total`` from the call, the connect,
    sock_connect and sock_read timeouts from ``base`` (the session's), so a
    connect that hangs fails after the session's connect timeout."""
    if base is None:
        return aiohttp.ClientTimeout(total=total)
    return aiohttp.ClientTimeout(
        total=total,
        connect=base.connect,
        sock_read=base.sock_read,
        sock_connect=base.sock_connect,
        ceil_threshold=base.ceil_threshold,
    )


def parse_retry_after(value: str | None, now: datetime | None = None) -> int:
    """Seconds to wait from a ``Retry-After`` header: delay-seconds or an HTTP
    date; missing or unreadable gives 60."""
    if value is None:
        return DEFAULT_RETRY_AFTER
    value = value.strip()
    if value.isascii() and value.isdigit():
        return int(value)
    from email.utils import parsedate_to_datetime  # rare path; keeps SDK import light

    try:
        when = parsedate_to_datetime(value)
    except (TypeError, ValueError, IndexError):
        return DEFAULT_RETRY_AFTER
    if when.tzinfo is None:  # RFC 9110 dates are GMT
        when = when.replace(tzinfo=UTC)
    delay = (when - (now or datetime.now(UTC))).total_seconds()
    return max(0, math.ceil(delay))


def decode_body(raw: bytes | bytearray, content_type: str, charset: Callable[[], str | None], status: int) -> Any:
    """Parsed JSON when the response says JSON (text if it is not valid),
    text otherwise, ``None`` for an empty 200/201/204. ``charset`` is asked
    only when text must be decoded."""
    if not raw:
        return None if status in (200, 201, 204) else ""
    media = media_type(content_type)
    if "application/json" in media or media.endswith("+json"):  # lenient: text is the fallback
        try:
            return _json.loads(raw)
        except ValueError:
            pass
    try:
        return raw.decode(charset() or "utf-8", errors="replace")
    except LookupError:  # an unknown charset name
        return raw.decode("utf-8", errors="replace")


def secret_strings(auth: Any) -> tuple[str, ...]:
    """The credential values in ``auth`` worth masking (4+ characters)."""
    found = []
    stack = [auth]
    while stack:
        value = stack.pop()
        if isinstance(value, Mapping):
            stack.extend(inner for key, inner in value.items() if key != "auth_type")
        elif isinstance(value, (list, tuple)):
            stack.extend(value)
        elif isinstance(value, str) and len(value) >= 4:
            found.append(value)
    return tuple(sorted(set(found), key=len, reverse=True))


def describe_url(url: str, secrets: tuple[str, ...] = ()) -> dict[str, str]:
    """Scheme+host and path of ``url`` for logs: never the query, which may
    carry tokens, nor user info, and no credential inside the path (as in
    ``/bot<token>/sendMessage``)."""
    try:
        parts = urlsplit(url)
        host = parts.hostname or ""
        if parts.port:
            host = f"{host}:{parts.port}"
    except ValueError:  # not a URL (an unclosed IPv6 bracket, a bad port): nothing to show
        return {"origin": "<invalid URL>", "path": ""}
    path = parts.path or "/"
    for secret in secrets:
        path = path.replace(secret, "[redacted]")
    return {"origin": f"{parts.scheme}://{host}", "path": path}
