"""The ``request`` action through the host, against the fake upstream:
methods, bodies, headers, query encoding and what comes back."""

from __future__ import annotations

import json

import pytest

API = "https://api.example.com"

METHODS = ["GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"]


@pytest.mark.parametrize("method", METHODS)
async def test_every_method_reaches_the_upstream(call, output_of, http_fake, method):
    result = await call({"method": method, "url": f"{API}/echo/items/42"})

    data = output_of(result)
    assert data["status"] == 200 and data["ok"] is True
    assert data["headers"]["x-echo-method"] == method
    assert http_fake.seen[-1]["method"] == method
    assert http_fake.seen[-1]["path"] == "/echo/items/42"
    if method == "HEAD":
        assert data["body"] is None  # a HEAD response has no body
    else:
        assert data["body"]["method"] == method
        assert data["body"]["body"] == ""  # no body sent


async def test_response_headers_are_lower_cased(call, output_of):
    data = output_of(await call({"method": "GET", "url": f"{API}/echo/"}))

    assert data["headers"]["x-custom-header"] == "Mixed-Case-Name"
    assert data["headers"]["content-type"].startswith("application/json")
    assert all(name == name.lower() for name in data["headers"])


async def test_json_body(call, output_of, http_fake):
    payload = {"name": "Zoë", "tags": ["a", "b"], "count": 3, "nested": {"ok": True, "none": None}}

    data = output_of(await call({"method": "POST", "url": f"{API}/echo/things", "json": payload}))

    seen = http_fake.seen[-1]
    assert seen["content_type"] == "application/json"
    assert json.loads(seen["body"]) == payload
    assert data["body"]["body"] == seen["body"]


@pytest.mark.parametrize("value", [None, [], "just a string", 0, False])
async def test_json_body_of_any_json_value(call, output_of, http_fake, value):
    output_of(await call({"method": "PUT", "url": f"{API}/echo/value", "json": value}))

    seen = http_fake.seen[-1]
    assert seen["content_type"] == "application/json"
    assert json.loads(seen["body"]) == value


async def test_form_body(call, output_of, http_fake):
    output_of(
        await call({"method": "POST", "url": f"{API}/echo/form", "form": {"user": "ada lovelace", "lang": "en&fr"}})
    )

    seen = http_fake.seen[-1]
    assert seen["content_type"] == "application/x-www-form-urlencoded"
    assert seen["body"] == "user=ada+lovelace&lang=en%26fr"


async def test_text_body(call, output_of, http_fake):
    output_of(await call({"method": "PATCH", "url": f"{API}/echo/text", "text": "héllo\nworld"}))

    seen = http_fake.seen[-1]
    assert seen["content_type"] == "text/plain; charset=utf-8"
    assert seen["body"] == "héllo\nworld"


async def test_content_type_header_overrides_the_body_default(call, output_of, http_fake):
    output_of(
        await call(
            {
                "method": "POST",
                "url": f"{API}/echo/xml",
                "headers": {"content-type": "application/xml"},
                "text": "<a>1</a>",
            }
        )
    )

    seen = http_fake.seen[-1]
    assert seen["content_type"] == "application/xml"
    assert seen["body"] == "<a>1</a>"


async def test_request_headers_are_sent(call, output_of, http_fake):
    output_of(
        await call(
            {"method": "GET", "url": f"{API}/echo/h", "headers": {"X-Trace-Id": "abc-123", "Accept": "text/csv"}}
        )
    )

    headers = http_fake.seen[-1]["headers"]
    assert headers["X-Trace-Id"] == "abc-123"
    assert headers["Accept"] == "text/csv"
    assert "Authorization" not in headers


async def test_query_encoding(call, output_of, http_fake):
    query = {
        "q": "a b/c+d",
        "n": 3,
        "ratio": 1.5,
        "flag": True,
        "off": False,
        "tag": ["x", "y z", 7, True],
        "empty": [],
    }

    output_of(await call({"method": "GET", "url": f"{API}/echo/search?page=2#frag", "query": query}))

    seen = http_fake.seen[-1]
    # (aiohttp's URL handling turns our %2F back into "/", legal in a query)
    assert seen["raw_query"] == (
        "page=2&q=a%20b/c%2Bd&n=3&ratio=1.5&flag=true&off=false&tag=x&tag=y%20z&tag=7&tag=true"
    )
    assert seen["query"] == [
        ["page", "2"],
        ["q", "a b/c+d"],
        ["n", "3"],
        ["ratio", "1.5"],
        ["flag", "true"],
        ["off", "false"],
        ["tag", "x"],
        ["tag", "y z"],
        ["tag", "7"],
        ["tag", "true"],
    ]


async def test_query_without_one_in_the_url(call, output_of, http_fake):
    output_of(await call({"method": "GET", "url": f"{API}/echo/plain", "query": {"a": "1"}}))

    assert http_fake.seen[-1]["raw_query"] == "a=1"
    assert http_fake.seen[-1]["path"] == "/echo/plain"


async def test_text_response_body(call, output_of):
    data = output_of(await call({"method": "GET", "url": f"{API}/text"}))

    assert data == {
        "status": 200,
        "ok": True,
        "headers": data["headers"],
        "body": "plain words",
    }
    assert data["headers"]["content-type"].startswith("text/plain")


async def test_redirects_are_followed(call, output_of, http_fake):
    data = output_of(await call({"method": "GET", "url": f"{API}/redirect"}))

    assert data["status"] == 200
    assert data["body"]["path"] == "/echo/redirected"
    assert [seen["path"] for seen in http_fake.seen] == ["/redirect", "/echo/redirected"]


async def test_upper_case_scheme_is_accepted(call, output_of, http_fake):
    output_of(await call({"method": "GET", "url": "HTTPS://api.example.com/echo/upper"}))

    assert http_fake.seen[-1]["path"] == "/echo/upper"


async def test_any_host_is_reachable_not_only_overridden_ones(http_fake, output_of):
    """A plain http:// URL to a local server, no override involved."""
    from apiary.testing import host_with_upstreams

    async with host_with_upstreams({}) as host:
        result = await host.call("http", "request", {"method": "GET", "url": f"{http_fake.origin}/echo/direct"})

    assert output_of(result)["body"]["path"] == "/echo/direct"
