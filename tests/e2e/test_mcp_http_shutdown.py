"""``apiary mcp --http`` stopping on SIGTERM with tool calls in flight.

Like ``apiary serve``: a call that ends within the grace period gets its
result (not an SSE stream that ends without one), and a call still running
at the deadline gets a tool error saying the server shut down, after which
the process exits within the grace period plus the bound (2 s). Calls are
held at the fake upstream's ``/gate``, released by the test.
"""

from __future__ import annotations

import asyncio
import signal
import time

from ._serve import APIARY, ServerProcess, free_port, serve_env
from .test_mcp_http import http_session, wait_listening
from .test_mcp_stdio import KEY, text_of

SHUTDOWN_BOUND = 2.0


def start(installed_plugins, tmp_path, grace: float) -> ServerProcess:
    config = tmp_path / "apiary.toml"
    config.write_text(
        f'[logging]\nformat = "json"\n[host]\ncall_timeout = 120\n[serve]\ngrace_period = {grace}\n', encoding="utf-8"
    )
    port = free_port()
    argv = [str(APIARY), "mcp", "--http", "--port", str(port), "--config", str(config)]
    return ServerProcess(argv, serve_env(installed_plugins, {"MCP_E2E_KEY": KEY}), tmp_path / "mcp", port)


async def test_a_call_finishing_within_the_grace_period_gets_its_result(installed_plugins, tmp_path, fake_upstream):
    server = start(installed_plugins, tmp_path, grace=20)
    try:
        await wait_listening(server)
        async with http_session(server) as session:
            call = asyncio.create_task(session.call_tool("echo__fetch_json", {"url": fake_upstream.url("/gate")}))
            await fake_upstream.wait_in_flight(1)
            server.send(signal.SIGTERM)
            await server.wait_log("shutdown_draining")
            await asyncio.sleep(0.7)  # sse-starlette used to end every stream within 0.5 s of the signal
            # While draining, the server still answers what is not a new call.
            assert "echo__echo" in {tool.name for tool in (await session.list_tools()).tools}
            refused = await session.call_tool("echo__echo", {"x": 1})
            assert refused.is_error is True and "shutting down" in text_of(refused), text_of(refused)
            fake_upstream.gate.set()
            result = await asyncio.wait_for(call, 30)
        assert result.is_error is False, text_of(result)
        assert result.structured_content == {"status": 200, "data": {"passed": True}}
        assert await server.wait_exit_async(30) == 0, server.stderr()
    finally:
        fake_upstream.gate.set()
        server.stop()


async def test_a_call_outliving_the_grace_period_is_answered_as_cut_off(installed_plugins, tmp_path, fake_upstream):
    grace = 1.5
    server = start(installed_plugins, tmp_path, grace=grace)
    try:
        await wait_listening(server)
        async with http_session(server) as session:
            call = asyncio.create_task(session.call_tool("echo__fetch_json", {"url": fake_upstream.url("/gate")}))
            await fake_upstream.wait_in_flight(1)
            server.send(signal.SIGTERM)
            signalled = time.monotonic()
            result = await asyncio.wait_for(call, 30)
            assert result.is_error is True
            assert "shut down before it finished" in text_of(result) and f"{grace:g} s" in text_of(result)
        assert await server.wait_exit_async(30) == 0, server.stderr()
        took = time.monotonic() - signalled
        assert took < grace + SHUTDOWN_BOUND, f"exited {took:.2f} s after SIGTERM (grace {grace} s)"
        assert not fake_upstream.gate.is_set()
        assert server.events("shutdown_calls_cut", count=1)
    finally:
        fake_upstream.gate.set()
        server.stop()
