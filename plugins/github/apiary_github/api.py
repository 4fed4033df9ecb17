"""Talking to the GitHub REST API: requests, errors, ``Link`` pagination.

Every request goes through ``ExecutionContext.fetch`` (so through the host's
shared pool and its upstream override) with GitHub's media type, API
version and the bearer token of the call.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from typing import Any
from urllib.parse import quote, urlsplit

from autohive_integrations_sdk import ActionError, ExecutionContext, FetchResponse, HTTPError, RateLimitError

API_BASE = "https://api.github.com"
API_VERSION = "2022-11-28"
USER_AGENT = "apiary-github/1.0.0"

# However the inputs are set, no list action reads more pages than this.
HARD_MAX_PAGES = 10
# Seconds to wait when GitHub signals a rate limit with 403 (the SDK only
# turns 429 into RateLimitError, and HTTPError carries no headers to read).
DEFAULT_RETRY_AFTER = 60


def access_token(auth: Any) -> str | None:
    """The token from wrapped auth (``{"auth_type", "credentials": {...}}``)
    or flat auth (``{"access_token": ...}``)."""
    if not isinstance(auth, Mapping):
        return None
    credentials = auth.get("credentials")
    source = credentials if isinstance(credentials, Mapping) else auth
    token = source.get("access_token")
    return token if isinstance(token, str) and token else None


def request_headers(context: ExecutionContext) -> dict[str, str]:
    headers = {
        "Accept": "application/vnd.github+json",
        "X-GitHub-Api-Version": API_VERSION,
        "User-Agent": USER_AGENT,
    }
    token = access_token(context.auth)
    if token is not None:
        # Explicit, so flat auth works too (fetch only adds it for wrapped auth).
        headers["Authorization"] = f"Bearer {token}"
    return headers


def path(*segments: Any) -> str:
    """An API URL from path segments, each percent-encoded (no ``/`` inside one)."""
    return API_BASE + "".join("/" + quote(str(segment), safe="") for segment in segments)


def _is_rate_limit(error: HTTPError) -> bool:
    data = error.response_data
    message = data.get("message", "") if isinstance(data, Mapping) else str(data or "")
    return error.status == 403 and "rate limit" in str(message).lower()


async def github_fetch(
    context: ExecutionContext,
    url: str,
    *,
    method: str = "GET",
    params: dict[str, Any] | None = None,
    json: Any = None,
) -> FetchResponse:
    """One GitHub request. Non-2xx raises ``HTTPError``; 429, and 403 whose
    message says "rate limit" (GitHub's primary and secondary limits), raise
    ``RateLimitError``."""
    try:
        return await context.fetch(url, method=method, params=params, json=json, headers=request_headers(context))
    except RateLimitError:
        raise
    except HTTPError as error:
        if _is_rate_limit(error):
            raise RateLimitError(DEFAULT_RETRY_AFTER, error.status, error.message, error.response_data) from error
        raise


def upstream_message(error: HTTPError) -> str:
    """GitHub's own explanation from an error body: its ``message`` and the
    messages or ``field code`` pairs of its ``errors``."""
    data = error.response_data
    if not isinstance(data, Mapping):
        return str(data or error.message)[:300]
    parts = []
    for item in data.get("errors") or []:
        if isinstance(item, Mapping):
            text = item.get("message") or " ".join(
                str(item[key]) for key in ("resource", "field", "code") if item.get(key)
            )
            if text:
                parts.append(str(text))
        elif item:
            parts.append(str(item))
    message = str(data.get("message") or f"HTTP {error.status}")
    return f"{message} ({'; '.join(parts)})" if parts else message


def expected_failure(error: HTTPError, what: str | None) -> ActionError:
    """The ``ActionError`` for a failure caused by the inputs, or re-raise.

    404 and 410 mean ``what`` (the resource the inputs name; ``None`` when
    they name none) does not exist or the token cannot see it (GitHub
    answers 404 for private resources); 422 means GitHub rejected the
    request as invalid. Any other status (401, 403, 429, 5xx...) propagates,
    and the host reports it as ``upstream_error`` with the status.
    """
    if isinstance(error, RateLimitError):
        raise error
    if error.status in (404, 410) and what is not None:
        return ActionError(message=f"{what} was not found, or the token has no access to it (HTTP {error.status})")
    if error.status == 422:
        return ActionError(message=f"GitHub rejected the request: {upstream_message(error)}")
    raise error


# ---- Link headers ------------------------------------------------------------

_LINK = re.compile(r"<([^>]*)>([^<]*)")
_PARAM = re.compile(r';\s*([^\s=;,]+)\s*(?:=\s*("(?:[^"\\]|\\.)*"|[^\s;,]*))?')


def header(headers: Mapping[str, Any] | None, name: str) -> str | None:
    """The value of header ``name`` in a plain dict, whatever the keys' case."""
    lowered = name.lower()
    for key, value in (headers or {}).items():
        if str(key).lower() == lowered:
            return value if isinstance(value, str) else str(value)
    return None


def parse_link_header(value: str | None) -> dict[str, str]:
    """``{rel: url}`` from an RFC 8288 ``Link`` header.

    Tolerates any spacing, quoted or bare ``rel`` values, several relations
    in one ``rel`` (``rel="next last"``), other parameters, commas inside
    URLs and relation names in any case. The first link of a relation wins.
    """
    links: dict[str, str] = {}
    for match in _LINK.finditer(value or ""):
        url, rest = match.group(1).strip(), match.group(2)
        for param in _PARAM.finditer(rest):
            if param.group(1).lower() != "rel" or param.group(2) is None:
                continue
            rels = param.group(2).strip('"')
            for rel in rels.lower().split():
                links.setdefault(rel, url)
    return links


def _same_origin(url: str) -> bool:
    parts, base = urlsplit(url), urlsplit(API_BASE)
    return (parts.scheme, parts.netloc.lower()) == (base.scheme, base.netloc)


async def paginate(
    context: ExecutionContext,
    url: str,
    params: dict[str, Any],
    *,
    limit: int,
    max_pages: int,
    items_of: Callable[[Any], list[Any]] = lambda data: data if isinstance(data, list) else [],
    keep: Callable[[Mapping[str, Any]], bool] = lambda item: True,
) -> tuple[list[Mapping[str, Any]], bool, Any]:
    """Read a list, following ``rel="next"`` links, until ``limit`` items are
    kept or ``max_pages`` pages (never more than ``HARD_MAX_PAGES``) are read.

    Next links are followed only to GitHub's API origin (the token is never
    sent elsewhere) and never twice. Returns the items, whether more exist
    beyond what was returned, and the first page's decoded body.
    """
    kept: list[Mapping[str, Any]] = []
    seen = set()
    first_page: Any = None
    next_url: str | None = url
    page_params: dict[str, Any] | None = params
    for _ in range(min(max_pages, HARD_MAX_PAGES)):
        seen.add(next_url)
        response = await github_fetch(context, next_url, params=page_params)
        if first_page is None:
            first_page = response.data
        items = [item for item in items_of(response.data) if isinstance(item, Mapping) and keep(item)]
        room = limit - len(kept)
        kept.extend(items[:room])
        link = parse_link_header(header(response.headers, "Link")).get("next")
        if len(items) > room:
            return kept, True, first_page
        if link is None:
            return kept, False, first_page
        if len(kept) >= limit or link in seen or not _same_origin(link):
            return kept, True, first_page
        next_url, page_params = link, None  # the next link carries the whole query
    return kept, True, first_page
