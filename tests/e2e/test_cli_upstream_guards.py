"""What the host guards against on an integration's upstream requests, seen
through ``apiary call`` subprocesses with real upstreams on 127.0.0.1:

- responses larger than ``max_response_bytes`` (10 MiB by default, per
  integration configurable) are refused as an upstream error naming the limit;
- ``pool.connect_timeout`` applies to a connect that hangs, which then fails
  as an upstream error instead of holding the call until its deadline;
- an attempt cut by the call's deadline is still counted and logged;
- a redirect loop fails at once, naming the cause;
- a credential header never follows a redirect to another origin.
"""

from __future__ import annotations

import asyncio
import json
from pathlib import Path

import pytest
from aiohttp import web
from aiohttp.test_utils import TestServer

MIB = 1024 * 1024
RELEASE = web.AppKey("release", asyncio.Event)


@pytest.fixture
async def upstream():
    """A local upstream: ``/big?size=N`` streams N bytes of a JSON string
    (chunked, no Content-Length), ``/hang`` never answers, ``/loop`` redirects
    to itself, ``/away?to=URL`` redirects to URL, ``/whoami`` tells which
    credential headers it got."""
    seen: list[dict[str, str]] = []

    async def big(request: web.Request) -> web.StreamResponse:
        size = int(request.query["size"])
        response = web.StreamResponse(headers={"Content-Type": "application/json"})
        response.enable_chunked_encoding()
        await response.prepare(request)
        sent, chunk = 0, b"x" * (256 * 1024)
        try:
            await response.write(b'"')
            while sent < size:
                await response.write(chunk[: size - sent])
                sent += len(chunk[: size - sent])
            await response.write(b'"')
            await response.write_eof()
        except ConnectionError:
            pass
        return response

    async def hang(request: web.Request) -> web.Response:
        seen.append({"path": request.path})
        await request.app[RELEASE].wait()
        return web.json_response({})

    async def loop(request: web.Request) -> web.Response:
        seen.append({"path": request.path})
        raise web.HTTPFound("/loop")

    async def away(request: web.Request) -> web.Response:
        seen.append({"path": request.path, **request.headers})
        raise web.HTTPFound(request.query["to"])

    async def whoami(request: web.Request) -> web.Response:
        seen.append({"path": request.path, **request.headers})
        return web.json_response({"api_key": request.headers.get("X-Api-Key")})

    app = web.Application()
    app[RELEASE] = asyncio.Event()
    for path, handler in (("/big", big), ("/hang", hang), ("/loop", loop), ("/away", away), ("/whoami", whoami)):
        app.router.add_get(path, handler)
    server = TestServer(app, host="127.0.0.1")
    await server.start_server()
    server.seen = seen  # type: ignore[attr-defined]
    try:
        yield server
    finally:
        app[RELEASE].set()
        await server.close()


def url_of(server: TestServer, path: str) -> str:
    return str(server.make_url(path))


def config_file(tmp_path: Path, text: str) -> str:
    path = tmp_path / "apiary.toml"
    path.write_text(text, encoding="utf-8")
    return str(path)


def result_of(run) -> dict:
    return json.loads(run.stdout)["result"]


async def fetch_json(apiary_async, url: str, *options: str, **inputs):
    return await apiary_async(
        "call", "echo", "fetch_json", "--log-format", "json", *options, "--input", json.dumps({"url": url, **inputs})
    )


# ---- response size -------------------------------------------------------------


async def test_default_limit_refuses_an_answer_over_10_mib(apiary_async, upstream):
    run = await fetch_json(apiary_async, url_of(upstream, f"/big?size={11 * MIB}"))
    assert run.returncode == 4, run.stderr
    result = result_of(run)
    assert result["error"] == "upstream_error"
    assert "max_response_bytes" in result["message"] and "10 MiB" in result["message"]
    assert (result["limit"], result["status"]) == (10 * MIB, 200)

    within = await fetch_json(apiary_async, url_of(upstream, f"/big?size={MIB}"))
    assert within.returncode == 0, within.stderr
    assert len(result_of(within)["data"]["data"]) == MIB


async def test_limit_configured_for_the_pool_and_per_integration(apiary_async, upstream, tmp_path):
    config = config_file(
        tmp_path, "[pool]\nmax_response_bytes = 4096\n[integrations.echo]\nmax_response_bytes = 100000\n"
    )
    echo = await fetch_json(apiary_async, url_of(upstream, "/big?size=50000"), "--config", config)
    assert echo.returncode == 0, echo.stdout + echo.stderr

    tighter = config_file(tmp_path, "[pool]\nmax_response_bytes = 4096\n")
    refused = await fetch_json(apiary_async, url_of(upstream, "/big?size=50000"), "--config", tighter)
    assert refused.returncode == 4
    assert "max_response_bytes = 4096 (4 KiB)" in result_of(refused)["message"]


@pytest.mark.parametrize("section", ["pool", "integrations.echo"])
def test_a_bad_limit_is_a_config_error_naming_the_key(apiary, tmp_path, section):
    config = config_file(tmp_path, f"[{section}]\nmax_response_bytes = 0\n")
    run = apiary("call", "echo", "echo", "--config", config)
    assert run.returncode == 2
    assert f"{section}.max_response_bytes: expected a positive whole number" in run.stderr


# ---- timeouts ----------------------------------------------------------------------


async def test_connect_timeout_applies_to_a_hanging_connect(apiary_async, blackhole_url, tmp_path):
    """The call may take 20 s; the connect is given up after 0.3 s."""
    config = config_file(tmp_path, "[host]\ncall_timeout = 20\n[pool]\nconnect_timeout = 0.3\n")
    run = await fetch_json(apiary_async, blackhole_url, "--config", config, retries=0)
    assert run.returncode == 4
    result = result_of(run)
    assert (result["error"], result["exception"]) == ("upstream_error", "ConnectionTimeoutError")
    [attempt] = [line for line in run.log_lines() if line["event"] == "upstream_request"]
    assert attempt["error"] == "ConnectionTimeoutError"


async def test_attempt_cut_by_the_deadline_is_counted(apiary_async, upstream):
    """The request may take 10 s (http's ``timeout``), the call 0.5 s: the
    call's deadline cuts the attempt, which is still logged and counted."""
    request = {"method": "GET", "url": url_of(upstream, "/hang"), "timeout": 10}
    run = await apiary_async(
        "call", "http", "request", "--log-format", "json", "--timeout", "0.5", "--input", json.dumps(request)
    )
    assert result_of(run)["error"] == "timeout"
    [attempt] = [line for line in run.log_lines() if line["event"] == "upstream_request"]
    assert (attempt["path"], attempt["status"], attempt["error"]) == ("/hang", None, "cancelled")
    [call] = [line for line in run.log_lines() if line["event"] == "call"]
    assert call["upstream_requests"] == 1


# ---- redirects -------------------------------------------------------------------


async def test_redirect_loop_fails_at_once(apiary_async, upstream):
    run = await fetch_json(apiary_async, url_of(upstream, "/loop"))
    assert run.returncode == 4
    result = result_of(run)
    assert (result["error"], result["exception"]) == ("upstream_error", "TooManyRedirects")
    assert result["message"].startswith("upstream redirected too many times: TooManyRedirects")
    assert len(upstream.seen) == 10  # one attempt, no retry


async def test_credential_header_does_not_follow_a_cross_origin_redirect(apiary_async, upstream, fake_upstream):
    """keyed sends its API key as X-Api-Key: upstream A has it, origin B not."""
    key = "key-0451-not-for-b"
    target = fake_upstream.url("/whoami")
    run = await apiary_async(
        "call", "keyed", "whoami", "--auth", json.dumps({"api_key": key}),
        "--input", json.dumps({"url": url_of(upstream, f"/away?to={target}")}),
    )
    assert run.returncode == 0, run.stdout + run.stderr
    assert result_of(run)["data"] == {"status": 200, "data": {"api_key": None, "authorization": None, "cookie": None}}
    [at_a] = upstream.seen
    assert at_a["X-Api-Key"] == key
    [at_b] = fake_upstream.seen("/whoami")
    assert "X-Api-Key" not in at_b.headers
