"""``apiary serve`` as an operator runs it: where it listens and who may
talk to it, the token from the environment, graceful shutdown on
SIGTERM/SIGINT with calls in flight, and gunicorn with two workers.

Each test starts its own server (a subprocess on a free loopback port), so
it can stop it. Calls in flight are held deterministically at the fake
upstream's ``/gate`` (released by the test), never by sleeping.
"""

from __future__ import annotations

import asyncio
import json
import os
import re
import signal
import socket
import subprocess
from pathlib import Path
from typing import Any

import aiohttp
import pytest

from ._serve import (
    APIARY,
    GUNICORN,
    ServerProcess,
    bearer,
    free_port,
    listening_addresses,
    non_loopback_address,
    proc_state,
    raw_http,
    serve_env,
    split_http,
    start_serve,
    wait_until,
)

TOKEN = "ops-token-canary-Lk29Vb"


async def post(base_url: str, path: str, body: Any, headers: dict[str, str] | None = None, timeout: float = 30):
    """POST on a fresh connection (closed afterwards): (status, JSON body)."""
    connector = aiohttp.TCPConnector(force_close=True)
    async with aiohttp.ClientSession(
        base_url=base_url, connector=connector, timeout=aiohttp.ClientTimeout(total=timeout)
    ) as session:
        async with session.post(path, json=body, headers=headers) as response:
            return response.status, await response.json()


async def get(base_url: str, path: str, headers: dict[str, str] | None = None):
    connector = aiohttp.TCPConnector(force_close=True)
    async with aiohttp.ClientSession(
        base_url=base_url, connector=connector, timeout=aiohttp.ClientTimeout(total=30)
    ) as session:
        async with session.get(path, headers=headers) as response:
            return response.status, await response.json(), response.headers


def write_config(directory: Path, text: str) -> Path:
    path = directory / "apiary.toml"
    path.write_text('[logging]\nformat = "json"\n' + text, encoding="utf-8")
    return path


# ---- where it listens ------------------------------------------------------------------------


@pytest.mark.parametrize("where", ["flag", "config"])
def test_refuses_to_listen_beyond_loopback_without_a_token(installed_plugins, tmp_path, where):
    port = free_port()
    args = [str(APIARY), "serve", "--port", str(port)]
    if where == "flag":
        args += ["--host", "0.0.0.0"]
    else:
        args += ["--config", str(write_config(tmp_path, '[serve]\nhost = "0.0.0.0"\n'))]
    completed = subprocess.run(
        args, capture_output=True, text=True, env=serve_env(installed_plugins), timeout=30, stdin=subprocess.DEVNULL
    )
    assert completed.returncode == 2, completed.stderr
    assert "APIARY_TOKEN" in completed.stderr
    assert "0.0.0.0" in completed.stderr
    assert "Traceback" not in completed.stderr
    assert listening_addresses(port) == []


def test_a_token_variable_named_by_the_config_must_be_set(installed_plugins, tmp_path):
    config = write_config(tmp_path, '[serve]\ntoken = { env = "APIARY_E2E_TOKEN_NOT_SET" }\n')
    completed = subprocess.run(
        [str(APIARY), "serve", "--port", str(free_port()), "--config", str(config)],
        capture_output=True, text=True, env=serve_env(installed_plugins), timeout=30, stdin=subprocess.DEVNULL,
    )
    assert completed.returncode == 2, completed.stderr
    assert "APIARY_E2E_TOKEN_NOT_SET" in completed.stderr
    assert "Traceback" not in completed.stderr


async def test_without_a_token_it_listens_on_loopback_only_and_stops_on_sigint(installed_plugins, tmp_path):
    server = start_serve(installed_plugins, tmp_path, config=write_config(tmp_path, ""))
    try:
        server.wait_ready()
        banner = server.stderr().splitlines()[0]
        assert f"127.0.0.1:{server.port}" in banner and "loopback" in banner, banner
        assert listening_addresses(server.port) == ["127.0.0.1"]
        status, body, _ = await get(server.base_url, "/integrations")  # no token needed
        assert status == 200 and any(item["id"] == "echo" for item in body)
        server.send(signal.SIGINT)
        assert server.wait_exit(30) == 0, server.stderr()
    finally:
        server.stop()


async def test_token_from_apiary_token_and_sigterm_when_idle(installed_plugins, tmp_path):
    server = start_serve(installed_plugins, tmp_path, config=write_config(tmp_path, ""), env={"APIARY_TOKEN": TOKEN})
    try:
        seen = server.wait_ready()  # /readyz needs no token; 503 (JSON) at most before 200
        assert set(seen) <= {200, 503} and seen[-1] == 200
        banner = server.stderr().splitlines()[0]
        assert "loopback" not in banner  # a token is configured
        status, body, headers = await get(server.base_url, "/integrations")
        assert status == 401 and body["result"]["error"] == "unauthorized"
        assert headers["WWW-Authenticate"].startswith("Bearer")
        status, _, _ = await get(server.base_url, "/integrations", headers=bearer(TOKEN))
        assert status == 200
        status, body = await post(
            server.base_url, "/integrations/echo/actions/echo", {"inputs": {"x": 7}}, headers=bearer(TOKEN)
        )
        assert (status, body["result"]["data"]) == (200, {"x": 7})
        status, body, _ = await get(server.base_url, "/healthz")
        assert (status, body) == (200, {"status": "ok"})
        server.send(signal.SIGTERM)
        assert server.wait_exit(30) == 0, server.stderr()
        assert TOKEN not in server.stderr()
    finally:
        server.stop()


# ---- graceful shutdown -------------------------------------------------------------------------


async def _refused_after_signal(base_url: str, rounds: int = 200) -> str:
    """Send new requests (fresh connections) until one is refused: a
    connection error or a 503. Requests the server accepted before it
    handled the signal may still succeed; the loop is bounded."""
    for _ in range(rounds):
        try:
            status, body = await post(base_url, "/integrations/echo/actions/echo", {"inputs": {"x": 1}}, timeout=10)
        except (TimeoutError, aiohttp.ClientConnectionError) as error:
            return f"connection: {type(error).__name__}"
        if status == 503:
            return "503"
        assert status == 200, body
        await asyncio.sleep(0.02)
    raise AssertionError(f"new requests were still served after {rounds} tries")


async def test_sigterm_lets_in_flight_calls_finish_and_refuses_new_ones(installed_plugins, tmp_path, fake_upstream):
    config = write_config(tmp_path, "[serve]\ngrace_period = 20\n")
    server = start_serve(installed_plugins, tmp_path, config=config)
    try:
        server.wait_ready()
        async with aiohttp.ClientSession(base_url=server.base_url, timeout=aiohttp.ClientTimeout(total=60)) as warm:
            # An open keep-alive connection first, so the slow call rides a
            # connection the server has already accepted.
            async with warm.get("/healthz") as response:
                assert response.status == 200

            async def slow_call():
                async with warm.post(
                    "/integrations/echo/actions/slow", json={"inputs": {"seconds": 1.5, "marker": "drain"}}
                ) as response:
                    return response.status, await response.json()

            slow = asyncio.create_task(slow_call())
            gated = asyncio.create_task(
                post(
                    server.base_url,
                    "/integrations/echo/actions/fetch_json",
                    {"inputs": {"url": fake_upstream.url("/gate")}},
                    timeout=60,
                )
            )
            # The gated call is in flight once it waits at the upstream; the
            # slow call was sent before it, on an accepted connection.
            await fake_upstream.wait_in_flight(1)
            server.send(signal.SIGTERM)

            how = await _refused_after_signal(server.base_url)
            assert server.running(), "the server exited with calls in flight"

            fake_upstream.gate.set()
            gated_status, gated_body = await gated
            assert gated_status == 200, gated_body
            assert gated_body["result"]["data"] == {"status": 200, "data": {"passed": True}}
            slow_status, slow_body = await slow
            assert slow_status == 200, slow_body
            assert slow_body["result"]["data"] == {"slept": 1.5}

        assert await server.wait_exit_async(30) == 0, server.stderr()
        outcomes = {(line["action"], line["outcome"]) for line in server.events("call")}
        assert {("slow", "action"), ("fetch_json", "action")} <= outcomes, (how, outcomes)
        assert "Traceback" not in server.stderr()
    finally:
        fake_upstream.gate.set()
        server.stop()


async def test_the_grace_period_bounds_the_drain(installed_plugins, tmp_path, fake_upstream):
    """A call still running when the grace period ends does not keep the
    server up: it exits 0 while the upstream still holds the call."""
    config = write_config(tmp_path, "[serve]\ngrace_period = 1\n")
    server = start_serve(installed_plugins, tmp_path, config=config)
    try:
        server.wait_ready()
        gated = asyncio.create_task(
            post(
                server.base_url,
                "/integrations/echo/actions/fetch_json",
                {"inputs": {"url": fake_upstream.url("/gate")}},
                timeout=60,
            )
        )
        await fake_upstream.wait_in_flight(1)
        server.send(signal.SIGTERM)
        assert await server.wait_exit_async(30) == 0, server.stderr()
        assert not fake_upstream.gate.is_set()  # the call never got its answer: the server gave up on it
        outcome = await asyncio.gather(gated, return_exceptions=True)
        assert isinstance(outcome[0], aiohttp.ClientError) or outcome[0][0] != 200, outcome
        # Even a request the drain gave up on has its access-log line: the
        # operator must see which calls a shutdown cut off.
        abandoned = server.events("http_request", path="/integrations/echo/actions/fetch_json")
        assert abandoned, server.stderr()
    finally:
        fake_upstream.gate.set()
        server.stop()


# ---- gunicorn ------------------------------------------------------------------------------------


BOOTED = re.compile(r"Booting worker with pid: (\d+)")
ACCESS = re.compile(r"^<?(\d+)>?\s+POST\s+\S*[?&]via=(\d+)-\d+\s")


async def test_gunicorn_with_two_workers_serves_from_both_and_stops_on_sigterm(installed_plugins, tmp_path):
    """Two workers, each proven to serve on its own: while one is stopped
    (SIGSTOP) only the other can accept, and the access log (%P) names it."""
    assert GUNICORN.is_file(), f"gunicorn is not installed at {GUNICORN} (the test extra)"
    config = write_config(tmp_path, "")
    port = free_port()
    argv = [
        str(GUNICORN), "apiary.web:create_app()",
        "--worker-class", "aiohttp.GunicornWebWorker",
        "-w", "2",
        "--bind", f"127.0.0.1:{port}",
        "--graceful-timeout", "10",
        "--access-logfile", "-",
        "--access-logformat", "%P %r %s",
    ]
    # HOME: gunicorn >= 24 opens a control socket under ~/.gunicorn.
    env = {"APIARY_CONFIG": str(config), "APIARY_TOKEN": TOKEN, "HOME": str(tmp_path)}
    server = ServerProcess(argv, serve_env(installed_plugins, env), tmp_path, port)
    try:
        server.wait_ready()
        wait_until(lambda: len(BOOTED.findall(server.stderr())) >= 2, what="two workers booted")
        workers = [int(pid) for pid in BOOTED.findall(server.stderr())]
        assert len(set(workers)) == 2, server.stderr()

        status, body, _ = await get(server.base_url, "/integrations")
        assert status == 401 and body["result"]["error"] == "unauthorized"

        for stopped, serving in ((workers[0], workers[1]), (workers[1], workers[0])):
            os.kill(stopped, signal.SIGSTOP)
            try:
                wait_until(lambda stopped=stopped: proc_state(stopped) == "T", what=f"worker {stopped} stopped")
                for round_ in range(3):
                    status, body = await post(
                        server.base_url, f"/integrations/echo/actions/echo?via={serving}-{round_}",
                        {"inputs": {"x": round_}}, headers=bearer(TOKEN),
                    )
                    assert (status, body["result"]["data"]) == (200, {"x": round_})
            finally:
                os.kill(stopped, signal.SIGCONT)

        def served_by():
            return [(int(m.group(1)), int(m.group(2))) for m in map(ACCESS.match, server.stdout().splitlines()) if m]

        wait_until(lambda: len(served_by()) >= 6, what="six access log lines")
        assert all(pid == via for pid, via in served_by()), served_by()
        assert {pid for pid, _ in served_by()} == set(workers)

        server.send(signal.SIGTERM)
        assert server.wait_exit(30) == 0, server.stderr()
        assert TOKEN not in server.stderr() + server.stdout()
    finally:
        server.stop()


# ---- the OpenAPI document does not depend on what was called first ---------------------------------


async def test_the_openapi_document_does_not_depend_on_earlier_calls(installed_plugins, tmp_path):
    """Two servers on one installation: one asked for /openapi.json first,
    the other after a call found ``broken`` broken. Both documents must be
    the same (with gunicorn every worker builds its own)."""
    documents = []
    for first_call in (False, True):
        workdir = tmp_path / f"first-call-{first_call}"
        workdir.mkdir()
        server = start_serve(installed_plugins, workdir, config=write_config(workdir, ""))
        try:
            server.wait_ready()
            if first_call:
                status, body = await post(server.base_url, "/integrations/broken/actions/anything", {"inputs": {}})
                assert (status, body["result"]["error"]) == (503, "integration_broken")
            status, document, _ = await get(server.base_url, "/openapi.json")
            assert status == 200
            documents.append(document)
        finally:
            server.stop()
    offered = [sorted(path for path in document["paths"] if "/actions/" in path) for document in documents]
    assert offered[0] == offered[1], set(offered[0]) ^ set(offered[1])


# ---- no token: loopback clients only, however the server is started ------------------------------


async def test_gunicorn_on_every_address_without_a_token_serves_loopback_clients_only(installed_plugins, tmp_path):
    """``create_app()`` under gunicorn bound to 0.0.0.0 with no token: the
    rule ``apiary serve`` applies at start holds per request. A client on
    the machine's own non-loopback address is refused with a JSON 403 for
    every action (the http integration, an open proxy otherwise, included);
    loopback clients are served, and the probes stay open."""
    assert GUNICORN.is_file(), f"gunicorn is not installed at {GUNICORN} (the test extra)"
    port = free_port()
    argv = [
        str(GUNICORN), "apiary.web:create_app()", "--worker-class", "aiohttp.GunicornWebWorker",
        "-w", "1", "--bind", f"0.0.0.0:{port}", "--graceful-timeout", "10",
    ]
    env = {"APIARY_CONFIG": str(write_config(tmp_path, "")), "HOME": str(tmp_path)}  # no APIARY_TOKEN
    server = ServerProcess(argv, serve_env(installed_plugins, env), tmp_path, port)
    try:
        server.wait_ready()
        assert "0.0.0.0" in listening_addresses(port)
        status, body = await post(server.base_url, "/integrations/echo/actions/echo", {"inputs": {"x": 1}})
        assert (status, body["result"]["data"]) == (200, {"x": 1})  # loopback: served

        address = non_loopback_address()
        assert address is not None, "this machine has no non-loopback IPv4 address to test from"
        remote = f"http://{address}:{port}"
        for path, payload in (
            ("/integrations/echo/actions/echo", {"inputs": {"x": 1}}),
            ("/integrations/http/actions/request", {"inputs": {"method": "GET", "url": f"{server.base_url}/healthz"}}),
        ):
            status, body = await post(remote, path, payload)
            assert status == 403 and body["result"]["error"] == "forbidden", (path, body)
            assert "APIARY_TOKEN" in body["result"]["message"]
        status, body, _ = await get(remote, "/integrations")
        assert status == 403 and body["result"]["error"] == "forbidden"
        status, body, _ = await get(remote, "/healthz")
        assert (status, body) == (200, {"status": "ok"})
        assert server.events("http_request", path="/integrations/http/actions/request", status=403)
        assert not server.events("call", integration="http")
    finally:
        server.stop()


def gunicorn(installed_plugins: Path, tmp_path: Path, app: str, config_text: str, *extra: str) -> ServerProcess:
    """One gunicorn aiohttp worker on a free loopback port serving ``app``."""
    assert GUNICORN.is_file(), f"gunicorn is not installed at {GUNICORN} (the test extra)"
    port = free_port()
    argv = [
        str(GUNICORN), app, "--worker-class", "aiohttp.GunicornWebWorker",
        "-w", "1", "--bind", f"127.0.0.1:{port}", "--graceful-timeout", "10", *extra,
    ]
    env = {"APIARY_CONFIG": str(write_config(tmp_path, config_text)), "HOME": str(tmp_path)}
    return ServerProcess(argv, serve_env(installed_plugins, env), tmp_path, port)


async def test_gunicorn_drains_within_the_grace_period_and_answers_the_cut_call(
    installed_plugins, tmp_path, fake_upstream
):
    """Under gunicorn the application drains on the worker's shutdown: the
    call still running when ``serve.grace_period`` (1 s) ends gets a JSON
    503, well before gunicorn's own graceful timeout (10 s) would kill the
    worker with the connection."""
    server = gunicorn(installed_plugins, tmp_path, "apiary.web:create_app()", "[serve]\ngrace_period = 1\n")
    try:
        server.wait_ready()
        gated = {"inputs": {"url": fake_upstream.url("/gate")}}
        call = asyncio.create_task(post(server.base_url, "/integrations/echo/actions/fetch_json", gated))
        await fake_upstream.wait_in_flight(1)
        server.send(signal.SIGTERM)
        status, body = await asyncio.wait_for(call, 30)
        assert (status, body["result"]["error"]) == (503, "shutting_down"), body
        assert not fake_upstream.gate.is_set()
        assert await server.wait_exit_async(30) == 0, server.stderr()
    finally:
        fake_upstream.gate.set()
        server.stop()


async def test_gunicorn_on_create_runner_is_apiary_serves_server(installed_plugins, tmp_path):
    """``apiary.web:create_runner`` (awaited by the worker): the application
    on the server ``apiary serve`` runs, so malformed HTTP is a JSON 400 and
    the connection cap holds, and it stops on SIGTERM."""
    server = gunicorn(installed_plugins, tmp_path, "apiary.web:create_runner", "[serve]\nmax_connections = 4\n")
    idle = []
    try:
        server.wait_ready()
        status, body = await post(server.base_url, "/integrations/echo/actions/echo", {"inputs": {"x": 2}})
        assert (status, body["result"]["data"]) == (200, {"x": 2})
        status, headers, raw = split_http(raw_http(server.port, b"GET /healthz HTTP/1.1\r\nBad Header\r\n\r\n"))
        assert status == 400 and headers["content-type"].startswith("application/json"), raw
        assert json.loads(raw)["result"]["error"] == "bad_request"
        idle = [socket.create_connection(("127.0.0.1", server.port), timeout=5) for _ in range(10)]
        status, body, _ = await get(server.base_url, "/healthz")
        assert (status, body) == (200, {"status": "ok"})
        assert server.events("connections_capped", max_connections=4)
        server.send(signal.SIGTERM)
        assert server.wait_exit(30) == 0, server.stderr()
    finally:
        for sock in idle:
            sock.close()
        server.stop()
