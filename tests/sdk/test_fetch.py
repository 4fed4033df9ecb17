"""ExecutionContext.fetch(): how requests are built and responses read."""

import json
import re
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime

import aiohttp
import pytest
from aiohttp import web
from aioresponses import aioresponses

from autohive_integrations_sdk import ExecutionContext, FetchResponse, HTTPError, RateLimitError, _http


async def ok(request):
    return web.json_response({"ok": True})


async def fetch_once(url, auth=None, **kwargs):
    async with ExecutionContext(auth=auth) as context:
        return await context.fetch(url, **kwargs)


# ---- auth injection ----------------------------------------------------------


async def test_platform_oauth2_adds_bearer(upstream):
    server = await upstream(ok)
    auth = {"auth_type": "PlatformOauth2", "credentials": {"access_token": "tok123"}}
    await fetch_once(server.url("/me"), auth)
    assert server.requests[0]["headers"].getall("Authorization") == ["Bearer tok123"]


async def test_missing_auth_type_counts_as_platform_oauth2(upstream):
    server = await upstream(ok)
    await fetch_once(server.url("/me"), {"credentials": {"access_token": "tok123"}})
    assert server.requests[0]["headers"].getall("Authorization") == ["Bearer tok123"]


@pytest.mark.parametrize("header_name", ["Authorization", "authorization", "AUTHORIZATION"])
async def test_explicit_authorization_header_wins(upstream, request_spy, header_name):
    server = await upstream(ok)
    auth = {"auth_type": "PlatformOauth2", "credentials": {"access_token": "tok123"}}
    await fetch_once(server.url("/me"), auth, headers={header_name: "Basic dXNlcjpwdw=="})
    assert server.requests[0]["headers"].getall("Authorization") == ["Basic dXNlcjpwdw=="]
    sent = request_spy[0]["headers"]
    assert [value for key, value in sent.items() if key.lower() == "authorization"] == ["Basic dXNlcjpwdw=="]


@pytest.mark.parametrize("auth_type", ["ApiKey", "Basic", "Custom", "PlatformTeams", "SomethingNew"])
async def test_other_auth_types_add_no_authorization(upstream, auth_type):
    """Unknown types must not crash either (the reference raised on AuthType(...))."""
    server = await upstream(ok)
    response = await fetch_once(
        server.url("/me"), {"auth_type": auth_type, "credentials": {"access_token": "tok123"}}
    )
    assert response.status == 200
    assert "Authorization" not in server.requests[0]["headers"]


@pytest.mark.parametrize("auth", [None, {}, {"api_key": "key_1"}, {"credentials": {}}])
async def test_auth_without_access_token_adds_nothing(upstream, auth):
    server = await upstream(ok)
    await fetch_once(server.url("/me"), auth)
    assert "Authorization" not in server.requests[0]["headers"]


# ---- query parameters --------------------------------------------------------


async def test_params_flattened_into_query(upstream):
    server = await upstream(ok)
    params = {"q": "a b", "filter": {"x": 1}, "ids": [1, 2], "skip": None, "n": 3}
    await fetch_once(server.url("/search"), params=params)
    seen = server.requests[0]
    assert dict(seen["query"]) == {"q": "a b", "filter": '{"x": 1}', "ids": "[1, 2]", "n": "3"}
    assert "q=a+b" in seen["raw_path"]
    assert "skip" not in seen["raw_path"]


async def test_params_appended_with_ampersand_when_url_has_query(upstream):
    server = await upstream(ok)
    await fetch_once(server.url("/search?page=2"), params={"q": "x"})
    assert dict(server.requests[0]["query"]) == {"page": "2", "q": "x"}


@pytest.mark.parametrize(
    "url, params, expected",
    [
        ("https://h/p", {"a": "1"}, "https://h/p?a=1"),
        ("https://h/p?z=0", {"a": "1"}, "https://h/p?z=0&a=1"),
        ("https://h/p", {"q": "two words"}, "https://h/p?q=two+words"),
        ("https://h/p", {"f": {"k": "v"}}, "https://h/p?f=%7B%22k%22%3A+%22v%22%7D"),
        ("https://h/p", {"l": [1, "a"]}, "https://h/p?l=%5B1%2C+%22a%22%5D"),
        ("https://h/p", {"a": None, "b": 2}, "https://h/p?b=2"),
        ("https://h/p", {"a": None}, "https://h/p"),
        ("https://h/p", {}, "https://h/p"),
        ("https://h/p", None, "https://h/p"),
    ],
)
def test_with_query(url, params, expected):
    assert _http.with_query(url, params) == expected


# ---- request bodies ----------------------------------------------------------


async def test_json_body_sent_with_json_content_type(upstream):
    server = await upstream(ok)
    await fetch_once(server.url("/items"), method="POST", json={"name": "x", "tags": [1, 2]})
    seen = server.requests[0]
    assert seen["headers"]["Content-Type"] == "application/json"
    assert json.loads(seen["body"]) == {"name": "x", "tags": [1, 2]}


async def test_dict_data_form_encoded(upstream):
    server = await upstream(ok)
    await fetch_once(
        server.url("/token"),
        method="POST",
        data={"grant_type": "client_credentials", "scope": "read write"},
        content_type="application/x-www-form-urlencoded",
    )
    seen = server.requests[0]
    assert seen["headers"]["Content-Type"] == "application/x-www-form-urlencoded"
    assert seen["body"] == b"grant_type=client_credentials&scope=read+write"


async def test_string_data_sent_as_given(upstream):
    server = await upstream(ok)
    await fetch_once(server.url("/raw"), method="PUT", data="a,b\n1,2", content_type="text/csv")
    seen = server.requests[0]
    assert seen["method"] == "PUT"
    assert seen["headers"]["Content-Type"] == "text/csv"
    assert seen["body"] == b"a,b\n1,2"


# ---- response parsing --------------------------------------------------------


def respond(status, body=b"", content_type=None):
    async def handler(request):
        headers = {"Content-Type": content_type} if content_type else {}
        return web.Response(status=status, body=body, headers=headers)

    return handler


@pytest.mark.parametrize(
    "status, body, content_type, expected",
    [
        (200, b'{"a": [1, 2]}', "application/json", {"a": [1, 2]}),
        (200, b'{"a": 1}', "application/json; charset=utf-8", {"a": 1}),
        (200, b"[1, 2]", "application/json", [1, 2]),
        (200, b'{"title": "bad"}', "application/problem+json", {"title": "bad"}),
        (200, b'{"data": []}', "application/vnd.api+json", {"data": []}),
        (200, b"{not json", "application/json", "{not json"),
        (200, b"hello", "text/plain", "hello"),
        (200, b"<p>hi</p>", "text/html; charset=utf-8", "<p>hi</p>"),
        (200, "caf\u00e9".encode("utf-8"), "text/plain; charset=utf-8", "caf\u00e9"),
        (200, b"", "application/json", None),
        (200, b"", "text/plain", None),
        (201, b"", None, None),
        (204, b"", None, None),
        (202, b"", "text/plain", ""),
    ],
)
async def test_response_body_parsing(upstream, status, body, content_type, expected):
    server = await upstream(respond(status, body, content_type))
    response = await fetch_once(server.url("/r"))
    assert isinstance(response, FetchResponse)
    assert response.status == status
    assert response.data == expected


async def test_response_headers_returned_as_dict(upstream):
    async def handler(request):
        return web.json_response({}, headers={"X-Trace": "abc"})

    server = await upstream(handler)
    response = await fetch_once(server.url("/r"))
    assert isinstance(response.headers, dict)
    assert response.headers["X-Trace"] == "abc"


# ---- errors ------------------------------------------------------------------


async def test_http_error_carries_status_and_parsed_json(upstream):
    server = await upstream(respond(404, b'{"error": "not found", "code": 7}', "application/json"))
    with pytest.raises(HTTPError) as caught:
        await fetch_once(server.url("/missing"))
    error = caught.value
    assert not isinstance(error, RateLimitError)
    assert error.status == 404
    assert error.response_data == {"error": "not found", "code": 7}
    assert error.message == str({"error": "not found", "code": 7})
    assert str(error).startswith("HTTP 404: ")


async def test_http_error_with_text_body(upstream):
    server = await upstream(respond(500, b"upstream exploded", "text/plain"))
    with pytest.raises(HTTPError) as caught:
        await fetch_once(server.url("/boom"))
    assert caught.value.status == 500
    assert caught.value.response_data == "upstream exploded"
    assert caught.value.message == "upstream exploded"


@pytest.mark.parametrize("status", [400, 401, 500, 503])
async def test_http_errors_are_not_retried(upstream, sleeps, status):
    server = await upstream(respond(status, b"no", "text/plain"))
    with pytest.raises(HTTPError):
        await fetch_once(server.url("/x"))
    assert len(server.requests) == 1
    assert sleeps.delays == []


def rate_limited(retry_after=None, body=b"slow down"):
    async def handler(request):
        headers = {"Retry-After": retry_after} if retry_after is not None else {}
        return web.Response(status=429, body=body, headers=headers, content_type="text/plain")

    return handler


@pytest.mark.parametrize(
    "header, expected",
    [
        ("7", 7),
        ("0", 0),
        (None, 60),
        ("soon", 60),
        ("Wed, 21 Oct 2015 07:28:00 GMT", 0),  # a date in the past
    ],
)
async def test_rate_limit_error_retry_after(upstream, sleeps, header, expected):
    server = await upstream(rate_limited(header))
    with pytest.raises(RateLimitError) as caught:
        await fetch_once(server.url("/limited"))
    error = caught.value
    assert error.retry_after == expected
    assert error.status == 429
    assert error.response_data == "slow down"
    assert isinstance(error, HTTPError)
    assert len(server.requests) == 1, "a 429 is raised, not retried"
    assert sleeps.delays == []


async def test_rate_limit_retry_after_future_http_date(upstream):
    when = datetime.now(UTC) + timedelta(days=400)
    server = await upstream(rate_limited(format_datetime(when, usegmt=True)))
    with pytest.raises(RateLimitError) as caught:
        await fetch_once(server.url("/limited"))
    assert caught.value.retry_after > 399 * 86400


async def test_rate_limit_with_non_ascii_digit_retry_after(raw_upstream):
    """An unreadable Retry-After gives 60, whatever the bytes: here UTF-8
    superscript two, which str.isdigit() accepts and int() does not."""
    response = b"HTTP/1.1 429 Too Many Requests\r\nContent-Length: 0\r\nRetry-After: \xc2\xb2\r\n\r\n"
    server = await raw_upstream([response])
    with pytest.raises(RateLimitError) as caught:
        await fetch_once(server.url())
    assert caught.value.retry_after == 60


NOW = datetime(2024, 1, 1, 12, 0, 0, tzinfo=UTC)


@pytest.mark.parametrize(
    "value, expected",
    [
        ("120", 120),
        (" 5 ", 5),
        ("0", 0),
        ("Mon, 01 Jan 2024 12:01:30 GMT", 90),
        ("Mon, 01 Jan 2024 12:00:00 GMT", 0),
        ("Mon, 01 Jan 2024 11:00:00 GMT", 0),
        ("Mon, 01 Jan 2024 12:00:00 -0000", 0),
        ("Mon, 01 Jan 2024 14:00:10 +0200", 10),
        ("Mon, 01 Jan 2024 12:00:00 +0000", 0),
        (None, 60),
        ("", 60),
        ("soon", 60),
        ("-5", 60),
        ("1.5", 60),
        ("Mon, 99 Foo 2024", 60),
        ("\u00b2", 60),  # str.isdigit() is true for superscript two, int() rejects it
    ],
)
def test_parse_retry_after(value, expected):
    assert _http.parse_retry_after(value, now=NOW) == expected


def test_parse_retry_after_rounds_fractional_delays_up():
    now = NOW.replace(microsecond=500_000)
    assert _http.parse_retry_after("Mon, 01 Jan 2024 12:00:10 GMT", now=now) == 10


# ---- timeouts and request_config ---------------------------------------------


async def test_config_timeout_used_by_default(upstream, request_spy):
    server = await upstream(ok)
    async with ExecutionContext(request_config={"timeout": 12}) as context:
        await context.fetch(server.url())
    assert [call["timeout"].total for call in request_spy] == [12]


async def test_default_timeout_is_30_seconds(upstream, request_spy):
    server = await upstream(ok)
    await fetch_once(server.url())
    assert [call["timeout"].total for call in request_spy] == [30]


async def test_per_call_timeout_overrides_config(upstream, request_spy):
    server = await upstream(ok)
    async with ExecutionContext(request_config={"timeout": 12}) as context:
        await context.fetch(server.url(), timeout=3)
    assert [call["timeout"].total for call in request_spy] == [3]


async def test_per_call_timeout_really_applies(raw_upstream):
    """A server that never answers is given up on after the per-call timeout,
    not the 30 s default."""
    server = await raw_upstream(["hang"])
    async with ExecutionContext(request_config={"max_retries": 0}) as context:
        with pytest.raises(TimeoutError):
            await context.fetch(server.url(), timeout=0.2)
    assert len(server.requests) == 1


@pytest.mark.parametrize(
    "request_config, expected",
    [
        (None, {"max_retries": 3, "timeout": 30}),
        ({}, {"max_retries": 3, "timeout": 30}),
        ({"timeout": 5}, {"max_retries": 3, "timeout": 5}),
        ({"max_retries": 0}, {"max_retries": 0, "timeout": 30}),
        ({"max_retries": 1, "timeout": 2, "extra": True}, {"max_retries": 1, "timeout": 2, "extra": True}),
    ],
)
def test_request_config_merges_with_defaults(request_config, expected):
    assert ExecutionContext(request_config=request_config).config == expected


async def test_partial_request_config_keeps_default_retries(sleeps, refused_url):
    """Only ``timeout`` given: max_retries still defaults to 3 (the reference
    raised KeyError here)."""
    async with ExecutionContext(request_config={"timeout": 5}) as context:
        with pytest.raises(aiohttp.ClientConnectorError):
            await context.fetch(refused_url)
    assert sleeps.delays == [1, 2, 4]


async def test_partial_request_config_keeps_default_timeout(upstream, request_spy):
    server = await upstream(ok)
    async with ExecutionContext(request_config={"max_retries": 1}) as context:
        await context.fetch(server.url())
    assert [call["timeout"].total for call in request_spy] == [30]


# ---- through request-mocking libraries ---------------------------------------


async def test_fetch_goes_through_client_session_request(upstream, request_spy):
    """Mocking libraries patch ClientSession's request plumbing and read the
    headers and data fetch() hands to it."""
    server = await upstream(ok)
    auth = {"auth_type": "PlatformOauth2", "credentials": {"access_token": "tok"}}
    await fetch_once(server.url("/items"), auth, method="POST", json={"a": 1})
    (call,) = request_spy
    assert call["method"] == "POST"
    assert call["url"] == server.url("/items")
    assert call["headers"]["Authorization"] == "Bearer tok"
    assert call["headers"]["Content-Type"] == "application/json"
    assert json.loads(call["data"]) == {"a": 1}


async def test_aioresponses_sees_headers_and_encoded_body():
    """aioresponses records the call before answering; an exception answer
    keeps this test independent of how it builds responses."""
    url = "https://api.example.test/things"
    with aioresponses() as mocked:
        mocked.post(re.compile(r"^https://api\.example\.test/things"), exception=ValueError("stop here"))
        auth = {"auth_type": "PlatformOauth2", "credentials": {"access_token": "tok"}}
        with pytest.raises(ValueError, match="stop here"):
            await fetch_once(url, auth, method="POST", json={"a": 1}, params={"q": "x y"})
        ((method, sent_url), calls), = mocked.requests.items()
        assert (method, str(sent_url)) == ("POST", url + "?q=x+y")
        assert calls[0].kwargs["headers"]["Authorization"] == "Bearer tok"
        assert json.loads(calls[0].kwargs["data"]) == {"a": 1}


async def test_http_errors_carry_the_response_headers(upstream):
    async def limited(request):
        return web.json_response({"message": "slow down"}, status=403, headers={"X-RateLimit-Remaining": "0"})

    async def throttled(request):
        return web.Response(text="later", status=429, headers={"Retry-After": "7", "X-RateLimit-Reset": "99"})

    server = await upstream({"/limited": limited, "/throttled": throttled})
    async with ExecutionContext() as context:
        with pytest.raises(HTTPError) as forbidden:
            await context.fetch(server.url("/limited"))
        with pytest.raises(RateLimitError) as rate_limited:
            await context.fetch(server.url("/throttled"))
    assert forbidden.value.headers["X-RateLimit-Remaining"] == "0"
    assert forbidden.value.response_data == {"message": "slow down"}
    assert rate_limited.value.retry_after == 7
    assert rate_limited.value.headers["X-RateLimit-Reset"] == "99"


# ---- media types and fragments (wire details) --------------------------------


@pytest.mark.parametrize(
    "content_type",
    [
        "application/json; charset=utf-8",
        "Application/JSON",
        "application/json ; charset=UTF-8",
        "application/merge-patch+json",
    ],
)
async def test_dict_data_sent_as_json_whatever_the_media_type_parameters(upstream, content_type):
    """The media type is parsed: parameters and case do not make a JSON body form-encoded."""
    server = await upstream(ok)
    await fetch_once(server.url("/items"), method="POST", data={"name": "x", "n": 1}, content_type=content_type)
    seen = server.requests[0]
    assert seen["headers"]["Content-Type"] == content_type
    assert json.loads(seen["body"]) == {"name": "x", "n": 1}


async def test_dict_data_form_encoded_with_a_charset_parameter(upstream):
    server = await upstream(ok)
    content_type = "application/x-www-form-urlencoded; charset=utf-8"
    await fetch_once(server.url("/token"), method="POST", data={"scope": "read write"}, content_type=content_type)
    seen = server.requests[0]
    assert seen["headers"]["Content-Type"] == content_type
    assert seen["body"] == b"scope=read+write"


@pytest.mark.parametrize(
    "path, expected",
    [
        ("/search#results", {"q": "x y"}),
        ("/search?page=2#top", {"page": "2", "q": "x y"}),
        ("/search#frag?not=query", {"q": "x y"}),
    ],
)
async def test_params_sent_when_the_url_has_a_fragment(upstream, path, expected):
    """Params go into the URL's query, never into its fragment (which no client sends)."""
    server = await upstream(ok)
    await fetch_once(server.url(path), params={"q": "x y"})
    seen = server.requests[0]
    assert dict(seen["query"]) == expected
    assert seen["path"] == "/search"


@pytest.mark.parametrize(
    "url, params, expected",
    [
        ("https://h/p#frag", {"a": "1"}, "https://h/p?a=1#frag"),
        ("https://h/p?z=0#f", {"a": "1"}, "https://h/p?z=0&a=1#f"),
        ("https://h/p#f?g=1", {"a": "1"}, "https://h/p?a=1#f?g=1"),
        ("https://h/p?", {"a": "1"}, "https://h/p?a=1"),
        ("https://h/p#", {"a": "1"}, "https://h/p?a=1#"),
    ],
)
def test_with_query_keeps_params_out_of_the_fragment(url, params, expected):
    assert _http.with_query(url, params) == expected
