"""Timeouts of fetch(): the call's total, and the session's connect timeout.

The per-request timeout fetch() passes to aiohttp takes its total from the
call (``timeout`` or ``request_config["timeout"]``) and keeps the session's
connect, sock_connect and sock_read timeouts: a connect that hangs fails
after the connect timeout, and is retried like any connection failure,
instead of holding the whole call. An attempt cut by cancellation (the
host's call deadline) is still reported to ``on_request``.
"""

import asyncio

import aiohttp
import pytest

from autohive_integrations_sdk import ExecutionContext, PerCallCookieJar


async def test_session_connect_timeouts_kept_beside_the_call_total(upstream, request_spy):
    async def ok(request):
        from aiohttp import web

        return web.json_response({})

    server = await upstream(ok)
    timeout = aiohttp.ClientTimeout(total=None, connect=3, sock_connect=2, sock_read=7)
    async with aiohttp.ClientSession(cookie_jar=PerCallCookieJar(), timeout=timeout) as session:
        context = ExecutionContext(request_config={"timeout": 12}, session=session)
        await context.fetch(server.url())
        await context.fetch(server.url(), timeout=4)
    sent = [call["timeout"] for call in request_spy]
    assert [(t.total, t.connect, t.sock_connect, t.sock_read) for t in sent] == [(12, 3, 2, 7), (4, 3, 2, 7)]


@pytest.mark.parametrize("method", ["GET", "POST"])
async def test_hanging_connect_fails_after_the_connect_timeout_and_is_retried(sleeps, blackhole_url, method):
    """Even a POST: a connect that never completed sent nothing."""
    attempts = []
    timeout = aiohttp.ClientTimeout(total=None, connect=0.2)
    async with aiohttp.ClientSession(cookie_jar=PerCallCookieJar(), timeout=timeout) as session:
        context = ExecutionContext(
            request_config={"timeout": 60, "max_retries": 1}, session=session, on_request=attempts.append
        )
        # Bounds the test if the connect timeout is not applied (the call's 60 s would be).
        async with asyncio.timeout(10):
            with pytest.raises(aiohttp.ConnectionTimeoutError):
                await context.fetch(blackhole_url, method=method, json={"a": 1})
    assert [(attempt.status, attempt.error) for attempt in attempts] == [(None, "ConnectionTimeoutError")] * 2
    assert sleeps.delays == [1]


async def test_attempt_cut_by_cancellation_is_reported(raw_upstream):
    server = await raw_upstream(["hang"])
    attempts = []
    async with ExecutionContext(on_request=attempts.append) as context:
        task = asyncio.create_task(context.fetch(server.url("/slow")))
        for _ in range(400):  # bounded: until the upstream holds the request
            if server.requests:
                break
            await asyncio.sleep(0.005)
        assert server.requests, "the request never reached the upstream"
        task.cancel()
        with pytest.raises(asyncio.CancelledError):
            await task
    [attempt] = attempts
    assert (attempt.method, attempt.url) == ("GET", server.url("/slow"))
    assert (attempt.status, attempt.error) == (None, "cancelled")
