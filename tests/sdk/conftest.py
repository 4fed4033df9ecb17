"""Shared fixtures for the SDK tests.

Fake upstreams are real servers on 127.0.0.1: ``upstream`` is an aiohttp
web app for well-formed HTTP, ``raw_upstream`` a bare TCP server for the
misbehaving kinds (drops the connection, never answers), and
``refused_port`` a port that refuses connections. ``sleeps`` replaces
``asyncio.sleep`` so retry back-off costs nothing and can be inspected.
"""

from __future__ import annotations

import asyncio
import copy
import json
import socket
from collections.abc import Awaitable, Callable
from typing import Any
from unittest.mock import AsyncMock

import aiohttp
import pytest
from aiohttp import web
from aiohttp.test_utils import TestServer

from autohive_integrations_sdk._config import parse_config
from autohive_integrations_sdk.integration import Integration

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]


# ---- integrations ------------------------------------------------------------

AUTH_FIELDS = {
    "type": "object",
    "properties": {"api_key": {"type": "string", "pattern": "^key_"}},
    "required": ["api_key"],
}

BASE_CONFIG: dict[str, Any] = {
    "name": "demo",
    "version": "1.0.0",
    "description": "An integration for tests",
    "display_name": "Demo",
    "entry_point": "demo.py",
    "supports_connected_account": True,
    "auth": {"type": "custom", "fields": AUTH_FIELDS},
    "actions": {
        "greet": {
            "display_name": "Greet",
            "description": "Say hello",
            "input_schema": {
                "type": "object",
                "properties": {"name": {"type": "string"}, "times": {"type": "integer", "minimum": 1}},
                "required": ["name"],
            },
            "output_schema": {
                "type": "object",
                "properties": {"greeting": {"type": "string"}},
                "required": ["greeting"],
            },
        },
    },
    "polling_triggers": {
        "new_items": {
            "description": "New items",
            "polling_interval": "5m",
            "input_schema": {
                "type": "object",
                "properties": {"folder": {"type": "string"}},
                "required": ["folder"],
            },
            "output_schema": {
                "type": "object",
                "properties": {"title": {"type": "string"}},
                "required": ["title"],
            },
        },
    },
}

VALID_AUTH = {"api_key": "key_0123456789"}


@pytest.fixture
def config_dict() -> dict[str, Any]:
    """A fresh, mutable copy of a complete config.json document."""
    return copy.deepcopy(BASE_CONFIG)


@pytest.fixture
def make_integration() -> Callable[[dict[str, Any]], Integration]:
    """Build an ``Integration`` from an in-memory config.json document."""

    def make(config: dict[str, Any]) -> Integration:
        return Integration(parse_config(config))

    return make


@pytest.fixture
def integration(config_dict, make_integration) -> Integration:
    return make_integration(config_dict)


@pytest.fixture
def write_config(tmp_path):
    """Write a config.json (a dict, or raw text) into a folder; return its path."""

    def write(config: dict[str, Any] | str, folder=None):
        folder = folder or tmp_path
        folder.mkdir(parents=True, exist_ok=True)
        path = folder / "config.json"
        path.write_text(config if isinstance(config, str) else json.dumps(config), encoding="utf-8")
        return path

    return write


# ---- retry back-off ----------------------------------------------------------


class SleepRecorder:
    """Stands in for ``asyncio.sleep``; returns at once and remembers delays."""

    def __init__(self) -> None:
        self.mock = AsyncMock(return_value=None)

    @property
    def delays(self) -> list[float]:
        return [call.args[0] for call in self.mock.await_args_list]


@pytest.fixture
def sleeps(monkeypatch) -> SleepRecorder:
    recorder = SleepRecorder()
    monkeypatch.setattr(asyncio, "sleep", recorder.mock)
    return recorder


# ---- fake upstreams ----------------------------------------------------------


class Upstream:
    """A started aiohttp server; ``requests`` records everything it received."""

    def __init__(self, server: TestServer, requests: list[dict[str, Any]]) -> None:
        self.server = server
        self.requests = requests

    @property
    def port(self) -> int:
        return self.server.port

    def url(self, path: str = "/", host: str = "127.0.0.1") -> str:
        return f"http://{host}:{self.server.port}{path}"


@pytest.fixture
async def upstream():
    """Factory: ``await upstream(handler)`` or ``await upstream({path: handler})``.

    Every request is recorded (method, path, raw_path, query, headers, body,
    cookies, client port) before the handler runs.
    """
    servers: list[TestServer] = []

    async def start(routes: Handler | dict[str, Handler]) -> Upstream:
        requests: list[dict[str, Any]] = []
        table = routes if isinstance(routes, dict) else {None: routes}

        async def dispatch(request: web.Request) -> web.StreamResponse:
            body = await request.read()
            peer = request.transport.get_extra_info("peername") if request.transport else None
            requests.append(
                {
                    "method": request.method,
                    "path": request.path,
                    "raw_path": request.raw_path,
                    "query": request.query.copy(),
                    "headers": request.headers.copy(),
                    "body": body,
                    "cookies": dict(request.cookies),
                    "client_port": peer[1] if peer else None,
                }
            )
            handler = table.get(request.path) or table.get(None)
            if handler is None:
                return web.Response(status=404, text="no route")
            return await handler(request)

        app = web.Application()
        app.router.add_route("*", "/{tail:.*}", dispatch)
        server = TestServer(app)
        await server.start_server()
        servers.append(server)
        return Upstream(server, requests)

    yield start
    for server in servers:
        await server.close()


class RawUpstream:
    """A bare TCP server that reads one HTTP request per connection, then
    drops the connection (``"close"``), never answers (``"hang"``), or sends
    ``response`` bytes. ``plan`` gives the behaviour per request, in order;
    the last entry repeats."""

    def __init__(self, plan: list[str | bytes]) -> None:
        self.plan = plan
        self.requests: list[bytes] = []
        self.release = asyncio.Event()
        self.server: asyncio.AbstractServer | None = None
        self._writers: list[asyncio.StreamWriter] = []

    @property
    def port(self) -> int:
        assert self.server is not None
        return self.server.sockets[0].getsockname()[1]

    def url(self, path: str = "/") -> str:
        return f"http://127.0.0.1:{self.port}{path}"

    async def _read_request(self, reader: asyncio.StreamReader) -> bytes | None:
        try:
            head = await reader.readuntil(b"\r\n\r\n")
        except (asyncio.IncompleteReadError, ConnectionError):
            return None
        length = 0
        for line in head.split(b"\r\n"):
            name, _, value = line.partition(b":")
            if name.strip().lower() == b"content-length":
                length = int(value.strip())
        body = await reader.readexactly(length) if length else b""
        return head + body

    async def handle(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self._writers.append(writer)
        try:
            while True:
                request = await self._read_request(reader)
                if request is None:
                    return
                self.requests.append(request)
                action = self.plan[min(len(self.requests), len(self.plan)) - 1]
                if action == "close":
                    return
                if action == "hang":
                    await self.release.wait()
                    return
                writer.write(action)
                await writer.drain()
        finally:
            writer.close()

    async def start(self, sock: socket.socket | None = None) -> RawUpstream:
        if sock is not None:
            sock.listen()
            self.server = await asyncio.start_server(self.handle, sock=sock)
        else:
            self.server = await asyncio.start_server(self.handle, "127.0.0.1", 0)
        return self

    async def stop(self) -> None:
        self.release.set()
        for writer in self._writers:
            writer.close()
        if self.server is not None:
            self.server.close()
            await self.server.wait_closed()


def http_response(status: int = 200, body: bytes = b"", headers: dict[str, str] | None = None) -> bytes:
    """Raw bytes of one HTTP/1.1 response, for ``raw_upstream`` plans."""
    lines = [f"HTTP/1.1 {status} X", f"Content-Length: {len(body)}"]
    lines += [f"{name}: {value}" for name, value in (headers or {}).items()]
    return ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1") + body


@pytest.fixture
async def raw_upstream():
    """Factory: ``await raw_upstream(["close"])``; see ``RawUpstream``."""
    started: list[RawUpstream] = []

    async def start(plan: list[str | bytes], sock: socket.socket | None = None) -> RawUpstream:
        server = RawUpstream(plan)
        started.append(server)
        return await server.start(sock)

    yield start
    for server in started:
        await server.stop()


@pytest.fixture
def refused_socket():
    """A socket bound to a 127.0.0.1 port but not listening: connecting to
    it is refused, and no one else can take the port meanwhile."""
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.bind(("127.0.0.1", 0))
    yield sock
    sock.close()


@pytest.fixture
def refused_url(refused_socket) -> str:
    return f"http://127.0.0.1:{refused_socket.getsockname()[1]}/resource"


# ---- what fetch() hands to aiohttp -------------------------------------------


@pytest.fixture
def request_spy(monkeypatch) -> list[dict[str, Any]]:
    """Record the keyword arguments of every ``aiohttp.ClientSession.request``
    call (the call mocking libraries intercept), then let it through."""
    calls: list[dict[str, Any]] = []
    original = aiohttp.ClientSession.request

    def spy(self, *args, **kwargs):
        calls.append(kwargs)
        return original(self, *args, **kwargs)

    monkeypatch.setattr(aiohttp.ClientSession, "request", spy)
    return calls

