"""``apiary mcp`` over stdio, driven by the ``mcp`` package's real client.

The server is a subprocess with the fixture plugins installed (PYTHONPATH)
and the shipped ones excluded by config; calls that need an upstream reach
``fake_upstream`` on 127.0.0.1 in this test process. Nothing touches the
internet.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

from mcp.client.session import ClientSession
from mcp.client.stdio import StdioServerParameters, stdio_client

from ._serve import APIARY, SHIPPED

KEY = "mcp-e2e-key-0451"

# Shipped integrations left out (they reach the internet); keyed gets its
# credentials from the host config and the environment.
CONFIG = (
    "[mcp]\n"
    f"exclude = {json.dumps(list(SHIPPED))}\n"
    "[integrations.keyed.accounts.default]\n"
    'api_key = { env = "MCP_E2E_KEY" }\n'
)


def write_config(tmp_path: Path, text: str = CONFIG) -> Path:
    path = tmp_path / "apiary.toml"
    path.write_text(text, encoding="utf-8")
    return path


@asynccontextmanager
async def stdio_session(
    apiary_env: dict[str, str], tmp_path: Path, *args: str
) -> AsyncIterator[ClientSession]:
    """An initialized client session with ``apiary mcp [args]`` (its stderr
    in ``tmp_path/mcp.err``)."""
    env = {**apiary_env, "MCP_E2E_KEY": KEY}
    params = StdioServerParameters(
        command=str(APIARY), args=["mcp", "--config", str(write_config(tmp_path)), *args], env=env
    )
    with open(tmp_path / "mcp.err", "w", encoding="utf-8") as errlog:
        async with stdio_client(params, errlog=errlog) as (read, write):
            async with ClientSession(read, write, read_timeout_seconds=60) as session:
                await asyncio.wait_for(session.initialize(), timeout=60)
                yield session


def text_of(result: Any) -> str:
    return "\n".join(block.text for block in result.content if block.type == "text")


async def test_initialize_and_list_tools(apiary_env, tmp_path):
    async with stdio_session(apiary_env, tmp_path) as session:
        listed = await session.list_tools()
    tools = {tool.name: tool for tool in listed.tools}
    assert "echo__echo" in tools and "echo__fetch_json" in tools and "keyed__whoami" in tools
    # Excluded by config: the shipped integrations. Broken at discovery: dup (claimed twice).
    assert not [name for name in tools if name.split("__")[0] in (*SHIPPED, "dup")]
    fetch = tools["echo__fetch_json"]
    assert fetch.description == "GET a URL through context.fetch and return its status and parsed body"
    assert fetch.input_schema["required"] == ["url"]
    assert fetch.input_schema["properties"]["url"] == {"type": "string", "minLength": 1}
    assert fetch.output_schema["required"] == ["status", "data"]
    for tool in tools.values():
        assert tool.input_schema["type"] == "object"
        assert tool.output_schema is None or tool.output_schema["type"] == "object"


async def test_call_succeeds_with_structured_content_and_text(apiary_env, tmp_path, fake_upstream):
    async with stdio_session(apiary_env, tmp_path) as session:
        result = await session.call_tool("echo__fetch_json", {"url": fake_upstream.url("/json")})
        echoed = await session.call_tool("echo__echo", {"x": 7, "message": "hi"})
        whoami = await session.call_tool("keyed__whoami", {"url": fake_upstream.url("/whoami")})
    assert result.is_error is False
    expected = {"status": 200, "data": {"hello": "world", "items": [1, 2, 3]}}
    assert result.structured_content == expected
    assert json.loads(text_of(result)) == expected
    assert echoed.structured_content == {"x": 7, "message": "hi"}
    # Credentials from the host config and environment; the client passed none.
    assert whoami.is_error is False, text_of(whoami)
    # The key reached the upstream; its echo never reaches the client, who never had it.
    assert fake_upstream.seen("/whoami")[0].headers["X-Api-Key"] == KEY
    assert whoami.structured_content["data"]["api_key"] == "[redacted]"
    assert [request.path for request in fake_upstream.requests] == ["/json", "/whoami"]


async def test_bad_arguments_come_back_as_a_tool_error_naming_the_property(apiary_env, tmp_path):
    async with stdio_session(apiary_env, tmp_path) as session:
        wrong_type = await session.call_tool("echo__echo", {"x": "one"})
        missing = await session.call_tool("echo__fetch_json", {})
        extra = await session.call_tool("echo__fetch_json", {"url": "http://127.0.0.1:1/", "nope": 1})
        still_alive = await session.call_tool("echo__echo", {"x": 1})
    assert wrong_type.is_error is True
    message = text_of(wrong_type)
    assert "property 'x'" in message and "'one' is not of type 'integer'" in message
    assert missing.is_error is True and "property 'url'" in text_of(missing) and "required" in text_of(missing)
    assert extra.is_error is True and "nope" in text_of(extra)
    assert still_alive.is_error is False and still_alive.structured_content == {"x": 1}


async def test_upstream_failure_comes_back_as_a_tool_error_with_the_status(apiary_env, tmp_path, fake_upstream):
    async with stdio_session(apiary_env, tmp_path) as session:
        result = await session.call_tool("echo__fetch_json", {"url": fake_upstream.url("/status/503"), "retries": 0})
    assert result.is_error is True
    message = text_of(result)
    assert "upstream_error" in message and "503" in message
    assert fake_upstream.seen("/status/503")


async def test_other_failures_are_tool_errors_never_protocol_errors(apiary_env, tmp_path):
    async with stdio_session(apiary_env, tmp_path) as session:
        unknown = await session.call_tool("nosuch__tool", {})
        action_error = await session.call_tool("echo__action_error", {"message": "no such user"})
        boom = await session.call_tool("echo__boom", {"message": "kaput"})
        bad_output = await session.call_tool("echo__bad_output", {})
        broken = await session.call_tool("broken__anything", {})
    assert unknown.is_error and "Unknown tool 'nosuch__tool'" in text_of(unknown) and "tools/list" in text_of(unknown)
    assert action_error.is_error and "no such user" in text_of(action_error)
    assert boom.is_error and "RuntimeError: kaput" in text_of(boom) and "Traceback" not in text_of(boom)
    assert bad_output.is_error and "output schema" in text_of(bad_output) and "count" in text_of(bad_output)
    assert broken.is_error and "library_that_is_not_installed" in text_of(broken)


async def test_selection_flags(apiary_env, tmp_path):
    async with stdio_session(
        apiary_env, tmp_path, "--include", "echo,keyed.whoami", "--exclude", "echo.boom"
    ) as session:
        names = sorted(tool.name for tool in (await session.list_tools()).tools)
    assert "keyed__whoami" in names and "echo__echo" in names
    assert "echo__boom" not in names and not [name for name in names if name.startswith("broken__")]


async def test_stdout_carries_json_rpc_only(apiary_env, tmp_path):
    """Raw stdout of a session whose calls log at every level (and fail):
    every line is a JSON-RPC message; the logs are on stderr."""
    messages: list[dict[str, Any]] = [
        {
            "jsonrpc": "2.0", "id": 1, "method": "initialize",
            "params": {
                "protocolVersion": "2025-06-18",
                "capabilities": {},
                "clientInfo": {"name": "raw", "version": "0"},
            },
        },
        {"jsonrpc": "2.0", "method": "notifications/initialized"},
        {"jsonrpc": "2.0", "id": 2, "method": "tools/list"},
        {
            "jsonrpc": "2.0",
            "id": 3,
            "method": "tools/call",
            "params": {"name": "echo__log_auth", "arguments": {"a": 1}},
        },
        {"jsonrpc": "2.0", "id": 4, "method": "tools/call", "params": {"name": "echo__boom", "arguments": {}}},
        {"jsonrpc": "2.0", "id": 5, "method": "tools/call", "params": {"name": "echo__echo", "arguments": {"x": "?"}}},
    ]
    process = await asyncio.create_subprocess_exec(
        str(APIARY), "mcp", "--config", str(write_config(tmp_path)), "--log-level", "debug",
        stdin=asyncio.subprocess.PIPE, stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE,
        env={**apiary_env, "MCP_E2E_KEY": KEY},
    )
    answers: dict[int, dict[str, Any]] = {}
    lines: list[str] = []
    try:
        for message in messages:
            process.stdin.write((json.dumps(message) + "\n").encode())
            await process.stdin.drain()
            if "id" in message:  # one answer per request, in order (bounded reads)
                while message["id"] not in answers:
                    line = (await asyncio.wait_for(process.stdout.readline(), timeout=60)).decode()
                    assert line, "stdout closed early"
                    lines.append(line)
                    parsed = json.loads(line)
                    if "id" in parsed:
                        answers[parsed["id"]] = parsed
        process.stdin.close()
        rest, stderr = await asyncio.wait_for(process.communicate(), timeout=60)
    finally:
        if process.returncode is None:
            process.kill()
            await process.wait()
    lines += rest.decode().splitlines()
    for line in lines:
        if line.strip():
            assert json.loads(line)["jsonrpc"] == "2.0", line
    assert answers[3]["result"]["isError"] is False
    assert answers[4]["result"]["isError"] is True and answers[5]["result"]["isError"] is True
    events = [json.loads(line)["event"] for line in stderr.decode().splitlines() if line.startswith("{")]
    assert "mcp_started" in events and events.count("call") == 3
    assert "auth is" in stderr.decode() or "auth as extra" in stderr.decode()


async def test_list_prints_the_tools(apiary, tmp_path):
    run = apiary("mcp", "--list", "--config", str(write_config(tmp_path)))
    assert run.returncode == 0, run.stderr
    lines = run.stdout.splitlines()
    assert lines[0].split() == ["TOOL", "ACTION", "DESCRIPTION"]
    rows = {line.split()[0]: line.split()[1] for line in lines[1:]}
    assert rows["echo__fetch_json"] == "echo.fetch_json" and rows["keyed__whoami"] == "keyed.whoami"
    assert not [name for name in rows if name.split("__")[0] in (*SHIPPED, "dup")]
    assert "GET a URL through context.fetch" in run.stdout

    as_json = apiary("mcp", "--list", "--json", "--include", "keyed", "--config", str(write_config(tmp_path)))
    assert as_json.json() == [
        {
            "name": "keyed__whoami",
            "integration": "keyed",
            "action": "whoami",
            "description": "GET the URL with header X-Api-Key from the credentials; return the upstream's answer",
        }
    ]


def test_unknown_mcp_config_key_is_a_usage_error(apiary, tmp_path):
    run = apiary("mcp", "--list", "--config", str(write_config(tmp_path, '[mcp]\ninclde = ["echo"]\n')))
    assert run.returncode == 2
    assert "mcp.inclde: unknown key" in run.stderr
