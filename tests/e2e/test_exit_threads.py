"""An integration's own threads never hold an ``apiary`` process past its end.

The integration here is a throw-away folder (written by the test): at import
it starts a non-daemon thread that sleeps 60 s (then writes a marker file),
and its ``block`` action waits on a 60 s ``time.sleep`` in the loop's
default executor. Python would wait for both at exit; ``apiary serve``,
``apiary mcp`` (stdio and HTTP) and ``apiary call`` end anyway once their
work is done (and, for the servers, the grace period), with their normal
exit status and a warning naming the threads left behind.
"""

from __future__ import annotations

import json
import signal
import subprocess
from pathlib import Path
from typing import Any

import pytest

from ._serve import APIARY, SHIPPED, ServerProcess, disabled, free_port, serve_env, start_serve
from .test_mcp_http import wait_listening

THREAD = "lingering-import-thread"

CONFIG_JSON = {
    "name": "lingering",
    "version": "1.0.0",
    "description": "starts a non-daemon thread at import, and blocks an executor thread",
    "entry_point": "lingering.py",
    "actions": {
        name: {
            "description": f"{name} for a test",
            "input_schema": {"type": "object", "properties": {}},
            "output_schema": {"type": "object"},
        }
        for name in ("ping", "block")
    },
}

MODULE = '''
import asyncio
import os
import threading
import time

from autohive_integrations_sdk import ActionHandler, ActionResult, Integration

integration = Integration.load(os.path.join(os.path.dirname(__file__), "config.json"))


def _linger():
    time.sleep(60)
    with open({marker!r}, "w") as marker:
        marker.write("the thread ran to its end")


# Not a daemon, on purpose (and said so: the import itself runs in a daemon thread).
threading.Thread(target=_linger, name={thread!r}, daemon=False).start()


@integration.action("ping")
class Ping(ActionHandler):
    async def execute(self, inputs, context):
        return ActionResult(data={{"pong": True}})


@integration.action("block")
class Block(ActionHandler):
    async def execute(self, inputs, context):
        await asyncio.get_running_loop().run_in_executor(None, time.sleep, 60)
        return ActionResult(data={{"pong": False}})
'''


@pytest.fixture
def lingering(tmp_path: Path) -> tuple[Path, Path]:
    """(host config, marker file) for a host of the lingering folder only."""
    folder = tmp_path / "folders" / "lingering"
    folder.mkdir(parents=True)
    marker = tmp_path / "thread-finished"
    (folder / "config.json").write_text(json.dumps(CONFIG_JSON), encoding="utf-8")
    (folder / "lingering.py").write_text(MODULE.format(marker=str(marker), thread=THREAD), encoding="utf-8")
    config = tmp_path / "apiary.toml"
    config.write_text(
        '[logging]\nformat = "json"\n'
        f'[host]\nfolders = ["{tmp_path / "folders"}"]\n'
        "[serve]\ngrace_period = 5\n"
        "[integrations.lingering]\ncall_timeout = 0.5\n" + disabled(*SHIPPED),
        encoding="utf-8",
    )
    return config, marker


def abandoned(stderr: str) -> list[str]:
    """The thread names of the ``exit_threads_abandoned`` warning."""
    for line in stderr.splitlines():
        if line.startswith("{") and json.loads(line).get("event") == "exit_threads_abandoned":
            return json.loads(line)["threads"]
    raise AssertionError(f"no exit_threads_abandoned warning on stderr:\n{stderr[-3000:]}")


def run_apiary(installed_plugins: Path, *args: str, stdin: str | None = None) -> subprocess.CompletedProcess[str]:
    """``apiary args``, given 20 s (the threads alone would take 60)."""
    return subprocess.run(
        [str(APIARY), *args], input=stdin, capture_output=True, text=True,
        env=serve_env(installed_plugins), timeout=20,
    )


async def test_serve_exits_while_an_integration_thread_still_runs(installed_plugins, tmp_path, lingering):
    config, marker = lingering
    server = start_serve(installed_plugins, tmp_path, config=config)
    try:
        server.wait_ready()
        import aiohttp

        async with aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=30)) as session:
            async with session.post(f"{server.base_url}/integrations/lingering/actions/ping", json={}) as response:
                assert response.status == 200, await response.text()
        server.send(signal.SIGTERM)
        assert await server.wait_exit_async(15) == 0, server.stderr()
        assert not marker.exists()
        assert THREAD in abandoned(server.stderr())
    finally:
        server.stop()


def test_call_exits_while_an_integration_thread_still_runs(installed_plugins, lingering):
    config, marker = lingering
    run = run_apiary(installed_plugins, "call", "lingering", "ping", "--config", str(config))
    assert run.returncode == 0, run.stderr
    assert json.loads(run.stdout)["result"]["data"] == {"pong": True}  # printed before the forced end
    assert not marker.exists()
    assert THREAD in abandoned(run.stderr)


def test_call_does_not_wait_for_an_executor_thread_after_its_timeout(installed_plugins, lingering):
    config, _ = lingering
    run = run_apiary(installed_plugins, "call", "lingering", "block", "--config", str(config))
    assert run.returncode == 4, run.stderr
    assert json.loads(run.stdout)["result"]["error"] == "timeout"


def test_mcp_over_stdio_exits_when_the_client_leaves(installed_plugins, lingering):
    config, marker = lingering
    messages = [
        {"jsonrpc": "2.0", "id": 1, "method": "initialize", "params": {
            "protocolVersion": "2025-06-18", "capabilities": {}, "clientInfo": {"name": "test", "version": "0"}}},
        {"jsonrpc": "2.0", "method": "notifications/initialized"},
        {"jsonrpc": "2.0", "id": 2, "method": "tools/call", "params": {"name": "lingering__ping", "arguments": {}}},
    ]
    # The client reads its answer, then leaves (closes stdin): a client that
    # leaves first has its calls cancelled by the MCP library.
    process = subprocess.Popen(
        [str(APIARY), "mcp", "--config", str(config)],
        stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
        env=serve_env(installed_plugins),
    )
    answers: dict[object, Any] = {}
    try:
        assert process.stdin is not None and process.stdout is not None and process.stderr is not None
        process.stdin.write("".join(json.dumps(m) + "\n" for m in messages))
        process.stdin.flush()
        while 2 not in answers:  # bounded: the process ends (EOF) or pytest's timeout
            line = process.stdout.readline()
            if not line:
                break
            answer = json.loads(line)
            answers[answer.get("id")] = answer
        process.stdin.close()
        returncode = process.wait(timeout=20)  # the thread alone would take 60
        run = subprocess.CompletedProcess(process.args, returncode, "", process.stderr.read())
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()
    assert run.returncode == 0, run.stderr
    assert answers[2]["result"]["structuredContent"] == {"pong": True}, answers
    assert not marker.exists()
    assert THREAD in abandoned(run.stderr)


async def test_mcp_over_http_exits_on_sigterm(installed_plugins, tmp_path, lingering):
    config, marker = lingering
    eager = config.read_text(encoding="utf-8").replace("[host]\n", "[host]\neager = true\n")
    config.write_text(eager, encoding="utf-8")
    port = free_port()
    argv = [str(APIARY), "mcp", "--http", "--port", str(port), "--config", str(config)]
    server = ServerProcess(argv, serve_env(installed_plugins), tmp_path / "mcp", port)
    try:
        await wait_listening(server)  # uvicorn handles SIGTERM from then on
        server.send(signal.SIGTERM)
        assert await server.wait_exit_async(15) == 0, server.stderr()
        assert not marker.exists()
        assert THREAD in abandoned(server.stderr())
    finally:
        server.stop()
