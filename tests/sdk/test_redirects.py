"""Redirects, which fetch() follows itself, hop by hop.

On a hop to another origin (scheme, host or port) every header carrying a
credential of the call is dropped, not only ``Authorization`` and ``Cookie``
(what aiohttp drops): ``X-Api-Key``, ``Private-Token`` and the like would
otherwise reach whoever the first server points at. On the same origin they
stay. Each hop is reported to ``on_request``; methods and bodies change as
aiohttp changes them (303 and POST after 301/302 become GET).
"""

import json

import pytest
from aiohttp import web

from autohive_integrations_sdk import ExecutionContext

SECRET = "key_s3cr3t_0451"
AUTH = {"api_key": SECRET}
CREDENTIAL_HEADERS = {
    "X-Api-Key": SECRET,
    "Private-Token": SECRET,
    "X-Auth": f"key={SECRET}; v=2",  # the credential inside a longer value
    "Authorization": f"Token {SECRET}",
    "Cookie": "sid=abc",
    "Proxy-Authorization": "Basic cHJveHk6cHc=",
}
PLAIN_HEADERS = {"X-Request-Id": "req-1", "Accept": "application/json"}


def redirect_to(location, status=302):
    async def handler(request):
        return web.Response(status=status, headers={"Location": location})

    return handler


async def landing(request):
    return web.json_response({"landed": True})


def header_names(seen):
    return {name.lower() for name in seen["headers"]}


async def fetch(url, auth=AUTH, **kwargs):
    attempts = []
    async with ExecutionContext(auth=auth, on_request=attempts.append) as context:
        response = await context.fetch(url, **kwargs)
    return response, attempts


async def test_cross_origin_hop_drops_every_credential_header(upstream):
    other = await upstream({"/landing": landing})
    first = await upstream({"/start": redirect_to(other.url("/landing"))})
    response, attempts = await fetch(first.url("/start"), headers={**CREDENTIAL_HEADERS, **PLAIN_HEADERS})
    assert response.data == {"landed": True}
    [at_first] = first.requests
    [at_other] = other.requests
    assert {name.lower() for name in CREDENTIAL_HEADERS} <= header_names(at_first)
    assert header_names(at_other).isdisjoint(name.lower() for name in CREDENTIAL_HEADERS)
    assert SECRET not in json.dumps(dict(at_other["headers"]))
    assert at_other["headers"]["X-Request-Id"] == "req-1"
    assert [(attempt.url, attempt.status) for attempt in attempts] == [
        (first.url("/start"), 302),
        (other.url("/landing"), 200),
    ]


async def test_platform_oauth_bearer_dropped_on_a_cross_origin_hop(upstream):
    other = await upstream({"/landing": landing})
    first = await upstream({"/start": redirect_to(other.url("/landing"))})
    auth = {"auth_type": "PlatformOauth2", "credentials": {"access_token": "tok_0451_abc"}}
    await fetch(first.url("/start"), auth=auth)
    assert first.requests[0]["headers"]["Authorization"] == "Bearer tok_0451_abc"
    assert "authorization" not in header_names(other.requests[0])


def redirect_on_this_port(template):
    """A handler redirecting to ``template`` formatted with the server's own port."""

    async def handler(request):
        return web.Response(status=302, headers={"Location": template.format(port=request.url.port)})

    return handler


async def test_another_host_name_is_another_origin(upstream):
    """127.0.0.1 and localhost on the same port are two origins."""
    server = await upstream({"/start": redirect_on_this_port("http://localhost:{port}/landing"), "/landing": landing})
    await fetch(server.url("/start"), headers={"X-Api-Key": SECRET})
    first, hop = server.requests
    assert first["headers"]["X-Api-Key"] == SECRET
    assert (hop["path"], "x-api-key" in header_names(hop)) == ("/landing", False)


@pytest.mark.parametrize("location", ["/landing", "landing", "http://127.0.0.1:{port}/landing"])
async def test_same_origin_hop_keeps_the_headers(upstream, location):
    server = await upstream({"/start": redirect_on_this_port(location), "/landing": landing})
    response, _ = await fetch(server.url("/start"), headers={"X-Api-Key": SECRET, "Private-Token": SECRET})
    assert response.data == {"landed": True}
    first, hop = server.requests
    assert hop["path"] == "/landing"
    assert (hop["headers"]["X-Api-Key"], hop["headers"]["Private-Token"]) == (SECRET, SECRET)


@pytest.mark.parametrize(
    "status, method, sent_method, body_kept",
    [
        (301, "POST", "GET", False),
        (302, "POST", "GET", False),
        (303, "POST", "GET", False),
        (303, "PUT", "GET", False),
        (302, "PUT", "PUT", True),
        (307, "POST", "POST", True),
        (308, "PATCH", "PATCH", True),
    ],
)
async def test_method_and_body_after_a_redirect(upstream, status, method, sent_method, body_kept):
    server = await upstream({"/start": redirect_to("/landing", status), "/landing": landing})
    await fetch(server.url("/start"), method=method, json={"amount": 10})
    first, hop = server.requests
    assert (first["method"], json.loads(first["body"])) == (method, {"amount": 10})
    assert hop["method"] == sent_method
    assert (json.loads(hop["body"]) if hop["body"] else None) == ({"amount": 10} if body_kept else None)


async def test_redirect_without_location_is_the_response(upstream):
    async def no_location(request):
        return web.Response(status=302, text="nowhere")

    server = await upstream({"/start": no_location})
    response, attempts = await fetch(server.url("/start"))
    assert (response.status, response.data) == (302, "nowhere")
    assert len(attempts) == 1


async def test_query_of_the_location_is_sent_and_params_are_not_repeated(upstream):
    server = await upstream({"/start": redirect_to("/landing?page=2"), "/landing": landing})
    await fetch(server.url("/start"), params={"q": "x"})
    first, hop = server.requests
    assert dict(first["query"]) == {"q": "x"}
    assert dict(hop["query"]) == {"page": "2"}
