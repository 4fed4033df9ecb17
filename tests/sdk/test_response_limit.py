"""``request_config["max_response_bytes"]``: fetch() stops reading a response
larger than the limit and raises ``ResponseTooLargeError``.

A declared ``Content-Length`` over the limit is refused before the body is
read; a body without one (chunked, or compressed) is counted as it arrives,
decoded, and reading stops once it passes the limit. The error names the
limit, is never retried, and is reported to ``on_request`` with the status.
Without the key (the SDK used alone) there is no limit, as in the reference.
"""

import asyncio
import gzip

import pytest
from aiohttp import web

from autohive_integrations_sdk import ExecutionContext, HTTPError, ResponseTooLargeError

LIMIT = 64 * 1024
CHUNK = 16 * 1024


async def fetch(url, limit=LIMIT, **kwargs):
    attempts = []
    config = {"max_response_bytes": limit} if limit is not None else {}
    async with ExecutionContext(request_config=config, on_request=attempts.append) as context:
        try:
            return await context.fetch(url, **kwargs)
        finally:
            fetch.attempts = attempts


def body_of(size, status=200, content_type="application/octet-stream"):
    async def handler(request):
        return web.Response(status=status, body=b"x" * size, content_type=content_type)

    return handler


def streamed(total, chunk=CHUNK, progress=None):
    """Chunked (no Content-Length); ``progress["sent"]`` counts bytes written."""

    async def handler(request):
        response = web.StreamResponse()
        response.enable_chunked_encoding()
        await response.prepare(request)
        sent = 0
        try:
            while sent < total:
                await response.write(b"y" * min(chunk, total - sent))
                sent += min(chunk, total - sent)
            await response.write_eof()
        except ConnectionError:
            pass
        finally:
            if progress is not None:
                progress["sent"] = sent
        return response

    return handler


async def test_declared_length_over_the_limit_is_refused_before_reading(upstream, sleeps):
    """The upstream declares 1 GiB and sends one chunk, then waits: reading
    the body would hang, refusing it by its Content-Length does not."""
    release = asyncio.Event()

    async def huge(request):
        response = web.StreamResponse(headers={"Content-Type": "application/json"})
        response.content_length = 1 << 30
        await response.prepare(request)
        await response.write(b"[" * CHUNK)
        try:
            await asyncio.wait_for(release.wait(), 10)
        except TimeoutError:
            pass
        return response

    server = await upstream({"/huge": huge})
    try:
        with pytest.raises(ResponseTooLargeError) as caught:
            await fetch(server.url("/huge"), timeout=5)
    finally:
        release.set()
    error = caught.value
    assert (error.limit, error.status, error.content_length) == (LIMIT, 200, 1 << 30)
    assert "max_response_bytes" in str(error) and str(LIMIT) in str(error) and "64 KiB" in str(error)
    assert [(attempt.status, attempt.error) for attempt in fetch.attempts] == [(200, "ResponseTooLargeError")]
    assert len(server.requests) == 1 and sleeps.delays == []


async def test_streamed_body_over_the_limit_stops_the_read(upstream):
    progress = {}
    total = 64 * 1024 * 1024
    server = await upstream({"/stream": streamed(total, progress=progress)})
    with pytest.raises(ResponseTooLargeError) as caught:
        await fetch(server.url("/stream"))
    assert (caught.value.limit, caught.value.status, caught.value.content_length) == (LIMIT, 200, None)
    for _ in range(400):  # bounded: until the upstream notices the closed connection
        if "sent" in progress:
            break
        await asyncio.sleep(0.005)
    assert progress["sent"] < total, "the client read the whole body"
    assert [(attempt.status, attempt.error) for attempt in fetch.attempts] == [(200, "ResponseTooLargeError")]


async def test_compressed_body_counted_decoded(upstream):
    """A small gzip body that inflates past the limit is stopped too."""
    packed = gzip.compress(b"0" * (4 * LIMIT))
    assert len(packed) < LIMIT

    async def bomb(request):
        return web.Response(body=packed, headers={"Content-Encoding": "gzip", "Content-Type": "text/plain"})

    server = await upstream({"/bomb": bomb})
    with pytest.raises(ResponseTooLargeError):
        await fetch(server.url("/bomb"))


@pytest.mark.parametrize("handler", [body_of(LIMIT), streamed(LIMIT)], ids=["declared", "streamed"])
async def test_body_of_exactly_the_limit_is_read(upstream, handler):
    server = await upstream({"/full": handler})
    response = await fetch(server.url("/full"))
    assert response.status == 200 and len(response.data) == LIMIT


async def test_error_body_over_the_limit_is_refused_too(upstream):
    server = await upstream({"/err": body_of(2 * LIMIT, status=500, content_type="text/plain")})
    with pytest.raises(ResponseTooLargeError) as caught:
        await fetch(server.url("/err"))
    assert not isinstance(caught.value, HTTPError)
    assert caught.value.status == 500


async def test_head_is_not_judged_by_its_content_length(upstream):
    server = await upstream({"/file": body_of(2 * LIMIT)})
    response = await fetch(server.url("/file"), method="HEAD")
    assert (response.status, response.data) == (200, None)


async def test_no_limit_without_the_key(upstream):
    """The SDK used alone reads what the reference reads (12 MiB here)."""
    size = 12 * 1024 * 1024
    server = await upstream({"/big": streamed(size, chunk=1024 * 1024)})
    response = await fetch(server.url("/big"), limit=None)
    assert len(response.data) == size
