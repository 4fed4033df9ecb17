"""A fake Hacker News API on 127.0.0.1, and a host pointed at it.

The fake serves ``/v0/{top,new,best}stories.json``, ``/v0/item/{id}.json``
and ``/v0/user/{id}.json`` from ``hn_recorded.json`` (recorded-style
payloads), answering ``null`` for unknown ids as HN does. ``newstories``
is a long list of generated stories (ids 40214000-40214149), for limits up
to 100. Tests can make any path fail (``hn.fail(path, status, ...)``) and
read what was requested (``hn.requests``) and the most requests it had in
flight at once (``hn.max_in_flight``).

Nothing here imports from the test modules or they from here, beyond
fixtures: every plugin's tests run in one pytest session.
"""

from __future__ import annotations

import asyncio
import json
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest
from aiohttp import web
from aiohttp.test_utils import TestServer

from apiary.testing import host_with_upstreams, origin_of

HN_ORIGIN = "https://hacker-news.firebaseio.com"
RECORDED = json.loads((Path(__file__).parent / "hn_recorded.json").read_text(encoding="utf-8"))
GENERATED_IDS = range(40214000, 40214150)


def _generated_story(item_id: int) -> dict[str, Any]:
    n = item_id - GENERATED_IDS.start
    return {
        "by": f"user{n:03d}",
        "descendants": n % 7,
        "id": item_id,
        "score": 1 + n % 13,
        "time": 1714600000 + 60 * n,
        "title": f"Generated story number {n}",
        "type": "story",
        "url": f"https://example.com/articles/{n}",
    }


@dataclass
class FakeHackerNews:
    server: TestServer | None = None
    requests: list[str] = field(default_factory=list)
    failures: dict[str, tuple[int, dict[str, str], Any]] = field(default_factory=dict)
    in_flight: int = 0
    max_in_flight: int = 0

    @property
    def origin(self) -> str:
        return origin_of(self.server)

    def fail(self, path: str, status: int, body: Any = None, headers: dict[str, str] | None = None) -> None:
        """Answer ``path`` (such as ``/v0/topstories.json``) with ``status``."""
        self.failures[path] = (status, headers or {}, body if body is not None else {"error": f"status {status}"})

    def item_requests(self) -> list[int]:
        prefix = "/v0/item/"
        return [int(path[len(prefix) : -len(".json")]) for path in self.requests if path.startswith(prefix)]

    def payload(self, path: str) -> Any:
        kind, _, name = path[len("/v0/") :].removesuffix(".json").partition("/")
        if not name:
            if kind == "newstories":
                return list(reversed(GENERATED_IDS))
            return RECORDED["lists"].get(kind)
        if kind == "item":
            item = RECORDED["items"].get(name)
            if item is None and name.isdigit() and int(name) in GENERATED_IDS:
                item = _generated_story(int(name))
            return item
        if kind == "user":
            return RECORDED["users"].get(name)
        return None

    async def handle(self, request: web.Request) -> web.Response:
        self.requests.append(request.path)
        self.in_flight += 1
        self.max_in_flight = max(self.max_in_flight, self.in_flight)
        try:
            # Let other requests in before answering, so concurrent ones overlap.
            for _ in range(3):
                await asyncio.sleep(0)
            failure = self.failures.get(request.path)
            if failure is not None:
                status, headers, body = failure
                return web.json_response(body, status=status, headers=headers)
            # Firebase answers unknown paths and ids alike: 200 with null.
            return web.json_response(self.payload(request.path))
        finally:
            self.in_flight -= 1


@pytest.fixture
async def hn():
    fake = FakeHackerNews()
    app = web.Application()
    app.router.add_get("/v0/{tail:.*}", fake.handle)
    fake.server = TestServer(app, host="127.0.0.1")
    await fake.server.start_server()
    try:
        yield fake
    finally:
        await fake.server.close()


@pytest.fixture
async def host(hn):
    """A real ``Host`` over the installed integrations, with HN's origin
    pointed at the fake."""
    async with host_with_upstreams({HN_ORIGIN: hn.origin}) as entered:
        yield entered


def _check_formats(schema: Any, data: Any, root: dict[str, Any], where: str = "$") -> None:
    """Assert the ``format`` of every string in ``data`` that its schema
    declares one for (jsonschema skips formats without extra packages)."""
    if not isinstance(schema, dict):
        return
    if "$ref" in schema:
        name = schema["$ref"].rsplit("/", 1)[-1]
        return _check_formats(root["definitions"][name], data, root, where)
    if isinstance(data, str) and schema.get("format") == "date-time":
        assert data.endswith("Z") and len(data) == 20, f"{where}: {data!r} is not a UTC date-time"
        datetime.fromisoformat(data.replace("Z", "+00:00"))
    if isinstance(data, str) and schema.get("format") == "uri":
        parts = urlsplit(data)
        assert parts.scheme in ("http", "https") and parts.netloc, f"{where}: {data!r} is not a URI"
    if isinstance(data, dict):
        for key, value in data.items():
            _check_formats(schema.get("properties", {}).get(key), value, root, f"{where}.{key}")
    if isinstance(data, list):
        for index, value in enumerate(data):
            _check_formats(schema.get("items"), value, root, f"{where}[{index}]")


@pytest.fixture
def conforms(host):
    """``conforms(action, data)``: assert ``data`` matches the action's
    output schema as shipped, formats included."""
    from jsonschema import Draft7Validator

    schemas = {action["name"]: action["output_schema"] for action in host.describe("hackernews")["actions"]}

    def check(action: str, data: Any) -> None:
        schema = schemas[action]
        errors = [error.message for error in Draft7Validator(schema).iter_errors(data)]
        assert not errors, errors
        _check_formats(schema, data, schema)

    return check
