"""Cookies that belong to one call, on a session shared by many.

A host shares one ``aiohttp.ClientSession`` between every call, so the
session's cookie jar must not keep anything: one call's login cookie would
be sent on the next call, for another account. ``PerCallCookieJar`` keeps
nothing itself; while an ``ExecutionContext`` sends a request it routes the
session's cookie handling (redirect hops included) to that context's own
jar, through a context variable, so each call sees exactly its own cookies.
"""

from __future__ import annotations

import contextvars
from http.cookies import BaseCookie, SimpleCookie
from typing import Any, Iterator, Optional

import aiohttp

_current_jar: contextvars.ContextVar[Optional[aiohttp.CookieJar]] = contextvars.ContextVar(
    "autohive_call_cookie_jar", default=None
)


class PerCallCookieJar(aiohttp.DummyCookieJar):
    """Cookie jar for a shared session: cookies live in each call's context.

    Create the shared session with ``cookie_jar=PerCallCookieJar()``. Outside
    a context's request it behaves as ``aiohttp.DummyCookieJar``.
    """

    def update_cookies(self, cookies: Any, response_url: Any = None) -> None:
        jar = _current_jar.get()
        if jar is not None:
            if response_url is None:
                jar.update_cookies(cookies)
            else:
                jar.update_cookies(cookies, response_url)

    def update_cookies_from_headers(self, headers: Any, response_url: Any) -> None:
        # aiohttp 3.12+ hands raw Set-Cookie headers to the jar this way.
        jar = _current_jar.get()
        if jar is not None:
            jar.update_cookies_from_headers(headers, response_url)

    def filter_cookies(self, request_url: Any) -> "BaseCookie[str]":
        jar = _current_jar.get()
        return jar.filter_cookies(request_url) if jar is not None else SimpleCookie()

    def __iter__(self) -> Iterator[Any]:
        jar = _current_jar.get()
        return iter(jar) if jar is not None else iter(())

    def __len__(self) -> int:
        jar = _current_jar.get()
        return len(jar) if jar is not None else 0


def use_jar(jar: aiohttp.CookieJar) -> contextvars.Token:
    """Route ``PerCallCookieJar`` to ``jar`` in the current context."""
    return _current_jar.set(jar)


def release_jar(token: contextvars.Token) -> None:
    _current_jar.reset(token)
