"""``apiary serve`` under more connections than it has descriptors for.

The server runs under ``ulimit -n 256`` (set in the child before it runs)
and meets 300 idle connections: it must keep answering ``/healthz``, close
idle connections rather than fail to accept, and say so in a line or two of
log, not thousands of tracebacks. With ``serve.max_connections`` the cap is
the operator's; when every connection is busy, a few more are still let in
for the probes (anything else on them is a 503 ``overloaded``). Every loop
is bounded; calls are held at the fake upstream's ``/gate``.
"""

from __future__ import annotations

import asyncio
import json
import socket
import time
import urllib.request

import aiohttp

from ._serve import ServerProcess, start_serve


def write_config(directory, text: str = ""):
    path = directory / "apiary.toml"
    path.write_text('[logging]\nformat = "json"\n' + text, encoding="utf-8")
    return path


def healthz(server: ServerProcess) -> tuple[int, dict]:
    """GET /healthz on a fresh connection (5 s at most)."""
    with urllib.request.urlopen(server.base_url + "/healthz", timeout=5) as response:
        return response.status, json.loads(response.read())


def open_idle(port: int, count: int) -> list[socket.socket]:
    """``count`` connections that never send a byte (each connect bounded)."""
    return [socket.create_connection(("127.0.0.1", port), timeout=5) for _ in range(count)]


def closed_by_server(sock: socket.socket, wait: float = 2) -> bool:
    """Whether the server closed this idle connection (EOF or reset within ``wait`` s)."""
    sock.settimeout(wait)
    try:
        return sock.recv(1) == b""
    except ConnectionResetError:
        return True
    except TimeoutError:
        return False


def log_volume(server: ServerProcess) -> int:
    return len(server.stderr().splitlines())


async def test_health_answers_with_more_idle_connections_than_descriptors(installed_plugins, tmp_path):
    server = start_serve(installed_plugins, tmp_path, config=write_config(tmp_path), max_descriptors=256)
    idle: list[socket.socket] = []
    try:
        server.wait_ready()
        before = log_volume(server)

        idle = open_idle(server.port, 300)
        assert healthz(server) == (200, {"status": "ok"})
        listening = server.events("serve_listening")[0]
        assert 0 < listening["max_connections"] < 256, listening  # derived from the limit, with headroom
        assert closed_by_server(idle[0])  # the oldest idle connections made room
        assert not closed_by_server(idle[-1], wait=0.2)  # the newest are served

        time.sleep(0.5)  # what an exhausted server would keep logging meanwhile
        assert healthz(server)[0] == 200
        written = server.stderr().splitlines()[before:]
        assert len(written) < 20, written[:5]
        capped = server.events("connections_capped")
        # One line per interval (10 s) counting what it did, not one per connection.
        assert len(capped) == 1 and capped[0]["max_connections"] == listening["max_connections"], capped
        assert capped[0]["closed_idle"] >= 1
        assert "Traceback" not in server.stderr()
        assert "out of system resource" not in server.stderr()
    finally:
        for sock in idle:
            sock.close()
        server.stop()


async def test_a_cap_above_the_descriptor_limit_fails_accepts_quietly(installed_plugins, tmp_path):
    """``serve.max_connections`` set beyond what ``ulimit -n`` holds: a
    warning at start, and the failed accepts are one counted line, not a
    traceback each."""
    config = write_config(tmp_path, "[serve]\nmax_connections = 1000\n")
    server = start_serve(installed_plugins, tmp_path, config=config, max_descriptors=256)
    idle: list[socket.socket] = []
    try:
        server.wait_ready()
        assert server.events("serve_max_connections_high", max_connections=1000)
        before = log_volume(server)
        idle = open_idle(server.port, 300)
        for _ in range(200):  # until the server has run out (bounded)
            if server.events("accept_failed"):
                break
            time.sleep(0.01)
        time.sleep(0.5)
        written = server.stderr().splitlines()[before:]
        assert len(written) < 20, written[:5]
        assert [line["failures"] >= 1 for line in server.events("accept_failed")] == [True]
        assert "Traceback" not in server.stderr()
    finally:
        for sock in idle:
            sock.close()
        server.stop()


async def test_with_every_connection_busy_probes_still_answer(installed_plugins, tmp_path, fake_upstream):
    server = start_serve(installed_plugins, tmp_path, config=write_config(tmp_path, "[serve]\nmax_connections = 2\n"))
    try:
        server.wait_ready()
        assert server.events("serve_listening")[0]["max_connections"] == 2
        async with aiohttp.ClientSession(
            base_url=server.base_url, timeout=aiohttp.ClientTimeout(total=30),
            connector=aiohttp.TCPConnector(force_close=True),
        ) as session:

            async def gated() -> int:
                body = {"inputs": {"url": fake_upstream.url("/gate")}}
                async with session.post("/integrations/echo/actions/fetch_json", json=body) as response:
                    return response.status

            calls = [asyncio.create_task(gated()) for _ in range(2)]
            await fake_upstream.wait_in_flight(2)  # both connections busy

            async with session.get("/healthz") as response:
                assert response.status == 200
            async with session.post("/integrations/echo/actions/echo", json={"inputs": {}}) as response:
                body = await response.json()
                assert response.status == 503 and body["result"]["error"] == "overloaded", body
                assert response.headers.get("Connection", "").lower() == "close"

            fake_upstream.gate.set()
            assert await asyncio.gather(*calls) == [200, 200]
        assert server.events("connections_capped")
    finally:
        fake_upstream.gate.set()
        server.stop()
