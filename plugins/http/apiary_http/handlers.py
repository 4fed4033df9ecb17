"""The ``request`` action: one HTTP request, its response as plain data.

Everything a request needs is built here rather than left to ``fetch()``:

- the ``Authorization`` header, from the call's auth (``fetch()`` only adds
  one for platform OAuth, which this integration does not use);
- the query string, because ``fetch(params=...)`` JSON-encodes lists and
  writes booleans as ``True``; here an array repeats its parameter and
  booleans are ``true``/``false``;
- the body, already encoded to bytes with its ``Content-Type``, so that a
  JSON ``null`` or an empty form is still sent.

Non-2xx statuses make ``fetch()`` raise ``HTTPError``; unless the caller
asked for ``raise_for_status``, that becomes an ordinary result carrying the
status and body.
"""

from __future__ import annotations

import base64
import json
from collections.abc import Mapping
from typing import Any
from urllib.parse import quote, urlencode, urlsplit, urlunsplit

from autohive_integrations_sdk import (
    ActionHandler,
    ActionResult,
    ExecutionContext,
    HTTPError,
    Integration,
    RateLimitError,
    ValidationError,
)

integration = Integration.load()

AUTH_KINDS = ("none", "bearer", "basic")
_FIELDS_OF = {"none": set(), "bearer": {"token"}, "basic": {"username", "password"}}


# ---- auth --------------------------------------------------------------------


def _auth_problem(message: str, prop: str) -> ValidationError:
    # Never a credential value in the message: only field names and kinds.
    return ValidationError(message, source="input", property=prop)


def resolve_auth(auth: Any) -> tuple[str, Mapping[str, Any]]:
    """The auth kind and the fields that go with it.

    ``auth`` is flat (``{"kind": "bearer", "token": ...}``, as passed to
    ``host.call(auth=...)``) or wrapped as the host config produces it
    (``{"auth_type": "bearer", "credentials": {"token": ...}}``), wrapped
    meaning exactly what the SDK validates as wrapped. The kind is ``kind``
    if given, else ``auth_type``, else read from the fields present. The
    config.json schema has already checked the fields' shape; what it cannot
    see (``auth_type`` beside ``credentials``) is checked here.
    """
    if not isinstance(auth, Mapping):
        return "none", {}
    fields: Mapping[str, Any] = auth
    declared: str | None = None
    if isinstance(auth.get("credentials"), Mapping) and set(auth) <= {"auth_type", "credentials"}:
        fields = auth["credentials"]
        if auth.get("auth_type") is not None:
            declared = str(auth["auth_type"]).lower()
            if declared not in AUTH_KINDS:
                raise _auth_problem(
                    f"auth_type {auth['auth_type']!r} is not an auth kind of this integration "
                    f"(one of {', '.join(AUTH_KINDS)}, or leave it out)",
                    "auth_type",
                )
    kind = fields.get("kind")
    if kind is not None and declared is not None and kind != declared:
        raise _auth_problem(f"auth_type {declared!r} and kind {kind!r} disagree", "kind")
    kind = kind or declared
    present = {name for name in ("token", "username", "password") if name in fields}
    if kind is None:
        kind = "bearer" if "token" in present else "basic" if present else "none"
    wanted = _FIELDS_OF[kind]
    if present != wanted:
        needed = " and ".join(sorted(wanted)) or "no other field"
        got = ", ".join(sorted(present)) or "none"
        raise _auth_problem(f"auth of kind {kind!r} takes {needed}; got {got}", sorted(present ^ wanted)[0])
    return kind, fields


def authorization(kind: str, fields: Mapping[str, Any]) -> str | None:
    """The ``Authorization`` header value for ``kind``, ``None`` for none."""
    if kind == "bearer":
        return f"Bearer {fields['token']}"
    if kind == "basic":
        pair = f"{fields['username']}:{fields['password']}".encode()
        return "Basic " + base64.b64encode(pair).decode("ascii")
    return None


# ---- request ---------------------------------------------------------------------


def _query_value(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (int, float)):
        return json.dumps(value)
    return str(value)


def encode_query(query: Mapping[str, Any] | None) -> str:
    """``query`` as a percent-encoded query string (space as ``%20``);
    an array repeats its key once per item, an empty array sends nothing."""
    pairs: list[tuple[str, str]] = []
    for key, value in (query or {}).items():
        for item in value if isinstance(value, list) else [value]:
            pairs.append((key, _query_value(item)))
    return urlencode(pairs, quote_via=quote)


def build_url(url: str, query: Mapping[str, Any] | None) -> str:
    """``url`` with ``query`` appended to its own query, fragment dropped."""
    parts = urlsplit(url)
    extra = encode_query(query)
    combined = "&".join(part for part in (parts.query, extra) if part)
    return urlunsplit((parts.scheme, parts.netloc, parts.path, combined, ""))


def _has_header(headers: Mapping[str, str], name: str) -> bool:
    return any(key.lower() == name for key in headers)


def encode_body(inputs: Mapping[str, Any]) -> tuple[bytes | None, str | None]:
    """The body as bytes and its default ``Content-Type``; ``(None, None)`` without one."""
    if "json" in inputs:
        text = json.dumps(inputs["json"], ensure_ascii=False, separators=(",", ":"))
        return text.encode("utf-8"), "application/json"
    if "form" in inputs:
        return urlencode(inputs["form"]).encode("ascii"), "application/x-www-form-urlencoded"
    if "text" in inputs:
        return inputs["text"].encode("utf-8"), "text/plain; charset=utf-8"
    return None, None


def _body(data: Any) -> Any:
    """No body reads as ``null`` (the SDK gives ``""`` for an empty non-200/201/204)."""
    return None if data == "" else data


@integration.action("request")
class Request(ActionHandler):
    """Send the request; return ``{status, ok, headers, body[, retry_after]}``."""

    async def execute(self, inputs: dict[str, Any], context: ExecutionContext) -> ActionResult:
        kind, fields = resolve_auth(context.auth)
        headers: dict[str, str] = dict(inputs.get("headers") or {})
        if kind != "none" and _has_header(headers, "authorization"):
            raise ValidationError(
                f"headers sets Authorization, but the integration's auth (kind {kind!r}) sets it; "
                "remove it from headers, or call with auth of kind 'none'",
                source="input",
                property="headers.Authorization",
            )
        credential = authorization(kind, fields)
        if credential is not None:
            headers["Authorization"] = credential
        body, content_type = encode_body(inputs)
        if content_type is not None and not _has_header(headers, "content-type"):
            headers["Content-Type"] = content_type

        raise_for_status = inputs.get("raise_for_status", False)
        try:
            response = await context.fetch(
                build_url(inputs["url"], inputs.get("query")),
                method=inputs["method"],
                data=body,
                headers=headers or None,
                timeout=inputs.get("timeout"),
            )
        except HTTPError as error:  # 4xx and 5xx, 429 included (RateLimitError)
            if raise_for_status:
                raise
            data = {"status": error.status, "ok": False, "headers": {}, "body": _body(error.response_data)}
            if isinstance(error, RateLimitError):
                data["retry_after"] = error.retry_after
            return ActionResult(data=data)

        ok = 200 <= response.status < 300
        if raise_for_status and not ok:  # a 3xx that was not followed (304, ...)
            raise HTTPError(response.status, str(response.data), response.data)
        return ActionResult(
            data={
                "status": response.status,
                "ok": ok,
                "headers": {name.lower(): value for name, value in response.headers.items()},
                "body": _body(response.data),
            }
        )
