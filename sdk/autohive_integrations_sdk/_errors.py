"""Exceptions of the SDK.

Their constructor signatures and attribute names are public API: integrations
and their tests build and inspect them directly.
"""

from __future__ import annotations

from typing import Any


class ValidationError(Exception):
    """Data did not match its schema, or a handler broke the SDK's rules.

    Raised for inputs, auth and outputs that fail their JSON Schema, for a
    handler returning the wrong type, and for a name with no registered
    handler. ``source`` says which side was wrong: ``"input"`` (the caller's
    inputs or auth), ``"output"`` (what the handler produced) or ``"legacy"``
    (no side recorded, as in SDKs before results carried one).

    ``property`` and ``value`` point at the first offending location when it
    is known; ``value`` is never set for auth, so no credential travels in
    the exception. ``errors`` lists every schema error (an addition).
    """

    def __init__(
        self,
        message: str,
        schema: Any = None,
        inputs: Any = None,
        source: str = "legacy",
        *,
        property: str | None = None,
        value: Any = None,
        errors: list[dict[str, Any]] | None = None,
    ) -> None:
        self.schema = schema
        self.inputs = inputs
        self.message = message
        self.source = source
        self.property = property
        self.value = value
        # Every schema error, as {"property", "message"} (jsonschema's message
        # alone, no schema path); empty when the error is not a schema's.
        self.errors = errors if errors is not None else []
        super().__init__(message)


class ConfigurationError(Exception):
    """An integration's ``config.json`` or handler registration is invalid."""


class HTTPError(Exception):
    """``ExecutionContext.fetch()`` got a non-2xx response (429 excepted).

    ``response_data`` holds the parsed body (JSON when the upstream said so,
    text otherwise) so a handler can read the upstream's own error details;
    ``headers`` the response headers (rate-limit counters, ``Retry-After``).
    """

    def __init__(
        self, status: int, message: str, response_data: Any = None, headers: dict[str, str] | None = None
    ) -> None:
        self.status = status
        self.message = message
        self.response_data = response_data
        self.headers = headers if headers is not None else {}
        super().__init__(f"HTTP {status}: {message}")


class RateLimitError(HTTPError):
    """``ExecutionContext.fetch()`` got HTTP 429.

    ``retry_after`` is the number of seconds the upstream asked us to wait,
    read from ``Retry-After`` in either of its forms (seconds or HTTP date),
    60 when the header is missing or unreadable.
    """

    def __init__(self, retry_after: int, *args: Any, **kwargs: Any) -> None:
        self.retry_after = retry_after
        super().__init__(*args, **kwargs)


def _size(count: int) -> str:
    for unit, scale in (("GiB", 1 << 30), ("MiB", 1 << 20), ("KiB", 1 << 10)):
        if count >= scale:
            return f"{count / scale:.3g} {unit}"
    return f"{count} bytes"


class ResponseTooLargeError(Exception):
    """``ExecutionContext.fetch()`` stopped reading a response larger than
    ``request_config["max_response_bytes"]``.

    ``limit`` is that limit in bytes, ``status`` the response's status, and
    ``content_length`` the size the response declared when that is what gave
    it away (``None`` when the body was cut while streaming). Not an
    ``HTTPError``: the upstream answered, but the body was never read, so a
    handler must not take it for the upstream's own error. Never retried.
    """

    def __init__(self, limit: int, status: int, content_length: int | None = None) -> None:
        self.limit = limit
        self.status = status
        self.content_length = content_length
        found = (
            f"it declares Content-Length {content_length}"
            if content_length is not None
            else "reading stopped past the limit"
        )
        super().__init__(
            f"HTTP {status} response larger than max_response_bytes = {limit} ({_size(limit)}): {found}"
        )
