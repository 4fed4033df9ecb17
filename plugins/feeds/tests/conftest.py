"""A fake feed server on 127.0.0.1, and a host pointed at it.

``https://feeds.example.com`` is overridden to the fake, which serves:

- ``/rss.xml``, ``/atom.xml``, ``/rdf.xml``: the RSS 2.0, Atom 1.0 and
  RSS 1.0 (RDF) documents in ``feeds_data/``;
- ``/latin1.xml``: an ISO-8859-1 RSS document, charset in the header;
- ``/page.html``, ``/garbage``, ``/sitemap.xml``, ``/empty``, ``/json``:
  things that are not feeds;
- ``/rss-as-html``: the RSS 2.0 document served as ``text/html``;
- ``/missing`` (404), ``/broken`` (500) and ``/limited`` (429, Retry-After 120);
- ``/many.xml``: 250 generated items, newest first, one hour apart;
- ``/live.xml``: an RSS 2.0 feed built from ``feeds.live`` on every
  request, so a test can publish (``feeds.publish(...)``) between polls.

Nothing here imports from the test modules or they from here, beyond
fixtures: every plugin's tests run in one pytest session.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime
from pathlib import Path
from typing import Any
from xml.sax.saxutils import escape

import pytest
from aiohttp import web
from aiohttp.test_utils import TestServer

from apiary.testing import host_with_upstreams, origin_of
from autohive_integrations_sdk import ExecutionContext

FEEDS_ORIGIN = "https://feeds.example.com"
DATA = Path(__file__).parent / "feeds_data"
MANY_NEWEST = datetime(2024, 6, 30, 12, 0, tzinfo=UTC)


@dataclass
class LiveItem:
    guid: str | None
    title: str
    published: datetime | None
    link: str | None = None


@dataclass
class FakeFeeds:
    live: list[LiveItem] = field(default_factory=list)
    live_updated: datetime | None = None  # the channel's lastBuildDate
    requests: list[dict[str, Any]] = field(default_factory=list)

    def publish(
        self, guid: str | None, title: str, published: datetime | None, link: str | None = None
    ) -> None:
        """Put an item at the top of ``/live.xml`` (feeds list newest first)."""
        self.live.insert(0, LiveItem(guid, title, published, link))


def _rss(title: str, items: list[LiveItem], updated: datetime | None) -> str:
    parts = [
        '<?xml version="1.0" encoding="UTF-8"?>',
        '<rss version="2.0"><channel>',
        f"<title>{escape(title)}</title><link>https://live.example.com/</link>",
        "<description>Generated for the tests</description>",
    ]
    if updated is not None:
        parts.append(f"<lastBuildDate>{format_datetime(updated, usegmt=True)}</lastBuildDate>")
    for item in items:
        parts.append("<item>")
        parts.append(f"<title>{escape(item.title)}</title>")
        if item.link:
            parts.append(f"<link>{escape(item.link)}</link>")
        if item.guid:
            parts.append(f'<guid isPermaLink="false">{escape(item.guid)}</guid>')
        if item.published is not None:
            parts.append(f"<pubDate>{format_datetime(item.published, usegmt=True)}</pubDate>")
        parts.append("</item>")
    parts.append("</channel></rss>")
    return "\n".join(parts)


def many_items() -> list[LiveItem]:
    return [
        LiveItem(f"many-{n:03d}", f"Generated item {n}", MANY_NEWEST - timedelta(hours=n)) for n in range(250)
    ]


def _app(fakes: FakeFeeds) -> web.Application:
    def file(name: str, content_type: str, charset: str | None = "utf-8"):
        async def handler(request: web.Request) -> web.Response:
            body = (DATA / name).read_bytes()
            header = f"{content_type}; charset={charset}" if charset else content_type
            return web.Response(body=body, headers={"Content-Type": header})

        return handler

    async def record(request: web.Request, handler: Any) -> web.StreamResponse:
        fakes.requests.append({"path": request.path, "headers": dict(request.headers)})
        return await handler(request)

    async def empty(request: web.Request) -> web.Response:
        return web.Response(status=200, body=b"", headers={"Content-Type": "application/rss+xml"})

    async def json_body(request: web.Request) -> web.Response:
        return web.json_response({"items": [], "note": "this is JSON"})

    async def missing(request: web.Request) -> web.Response:
        return web.Response(status=404, text="Not Found", content_type="text/plain")

    async def broken(request: web.Request) -> web.Response:
        return web.Response(
            status=500, text="<html><body>Internal Server Error</body></html>", content_type="text/html"
        )

    async def limited(request: web.Request) -> web.Response:
        return web.Response(status=429, text="slow down", headers={"Retry-After": "120"})

    async def many(request: web.Request) -> web.Response:
        return web.Response(text=_rss("Many items", many_items(), MANY_NEWEST), content_type="application/rss+xml")

    async def live(request: web.Request) -> web.Response:
        return web.Response(text=_rss("Live feed", fakes.live, fakes.live_updated), content_type="application/rss+xml")

    app = web.Application(middlewares=[web.middleware(record)])
    app.router.add_get("/rss.xml", file("rss2.xml", "application/rss+xml"))
    app.router.add_get("/atom.xml", file("atom.xml", "application/atom+xml"))
    app.router.add_get("/rdf.xml", file("rdf.xml", "application/rdf+xml", charset=None))
    app.router.add_get("/latin1.xml", file("latin1.xml", "text/xml", charset="ISO-8859-1"))
    app.router.add_get("/page.html", file("page.html", "text/html"))
    app.router.add_get("/garbage", file("garbage.txt", "text/plain"))
    app.router.add_get("/sitemap.xml", file("sitemap.xml", "application/xml"))
    app.router.add_get("/empty", empty)
    app.router.add_get("/json", json_body)
    app.router.add_get("/missing", missing)
    app.router.add_get("/broken", broken)
    app.router.add_get("/rss-as-html", file("rss2.xml", "text/html"))
    app.router.add_get("/limited", limited)
    app.router.add_get("/many.xml", many)
    app.router.add_get("/live.xml", live)
    return app


@pytest.fixture
def feeds() -> FakeFeeds:
    """The fake's state: ``live`` items, ``live_updated``, ``requests`` seen."""
    return FakeFeeds()


@pytest.fixture
async def feed_server(feeds: FakeFeeds):
    async with TestServer(_app(feeds), host="127.0.0.1") as server:
        yield server


@pytest.fixture
async def feeds_host(feed_server: TestServer):
    """An entered host whose requests for https://feeds.example.com go to the fake."""
    async with host_with_upstreams({FEEDS_ORIGIN: origin_of(feed_server)}) as host:
        yield host


@pytest.fixture
def poll_feed(feeds_host):
    """``await poll_feed(path, last_poll_ts)``: run the ``new_items`` trigger
    through the host's loaded integration and pool session (the host has no
    trigger API yet); ``path`` is on https://feeds.example.com."""
    integration = feeds_host.registry.load(feeds_host.registry.get("feeds"))

    async def poll(path: str, last_poll_ts: str | None, inputs: dict[str, Any] | None = None):
        session = feeds_host._pool.session_for("feeds", feeds_host.config.connections_for("feeds"))
        async with ExecutionContext(session=session) as context:
            return await integration.execute_polling_trigger(
                "new_items", inputs if inputs is not None else {"url": FEEDS_ORIGIN + path}, last_poll_ts, context
            )

    return poll
