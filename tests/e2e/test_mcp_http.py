"""``apiary mcp --http`` (the streamable HTTP transport) as a subprocess,
driven by the ``mcp`` package's real streamable HTTP client.

The same essentials as over stdio: initialize, list tools, a successful
call, bad arguments, a failing upstream (``fake_upstream`` on 127.0.0.1).
"""

from __future__ import annotations

import asyncio
import json
import socket
import urllib.error
import urllib.request
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import pytest
from mcp.client.session import ClientSession
from mcp.client.streamable_http import streamable_http_client
from mcp.shared._httpx_utils import create_mcp_http_client

from ._serve import APIARY, ServerProcess, free_port, serve_env
from .test_mcp_stdio import KEY, text_of, write_config


def _listening(port: int) -> bool:
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=1):
            return True
    except OSError:
        return False


async def wait_listening(server: ServerProcess, rounds: int = 600) -> None:
    """Until the server accepts connections (bounded), or it exits."""
    for _ in range(rounds):
        if not server.running():
            raise AssertionError(
                f"apiary mcp --http exited with {server.process.returncode}:\n{server.stderr()[-4000:]}"
            )
        if _listening(server.port):
            return
        await asyncio.sleep(0.05)
    raise AssertionError(f"apiary mcp --http did not listen after {rounds} polls:\n{server.stderr()[-4000:]}")


@pytest.fixture
async def mcp_http(installed_plugins, tmp_path):
    port = free_port()
    argv = [str(APIARY), "mcp", "--http", "--port", str(port), "--config", str(write_config(tmp_path))]
    server = ServerProcess(argv, serve_env(installed_plugins, {"MCP_E2E_KEY": KEY}), tmp_path / "server", port)
    try:
        await wait_listening(server)
        yield server
    finally:
        server.stop()


@asynccontextmanager
async def http_session(server: ServerProcess, token: str | None = None) -> AsyncIterator[ClientSession]:
    headers = {"Authorization": f"Bearer {token}"} if token else None
    async with create_mcp_http_client(headers=headers) as client:
        async with streamable_http_client(f"{server.base_url}/mcp", http_client=client) as (read, write):
            async with ClientSession(read, write, read_timeout_seconds=60) as session:
                await asyncio.wait_for(session.initialize(), timeout=60)
                yield session


async def test_streamable_http_essentials(mcp_http, fake_upstream):
    async with http_session(mcp_http) as session:
        tools = {tool.name: tool for tool in (await session.list_tools()).tools}
        ok = await session.call_tool("echo__fetch_json", {"url": fake_upstream.url("/json")})
        whoami = await session.call_tool("keyed__whoami", {"url": fake_upstream.url("/whoami")})
        bad = await session.call_tool("echo__echo", {"x": "one"})
        failing = await session.call_tool("echo__fetch_json", {"url": fake_upstream.url("/status/502"), "retries": 0})
        unknown = await session.call_tool("nosuch", {})

    assert tools["echo__fetch_json"].input_schema["required"] == ["url"]
    assert tools["echo__fetch_json"].output_schema["required"] == ["status", "data"]
    assert not [name for name in tools if name.startswith(("github__", "http__", "dup__"))]

    expected = {"status": 200, "data": {"hello": "world", "items": [1, 2, 3]}}
    assert ok.is_error is False and ok.structured_content == expected
    assert json.loads(text_of(ok)) == expected
    # The configured key reached the upstream; its echo never reaches the client.
    assert whoami.is_error is False and whoami.structured_content["data"]["api_key"] == "[redacted]"
    assert fake_upstream.seen("/whoami")[0].headers["X-Api-Key"] == KEY

    assert bad.is_error is True and "property 'x'" in text_of(bad)
    assert failing.is_error is True and "502" in text_of(failing) and "upstream_error" in text_of(failing)
    assert unknown.is_error is True and "Unknown tool" in text_of(unknown)


async def test_two_sessions_share_the_server_and_it_stops_on_sigterm(mcp_http, fake_upstream):
    async with http_session(mcp_http) as first, http_session(mcp_http) as second:
        a, b = await asyncio.gather(
            first.call_tool("echo__echo", {"x": 1}), second.call_tool("echo__echo", {"x": 2})
        )
    assert (a.structured_content, b.structured_content) == ({"x": 1}, {"x": 2})
    assert mcp_http.stdout() == ""  # logs go to stderr
    assert mcp_http.events("mcp_started", transport="http")
    mcp_http.send(15)
    assert await mcp_http.wait_exit_async(timeout=30) == 0


def test_refuses_a_public_address_without_a_token(apiary, tmp_path):
    run = apiary("mcp", "--http", "--host", "0.0.0.0", "--port", "1", "--config", str(write_config(tmp_path)))
    assert run.returncode == 2
    assert "refusing to listen on 0.0.0.0 without a token" in run.stderr


async def test_with_a_token_every_request_needs_it(installed_plugins, tmp_path):
    port = free_port()
    argv = [str(APIARY), "mcp", "--http", "--port", str(port), "--config", str(write_config(tmp_path))]
    env = serve_env(installed_plugins, {"MCP_E2E_KEY": KEY, "APIARY_TOKEN": "mcp-token-0451"})
    server = ServerProcess(argv, env, tmp_path / "server", port)
    try:
        await wait_listening(server)
        request = urllib.request.Request(f"{server.base_url}/mcp", data=b"{}", method="POST")
        try:
            await asyncio.to_thread(urllib.request.urlopen, request, timeout=10)
            raise AssertionError("answered without the token")
        except urllib.error.HTTPError as error:
            assert error.code == 401 and json.loads(error.read())["error"] == "unauthorized"
        async with http_session(server, token="mcp-token-0451") as session:
            result = await session.call_tool("echo__echo", {"x": 3})
        assert result.structured_content == {"x": 3}
    finally:
        server.stop()
