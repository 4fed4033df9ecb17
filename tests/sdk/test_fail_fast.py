"""Failures a retry cannot mend fail at once, for every method, naming the cause.

An invalid URL or a non-http(s) scheme, a redirect loop (at most 10 requests)
and a TLS failure (an untrusted certificate) are raised on the first attempt:
no back-off, no second request. The TLS server is real, on 127.0.0.1, with a
certificate from a throw-away CA (trustme).
"""

import asyncio
import ssl

import aiohttp
import pytest
import trustme
from aiohttp import web

from autohive_integrations_sdk import ExecutionContext, PerCallCookieJar

METHODS = ["GET", "POST", "PUT"]


async def fetch(url, method="GET", session=None, **kwargs):
    attempts = []
    async with ExecutionContext(session=session, on_request=attempts.append) as context:
        try:
            await context.fetch(url, method=method, **kwargs)
        finally:
            fetch.attempts = attempts


@pytest.mark.parametrize("method", METHODS)
@pytest.mark.parametrize(
    "url, expected",
    [
        ("ftp://127.0.0.1/file.txt", aiohttp.NonHttpUrlClientError),
        ("htps://127.0.0.1/typo", aiohttp.NonHttpUrlClientError),
        ("http://", aiohttp.InvalidUrlClientError),
        ("http://[::1/unclosed", aiohttp.InvalidUrlClientError),
    ],
)
async def test_invalid_url_fails_at_once(sleeps, method, url, expected):
    with pytest.raises(expected) as caught:
        await fetch(url, method)
    assert url in str(caught.value)
    assert sleeps.delays == []
    assert len(fetch.attempts) == 1


def redirect_to(location, status=302):
    async def handler(request):
        return web.Response(status=status, headers={"Location": location})

    return handler


@pytest.mark.parametrize("method", METHODS)
async def test_redirect_loop_fails_at_once_after_at_most_ten_requests(upstream, sleeps, method):
    server = await upstream({"/loop": redirect_to("/loop", 307)})
    with pytest.raises(aiohttp.TooManyRedirects) as caught:
        await fetch(server.url("/loop"), method, json={"a": 1})
    assert len(server.requests) == 10
    assert "redirect" in str(caught.value).lower()
    assert sleeps.delays == []


@pytest.mark.parametrize("location", ["ftp://127.0.0.1/file", "javascript:alert(1)"])
async def test_redirect_to_a_non_http_scheme_fails_at_once(upstream, sleeps, location):
    server = await upstream({"/go": redirect_to(location)})
    with pytest.raises(aiohttp.NonHttpUrlRedirectClientError) as caught:
        await fetch(server.url("/go"))
    assert location in str(caught.value)
    assert len(server.requests) == 1
    assert sleeps.delays == []


@pytest.fixture(scope="module")
def ca():
    return trustme.CA()


@pytest.fixture
async def tls_server(ca):
    """An HTTPS server on 127.0.0.1 whose certificate no system trusts."""

    async def hello(request):
        return web.json_response({"hello": "tls"})

    app = web.Application()
    app.router.add_route("*", "/{tail:.*}", hello)
    server_context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    ca.issue_cert("127.0.0.1").configure_cert(server_context)
    runner = web.AppRunner(app)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0, ssl_context=server_context)
    await site.start()
    port = runner.addresses[0][1]
    try:
        yield f"https://127.0.0.1:{port}"
    finally:
        await runner.cleanup()


@pytest.mark.parametrize("method", METHODS)
async def test_untrusted_certificate_fails_at_once(sleeps, tls_server, method):
    with pytest.raises(aiohttp.ClientConnectorCertificateError) as caught:
        await fetch(f"{tls_server}/orders", method, json={"amount": 10})
    assert "certificate verify failed" in str(caught.value)
    assert len(fetch.attempts) == 1
    assert sleeps.delays == []


async def test_the_tls_server_answers_a_client_trusting_its_ca(ca, tls_server):
    """The control: the failure above is the certificate's, not the server's."""
    client_context = ssl.create_default_context()
    ca.configure_trust(client_context)
    connector = aiohttp.TCPConnector(ssl=client_context)
    async with aiohttp.ClientSession(connector=connector, cookie_jar=PerCallCookieJar()) as session:
        context = ExecutionContext(session=session)
        response = await asyncio.wait_for(context.fetch(f"{tls_server}/x"), 10)
    assert response.data == {"hello": "tls"}
