"""Fixtures shared by the host and end-to-end tests.

``fake_upstream`` starts a real aiohttp server on 127.0.0.1 standing in for
the APIs integrations call; it records every request it receives (path,
query, headers, the client's port) and counts requests in flight, so tests
can assert what went over the wire. Nothing here touches the internet.

The fixture integrations live in ``tests/fixtures/plugins``: each folder is
a small distribution (pyproject.toml, a package with config.json and
handlers, an ``apiary.integrations`` or ``apiary.plugins`` entry point).
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from aiohttp import web
from aiohttp.test_utils import TestServer

FIXTURES = Path(__file__).parent / "fixtures"
PLUGINS_DIR = FIXTURES / "plugins"

# The cookie the fake upstream sets on /set-cookie.
UPSTREAM_COOKIE = ("upstream_session", "cookie-value-0451")


@dataclass
class SeenRequest:
    method: str
    path: str
    query: dict[str, str]
    headers: dict[str, str]
    peer: Any


@dataclass
class FakeUpstream:
    """A local HTTP API; ``url(path)`` addresses it."""

    server: TestServer
    requests: list[SeenRequest] = field(default_factory=list)
    in_flight: int = 0
    max_in_flight: int = 0
    gate: asyncio.Event = field(default_factory=asyncio.Event)
    cookie = UPSTREAM_COOKIE

    def url(self, path: str = "/", host: str = "127.0.0.1") -> str:
        return f"http://{host}:{self.server.port}{path}"

    def seen(self, path: str) -> list[SeenRequest]:
        return [request for request in self.requests if request.path == path]

    async def wait_in_flight(self, count: int, max_rounds: int = 2000) -> None:
        """Let the loop run until ``count`` requests wait at /gate (bounded)."""
        for _ in range(max_rounds):
            if self.in_flight >= count:
                return
            await asyncio.sleep(0.005)
        raise AssertionError(f"only {self.in_flight} requests reached /gate, expected {count}")


def _app(upstream: FakeUpstream) -> web.Application:
    async def record(request: web.Request) -> None:
        upstream.requests.append(
            SeenRequest(
                method=request.method,
                path=request.path,
                query=dict(request.query),
                headers=dict(request.headers),
                peer=request.transport.get_extra_info("peername") if request.transport else None,
            )
        )

    async def json_ok(request: web.Request) -> web.Response:
        await record(request)
        return web.json_response({"hello": "world", "items": [1, 2, 3]})

    async def status(request: web.Request) -> web.Response:
        await record(request)
        code = int(request.match_info["code"])
        return web.json_response({"problem": f"status {code} on purpose"}, status=code)

    async def set_cookie(request: web.Request) -> web.Response:
        await record(request)
        response = web.json_response({"set": True})
        response.set_cookie(*UPSTREAM_COOKIE, path="/")
        return response

    async def read_cookie(request: web.Request) -> web.Response:
        await record(request)
        return web.json_response({"cookie": request.headers.get("Cookie")})

    async def whoami(request: web.Request) -> web.Response:
        await record(request)
        return web.json_response(
            {
                "api_key": request.headers.get("X-Api-Key"),
                "authorization": request.headers.get("Authorization"),
                "cookie": request.headers.get("Cookie"),
            }
        )

    async def gate(request: web.Request) -> web.Response:
        await record(request)
        upstream.in_flight += 1
        upstream.max_in_flight = max(upstream.max_in_flight, upstream.in_flight)
        try:
            await upstream.gate.wait()
        finally:
            upstream.in_flight -= 1
        return web.json_response({"passed": True})

    app = web.Application()
    app.router.add_get("/json", json_ok)
    app.router.add_get("/status/{code}", status)
    app.router.add_get("/set-cookie", set_cookie)
    app.router.add_get("/read-cookie", read_cookie)
    app.router.add_get("/whoami", whoami)
    app.router.add_get("/gate", gate)
    return app


@pytest.fixture
async def fake_upstream():
    """A started ``FakeUpstream``; closed after the test."""
    upstream = FakeUpstream(server=None)  # type: ignore[arg-type]
    upstream.server = TestServer(_app(upstream), host="127.0.0.1")
    await upstream.server.start_server()
    try:
        yield upstream
    finally:
        upstream.gate.set()
        await upstream.server.close()


@pytest.fixture
def refused_url() -> str:
    """A URL on 127.0.0.1 where nothing listens."""
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    return f"http://127.0.0.1:{port}/nothing-here"



@pytest.fixture
def blackhole_url():
    """A URL on 127.0.0.1 where connecting hangs, as to a host that drops
    SYNs: a listening socket that never accepts, its backlog filled by
    connections that are never read. Local only (no packet leaves the host)."""
    import select
    import socket

    server = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    server.bind(("127.0.0.1", 0))
    server.listen(0)
    address = server.getsockname()
    fillers = []
    try:
        for _ in range(16):  # bounded: Linux queues backlog + 1 connections
            filler = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
            filler.setblocking(False)
            fillers.append(filler)
            if filler.connect_ex(address) == 0:
                continue
            _, writable, _ = select.select([], [filler], [], 0.1)
            if not writable or filler.getsockopt(socket.SOL_SOCKET, socket.SO_ERROR) != 0:
                break  # this one hangs: the backlog is full
        else:
            raise AssertionError("could not fill the listening socket's backlog")
        yield f"http://127.0.0.1:{address[1]}/never"
    finally:
        for filler in fillers:
            filler.close()
        server.close()
