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
from collections.abc import Iterator
from http.cookies import BaseCookie, SimpleCookie
from typing import Any

import aiohttp


class CallCookies:
    """The cookies of one call; the jar is made when a cookie first arrives."""

    __slots__ = ("jar",)

    def __init__(self) -> None:
        self.jar: aiohttp.CookieJar | None = None

    def writable(self) -> aiohttp.CookieJar:
        if self.jar is None:
            self.jar = aiohttp.CookieJar()
        return self.jar


_current: contextvars.ContextVar[CallCookies | None] = contextvars.ContextVar(
    "autohive_call_cookies", default=None
)


class PerCallCookieJar(aiohttp.DummyCookieJar):
    """Cookie jar for a shared session: cookies live in each call's context.

    Create the shared session with ``cookie_jar=PerCallCookieJar()``. Outside
    a context's request it behaves as ``aiohttp.DummyCookieJar``.
    """

    def update_cookies(self, cookies: Any, response_url: Any = None) -> None:
        box = _current.get()
        if box is not None and cookies:
            if response_url is None:
                box.writable().update_cookies(cookies)
            else:
                box.writable().update_cookies(cookies, response_url)

    def update_cookies_from_headers(self, headers: Any, response_url: Any) -> None:
        # aiohttp 3.12+ hands raw Set-Cookie headers to the jar this way.
        box = _current.get()
        if box is not None and headers:
            box.writable().update_cookies_from_headers(headers, response_url)

    def filter_cookies(self, request_url: Any) -> BaseCookie[str]:
        box = _current.get()
        if box is None or box.jar is None:
            return SimpleCookie()
        return box.jar.filter_cookies(request_url)

    def __iter__(self) -> Iterator[Any]:
        box = _current.get()
        return iter(box.jar) if box is not None and box.jar is not None else iter(())

    def __len__(self) -> int:
        box = _current.get()
        return len(box.jar) if box is not None and box.jar is not None else 0


CookieRoute = contextvars.Token["CallCookies | None"]


def use_cookies(box: CallCookies) -> CookieRoute:
    """Route ``PerCallCookieJar`` to ``box`` in the current context."""
    return _current.set(box)


def release_cookies(token: CookieRoute) -> None:
    _current.reset(token)
