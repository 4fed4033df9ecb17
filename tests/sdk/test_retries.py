"""Retries of transient network errors, and which requests may be repeated.

Idempotent methods are retried on any transient error; POST and PATCH only
when the request provably never left (defect 2 of the reference).
"""

import asyncio

import aiohttp
import pytest
from aiohttp import web

from autohive_integrations_sdk import ExecutionContext, RateLimitError, _http


def ok_response(body=b'{"ok": true}'):
    return (
        b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n"
        + f"Content-Length: {len(body)}\r\n\r\n".encode()
        + body
    )


async def fetch(url, method="GET", request_config=None, **kwargs):
    async with ExecutionContext(request_config=request_config) as context:
        return await context.fetch(url, method=method, **kwargs)


# ---- idempotent requests -----------------------------------------------------


async def test_get_retried_on_connection_refused(sleeps, refused_url):
    with pytest.raises(aiohttp.ClientConnectorError):
        await fetch(refused_url)
    assert sleeps.delays == [1, 2, 4]


async def test_get_retried_on_server_disconnect(sleeps, raw_upstream, request_spy):
    """aiohttp itself may resend an idempotent request once on a dropped
    connection, so the SDK's attempts are counted at ClientSession.request."""
    server = await raw_upstream(["close"])
    with pytest.raises(aiohttp.ServerDisconnectedError):
        await fetch(server.url())
    assert len(request_spy) == 4
    assert len(server.requests) >= 4
    assert sleeps.delays == [1, 2, 4]


async def test_get_retried_on_timeout(sleeps, raw_upstream):
    server = await raw_upstream(["hang"])
    with pytest.raises(asyncio.TimeoutError):
        await fetch(server.url(), timeout=0.2)
    assert len(server.requests) == 4
    assert sleeps.delays == [1, 2, 4]


async def test_get_succeeds_once_upstream_comes_up(sleeps, refused_socket, raw_upstream):
    """Refused twice; the upstream starts listening during the second back-off."""
    started = []

    async def start_on_second_sleep(delay):
        if sleeps.mock.await_count == 2:
            started.append(await raw_upstream([ok_response(b'{"n": 3}')], sock=refused_socket))

    sleeps.mock.side_effect = start_on_second_sleep
    port = refused_socket.getsockname()[1]
    response = await fetch(f"http://127.0.0.1:{port}/things")
    assert response.status == 200
    assert response.data == {"n": 3}
    assert sleeps.delays == [1, 2]
    assert len(started[0].requests) == 1


@pytest.mark.parametrize("method", ["PUT", "DELETE", "HEAD", "OPTIONS"])
async def test_idempotent_methods_retried_after_reaching_server(sleeps, raw_upstream, request_spy, method):
    server = await raw_upstream(["close"])
    with pytest.raises(aiohttp.ServerDisconnectedError):
        await fetch(server.url(), method=method)
    assert [call["method"] for call in request_spy] == [method] * 4
    assert sleeps.delays == [1, 2, 4]
    assert all(request.startswith(method.encode() + b" ") for request in server.requests)


@pytest.mark.parametrize("max_retries, delays", [(0, []), (1, [1]), (5, [1, 2, 4, 8, 16])])
async def test_max_retries_honoured(sleeps, refused_url, request_spy, max_retries, delays):
    with pytest.raises(aiohttp.ClientConnectorError):
        await fetch(refused_url, request_config={"max_retries": max_retries})
    assert len(request_spy) == max_retries + 1
    assert sleeps.delays == delays


async def test_retry_count_starts_back_off_later(sleeps, refused_url, request_spy):
    with pytest.raises(aiohttp.ClientConnectorError):
        await fetch(refused_url, retry_count=2)
    assert len(request_spy) == 2
    assert sleeps.delays == [4]


async def test_retry_count_at_max_means_no_retry(sleeps, refused_url, request_spy):
    with pytest.raises(aiohttp.ClientConnectorError):
        await fetch(refused_url, retry_count=3)
    assert len(request_spy) == 1
    assert sleeps.delays == []


async def test_retried_request_is_sent_whole(sleeps, refused_socket, raw_upstream):
    """The retry carries the same auth, content type and (encoded once) body."""
    started = []

    async def start_listening(delay):
        started.append(await raw_upstream([ok_response()], sock=refused_socket))

    sleeps.mock.side_effect = start_listening
    port = refused_socket.getsockname()[1]
    auth = {"credentials": {"access_token": "tok"}}
    async with ExecutionContext(auth=auth) as context:
        await context.fetch(f"http://127.0.0.1:{port}/p", method="PUT", json={"a": 1}, params={"q": "v"})
    (raw,) = started[0].requests
    assert raw.split(b"\r\n", 1)[0] == b"PUT /p?q=v HTTP/1.1"
    assert b"\r\nAuthorization: Bearer tok\r\n" in raw
    assert b"\r\nContent-Type: application/json\r\n" in raw
    assert raw.endswith(b'\r\n\r\n{"a": 1}')


# ---- writes ------------------------------------------------------------------


@pytest.mark.parametrize("method", ["POST", "PATCH", "post"])
async def test_write_not_retried_after_server_disconnect(sleeps, raw_upstream, method):
    server = await raw_upstream(["close"])
    with pytest.raises(aiohttp.ServerDisconnectedError):
        await fetch(server.url("/orders"), method=method, json={"amount": 10})
    assert len(server.requests) == 1
    assert sleeps.delays == []


@pytest.mark.parametrize("method", ["POST", "PATCH"])
async def test_write_not_retried_after_timeout(sleeps, raw_upstream, method):
    server = await raw_upstream(["hang"])
    with pytest.raises(asyncio.TimeoutError):
        await fetch(server.url("/orders"), method=method, json={"amount": 10}, timeout=0.3)
    assert len(server.requests) == 1
    assert sleeps.delays == []


@pytest.mark.parametrize("method", ["POST", "PATCH"])
async def test_write_retried_on_connection_refused(sleeps, refused_url, method):
    with pytest.raises(aiohttp.ClientConnectorError):
        await fetch(refused_url, method=method, json={"amount": 10})
    assert sleeps.delays == [1, 2, 4]


async def test_write_refused_then_delivered_exactly_once(sleeps, refused_socket, raw_upstream):
    """The upstream starts listening during the first back-off: the POST that
    never left is sent again, and arrives once."""
    started = []

    async def start_listening(delay):
        if not started:
            started.append(await raw_upstream([ok_response(b'{"id": 1}')], sock=refused_socket))

    sleeps.mock.side_effect = start_listening
    port = refused_socket.getsockname()[1]
    response = await fetch(f"http://127.0.0.1:{port}/orders", method="POST", json={"amount": 10})
    assert response.data == {"id": 1}
    assert sleeps.delays == [1]
    (request,) = started[0].requests
    assert request.startswith(b"POST /orders ")
    assert request.endswith(b'{"amount": 10}')


async def test_rate_limited_write_not_retried(sleeps, upstream):
    async def limited(request):
        return web.Response(status=429, headers={"Retry-After": "1"})

    server = await upstream(limited)
    with pytest.raises(RateLimitError):
        await fetch(server.url(), method="POST", json={})
    assert len(server.requests) == 1
    assert sleeps.delays == []


# ---- the rule itself ---------------------------------------------------------


def connector_error():
    key = aiohttp.client_reqrep.ConnectionKey("h", 80, False, True, None, None, None)
    return aiohttp.ClientConnectorError(key, OSError(111, "refused"))


@pytest.mark.parametrize(
    "method, error, expected",
    [
        ("GET", aiohttp.ServerDisconnectedError(), True),
        ("GET", TimeoutError(), True),
        ("delete", aiohttp.ClientPayloadError(), True),
        ("PUT", aiohttp.ServerTimeoutError(), True),
        ("POST", aiohttp.ServerDisconnectedError(), False),
        ("POST", TimeoutError(), False),
        ("POST", aiohttp.SocketTimeoutError(), False),
        ("PATCH", aiohttp.ClientOSError(), False),
        ("POST", aiohttp.ConnectionTimeoutError(), True),
        ("patch", aiohttp.ConnectionTimeoutError(), True),
        ("POST", "connector", True),
    ],
)
def test_may_retry(method, error, expected):
    if error == "connector":
        error = connector_error()
    assert _http.may_retry(method, error) is expected
