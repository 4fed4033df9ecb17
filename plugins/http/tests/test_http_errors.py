"""What goes wrong: inputs refused by the schema, upstream error statuses
with and without ``raise_for_status``, 429, timeouts."""

from __future__ import annotations

import pytest

from autohive_integrations_sdk import ResultType

API = "https://api.example.com"


# ---- inputs the schema refuses ----------------------------------------------------


@pytest.mark.parametrize(
    "url",
    [
        "ftp://api.example.com/file",
        "file:///etc/passwd",
        "javascript:alert(1)",
        "ws://api.example.com/socket",
        "api.example.com/no-scheme",
        "http:///no-host",
        "https://user:pw@api.example.com/",
        "https://api.example.com/with space",
    ],
)
async def test_url_that_is_not_http_is_refused(call, http_fake, url):
    result = await call({"method": "GET", "url": url})

    assert result.type is ResultType.VALIDATION_ERROR, result.result
    assert result.result["property"] == "url"
    assert "does not match" in result.result["message"]
    assert http_fake.seen == []


@pytest.mark.parametrize(
    "bodies",
    [
        {"json": {"a": 1}, "form": {"a": "1"}},
        {"json": None, "text": "x"},
        {"form": {"a": "1"}, "text": "x"},
        {"json": 1, "form": {}, "text": ""},
    ],
    ids=["json+form", "json+text", "form+text", "all-three"],
)
async def test_more_than_one_body_is_refused(call, http_fake, bodies):
    result = await call({"method": "POST", "url": f"{API}/echo/", **bodies})

    assert result.type is ResultType.VALIDATION_ERROR, result.result
    assert "should not be valid under" in result.result["message"]
    assert http_fake.seen == []


@pytest.mark.parametrize(
    "inputs, prop",
    [
        ({"method": "get", "url": f"{API}/echo/"}, "method"),
        ({"method": "TRACE", "url": f"{API}/echo/"}, "method"),
        ({"url": f"{API}/echo/"}, "method"),
        ({"method": "GET"}, "url"),
        ({"method": "GET", "url": f"{API}/echo/", "timeout": 0.5}, "timeout"),
        ({"method": "GET", "url": f"{API}/echo/", "timeout": 121}, "timeout"),
        ({"method": "GET", "url": f"{API}/echo/", "headers": {"X-A": "one\r\nX-B: two"}}, "headers.X-A"),
        ({"method": "GET", "url": f"{API}/echo/", "headers": {"X-A": 1}}, "headers.X-A"),
        ({"method": "GET", "url": f"{API}/echo/", "query": {"a": None}}, "query.a"),
        ({"method": "GET", "url": f"{API}/echo/", "query": {"a": {"b": 1}}}, "query.a"),
        ({"method": "GET", "url": f"{API}/echo/", "query": {"a": [[1]]}}, "query.a[0]"),
        ({"method": "POST", "url": f"{API}/echo/", "form": {"a": 1}}, "form.a"),
        ({"method": "GET", "url": f"{API}/echo/", "body": "x"}, None),
    ],
)
async def test_inputs_out_of_schema_are_refused(call, http_fake, inputs, prop):
    result = await call(inputs)

    assert result.type is ResultType.VALIDATION_ERROR, result.result
    assert result.result["property"] == prop
    assert http_fake.seen == []


# ---- upstream error statuses --------------------------------------------------------


@pytest.mark.parametrize("code", [401, 404, 500])
async def test_error_status_is_a_result_by_default(call, output_of, code):
    data = output_of(await call({"method": "GET", "url": f"{API}/status/{code}"}))

    assert data == {
        "status": code,
        "ok": False,
        "headers": {},
        "body": {"error": f"status {code} on purpose"},
    }


@pytest.mark.parametrize("code", [401, 404, 500])
async def test_error_status_is_an_upstream_error_with_raise_for_status(call, code):
    result = await call({"method": "GET", "url": f"{API}/status/{code}", "raise_for_status": True})

    assert result.type is ResultType.ERROR
    assert result.result["error"] == "upstream_error"
    assert result.result["status"] == code
    assert f"HTTP {code}" in result.result["message"]


async def test_2xx_with_raise_for_status_is_a_result(call, output_of):
    data = output_of(await call({"method": "GET", "url": f"{API}/echo/fine", "raise_for_status": True}))

    assert data["status"] == 200 and data["ok"] is True


async def test_unfollowed_3xx_is_not_ok(call, output_of):
    data = output_of(await call({"method": "GET", "url": f"{API}/status/304"}))

    assert data["status"] == 304
    assert data["ok"] is False
    assert data["body"] is None
    assert data["headers"]["etag"] == '"v1"'


async def test_unfollowed_3xx_with_raise_for_status_is_an_upstream_error(call):
    result = await call({"method": "GET", "url": f"{API}/status/304", "raise_for_status": True})

    assert result.type is ResultType.ERROR
    assert result.result["error"] == "upstream_error"
    assert result.result["status"] == 304


async def test_429_is_a_result_with_retry_after(call, output_of):
    data = output_of(await call({"method": "POST", "url": f"{API}/ratelimited", "json": {"n": 1}}))

    assert data == {"status": 429, "ok": False, "headers": {}, "body": "slow down", "retry_after": 7}


async def test_429_with_raise_for_status_is_an_upstream_error_with_retry_after(call):
    result = await call({"method": "GET", "url": f"{API}/ratelimited", "raise_for_status": True})

    assert result.type is ResultType.ERROR
    assert result.result["error"] == "upstream_error"
    assert result.result["status"] == 429
    assert result.result["retry_after"] == 7
    assert result.result["exception"] == "RateLimitError"


# ---- timeouts ----------------------------------------------------------------------------


async def test_timeout_against_a_slow_upstream(call, http_fake):
    # POST: a write that may have left is never retried, so one attempt.
    result = await call({"method": "POST", "url": f"{API}/slow", "json": {}, "timeout": 1})

    assert result.type is ResultType.ERROR, result.result
    assert result.result["error"] == "upstream_error"
    assert "Timeout" in result.result["exception"]
    assert [seen["path"] for seen in http_fake.seen] == ["/slow"]


async def test_timeout_is_an_error_even_without_raise_for_status(call):
    result = await call({"method": "PATCH", "url": f"{API}/slow", "timeout": 1, "raise_for_status": False})

    assert result.type is ResultType.ERROR
    assert result.result["error"] == "upstream_error"

