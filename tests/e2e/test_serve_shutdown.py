"""``apiary serve`` stopping with a call in flight that outlives the grace
period: what clients see while it drains, at the deadline, and when it exits.

From the signal on, ``/readyz`` answers 503 ``draining`` (so a load balancer
takes the instance out) and new calls a 503 ``shutting_down``; a call still
running when the grace period ends is answered 503 ``shutting_down`` (JSON,
in the envelope) rather than dropped, and the process exits within the
grace period plus the documented bound (2 s), not twice the grace period.
Calls are held at the fake upstream's ``/gate``, never by sleeping.
"""

from __future__ import annotations

import asyncio
import signal
import time
from typing import Any

import aiohttp

from ._serve import start_serve

# What the server may take beyond the grace period to answer cut calls,
# close the pool and end (README: serving over HTTP).
SHUTDOWN_BOUND = 2.0


async def request(base_url: str, method: str, path: str, body: Any = None) -> tuple[int, dict[str, str], Any]:
    """One request on a fresh connection: (status, headers, JSON body)."""
    connector = aiohttp.TCPConnector(force_close=True)
    async with aiohttp.ClientSession(
        base_url=base_url, connector=connector, timeout=aiohttp.ClientTimeout(total=30)
    ) as session:
        async with session.request(method, path, json=body) as response:
            assert response.content_type == "application/json", response.headers
            return response.status, dict(response.headers), await response.json()


def write_config(directory, grace: float):
    path = directory / "apiary.toml"
    path.write_text(
        f'[logging]\nformat = "json"\n[host]\ncall_timeout = 120\n[serve]\ngrace_period = {grace}\n', encoding="utf-8"
    )
    return path


def gated_call(base_url: str, fake_upstream) -> asyncio.Task:
    body = {"inputs": {"url": fake_upstream.url("/gate")}}
    return asyncio.create_task(request(base_url, "POST", "/integrations/echo/actions/fetch_json", body))


async def settle(task: asyncio.Task | None) -> None:
    """Clean-up: a call task of a failed test, finished either way."""
    if task is not None:
        task.cancel()
        await asyncio.gather(task, return_exceptions=True)


async def test_a_call_outliving_the_grace_period_gets_a_503_and_the_server_exits_within_the_bound(
    installed_plugins, tmp_path, fake_upstream
):
    grace = 1.5
    server = start_serve(installed_plugins, tmp_path, config=write_config(tmp_path, grace))
    call = None
    try:
        server.wait_ready()
        call = gated_call(server.base_url, fake_upstream)
        await fake_upstream.wait_in_flight(1)
        server.send(signal.SIGTERM)
        signalled = time.monotonic()

        # Draining: still listening, but out of rotation and taking no new calls.
        await server.wait_log("shutdown_draining")
        status, headers, body = await request(server.base_url, "GET", "/readyz")
        assert status == 503 and body["result"]["error"] == "not_ready", body
        assert "draining" in body["result"]["message"]
        assert headers.get("Connection", "").lower() == "close"
        status, _, body = await request(server.base_url, "POST", "/integrations/echo/actions/echo", {"inputs": {}})
        assert status == 503 and body["result"]["error"] == "shutting_down", body
        status, _, body = await request(server.base_url, "GET", "/healthz")
        assert (status, body) == (200, {"status": "ok"})  # alive, only not ready

        # The deadline: the call still held upstream is answered, not dropped.
        status, headers, body = await call
        assert status == 503, body
        assert set(body) == {"version", "type", "result"} and body["type"] == "error"
        assert body["result"]["error"] == "shutting_down"
        assert f"{grace:g} s" in body["result"]["message"]
        assert not fake_upstream.gate.is_set()

        assert await server.wait_exit_async(30) == 0, server.stderr()
        took = time.monotonic() - signalled
        assert took < grace + SHUTDOWN_BOUND, f"exited {took:.2f} s after SIGTERM (grace {grace} s)"
        cut = server.events("http_request", path="/integrations/echo/actions/fetch_json")
        assert [line["status"] for line in cut] == [503] and cut[0]["cut_at_shutdown"] is True, cut
        assert server.events("shutdown_calls_cut", count=1)
        assert "Traceback" not in server.stderr()
    finally:
        fake_upstream.gate.set()
        server.stop()
        await settle(call)


async def test_a_second_signal_cuts_the_drain_short(installed_plugins, tmp_path, fake_upstream):
    """The operator's second SIGTERM/SIGINT: the deadline is now; the call
    in flight gets its 503 at once instead of after the 60 s grace period."""
    server = start_serve(installed_plugins, tmp_path, config=write_config(tmp_path, 60))
    call = None
    try:
        server.wait_ready()
        call = gated_call(server.base_url, fake_upstream)
        await fake_upstream.wait_in_flight(1)
        server.send(signal.SIGTERM)
        await server.wait_log("shutdown_draining")
        status, _, _ = await request(server.base_url, "GET", "/readyz")
        assert status == 503
        server.send(signal.SIGINT)
        status, _, body = await asyncio.wait_for(call, 20)
        assert (status, body["result"]["error"]) == (503, "shutting_down"), body
        assert await server.wait_exit_async(20) == 0, server.stderr()
    finally:
        fake_upstream.gate.set()
        server.stop()
        await settle(call)
