"""A fake upstream for the ``http`` integration's tests.

An aiohttp app on 127.0.0.1 that stands in for ``https://api.example.com``
(tests reach it through the host's upstream override):

- ``/echo/...`` (any method) answers 200 with what it received: method,
  path, query (as pairs, in order, and raw), headers, body text and content
  type; it also sets ``X-Echo-Method`` and a mixed-case ``X-Custom-Header``;
- ``/status/{code}`` answers that status with a JSON error body (401 adds
  ``WWW-Authenticate``);
- ``/ratelimited`` answers 429 with ``Retry-After: 7``;
- ``/text`` answers a text/plain body;
- ``/redirect`` answers 302 to ``/echo/redirected``;
- ``/bytes/{n}`` answers n bytes of text, streamed without a Content-Length;
- ``/slow`` holds the request until the test ends (bounded), for timeouts.

Nothing here touches the internet.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field
from typing import Any

import pytest
from aiohttp import web
from aiohttp.test_utils import TestServer

from apiary.testing import host_with_upstreams, origin_of

API = "https://api.example.com"


@dataclass
class HttpFake:
    server: TestServer
    seen: list[dict[str, Any]] = field(default_factory=list)
    release: asyncio.Event = field(default_factory=asyncio.Event)

    @property
    def origin(self) -> str:
        return origin_of(self.server)


def _app(fake: HttpFake) -> web.Application:
    async def snapshot(request: web.Request) -> dict[str, Any]:
        body = await request.read()
        seen = {
            "method": request.method,
            "path": request.path,
            "query": [[key, value] for key, value in request.query.items()],
            "raw_query": request.rel_url.raw_query_string,
            "headers": dict(request.headers),
            "body": body.decode("utf-8"),
            "content_type": request.headers.get("Content-Type"),
        }
        fake.seen.append(seen)
        return seen

    async def echo(request: web.Request) -> web.Response:
        seen = await snapshot(request)
        return web.json_response(
            seen, headers={"X-Echo-Method": request.method, "X-Custom-Header": "Mixed-Case-Name"}
        )

    async def status(request: web.Request) -> web.Response:
        await snapshot(request)
        code = int(request.match_info["code"])
        headers = {"WWW-Authenticate": 'Bearer realm="fake"'} if code == 401 else {}
        if code == 304:
            return web.Response(status=304, headers={"ETag": '"v1"'})
        return web.json_response({"error": f"status {code} on purpose"}, status=code, headers=headers)

    async def ratelimited(request: web.Request) -> web.Response:
        await snapshot(request)
        return web.Response(status=429, text="slow down", headers={"Retry-After": "7"})

    async def text(request: web.Request) -> web.Response:
        await snapshot(request)
        return web.Response(text="plain words", content_type="text/plain")

    async def redirect(request: web.Request) -> web.Response:
        await snapshot(request)
        raise web.HTTPFound("/echo/redirected")

    async def many_bytes(request: web.Request) -> web.StreamResponse:
        await snapshot(request)
        size = int(request.match_info["n"])
        response = web.StreamResponse(headers={"Content-Type": "text/plain"})
        response.enable_chunked_encoding()
        await response.prepare(request)
        try:
            for start in range(0, size, 65536):
                await response.write(b"z" * min(65536, size - start))
            await response.write_eof()
        except ConnectionError:  # the client stopped reading
            pass
        return response

    async def slow(request: web.Request) -> web.Response:
        await snapshot(request)
        try:
            await asyncio.wait_for(fake.release.wait(), timeout=15)
        except TimeoutError:
            pass
        return web.json_response({"late": True})

    app = web.Application()
    app.router.add_route("*", "/echo/{tail:.*}", echo)
    app.router.add_route("*", "/status/{code}", status)
    app.router.add_route("*", "/ratelimited", ratelimited)
    app.router.add_route("*", "/text", text)
    app.router.add_route("*", "/redirect", redirect)
    app.router.add_route("*", "/bytes/{n}", many_bytes)
    app.router.add_route("*", "/slow", slow)
    return app


@pytest.fixture
async def http_fake():
    """A started fake upstream; released and closed after the test."""
    fake = HttpFake(server=None)  # type: ignore[arg-type]
    fake.server = TestServer(_app(fake), host="127.0.0.1")
    await fake.server.start_server()
    try:
        yield fake
    finally:
        fake.release.set()
        await fake.server.close()


@pytest.fixture
async def http_host(http_fake):
    """A host with ``https://api.example.com`` overridden to the fake."""
    async with host_with_upstreams({API: http_fake.origin}) as host:
        yield host


@pytest.fixture
def call(http_host):
    """``await call(inputs, auth=...)``: the ``request`` action through the host."""

    async def run(inputs: dict[str, Any], **kwargs: Any):
        return await http_host.call("http", "request", inputs, **kwargs)

    return run


@pytest.fixture
def output_of():
    """``output_of(result)``: the data of an ``ACTION`` result, checked
    against the action's output schema from the installed config.json."""
    import json
    from importlib.resources import files

    from jsonschema import Draft7Validator

    from autohive_integrations_sdk import ResultType

    config = json.loads(files("apiary_http").joinpath("config.json").read_text(encoding="utf-8"))
    validator = Draft7Validator(config["actions"]["request"]["output_schema"])

    def check(result) -> dict[str, Any]:
        assert result.type is ResultType.ACTION, result.result
        validator.validate(result.result.data)
        return result.result.data

    return check
