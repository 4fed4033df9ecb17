"""Imports off the event loop: while one integration imports (slowly), the
others answer and ``/healthz`` answers; concurrent first calls share one
import; an import past ``host.import_timeout`` leaves the integration broken
with that reason, for good."""

from __future__ import annotations

import asyncio
import json

import aiohttp
import pytest
from aiohttp.test_utils import TestServer

from apiary import IntegrationState, parse_config
from apiary.web import create_app

from .._support import PING_CODE, StaticSource, fixture_source, simple_config
from ._gates import ImportGate


@pytest.fixture
def gate():
    gate = ImportGate()
    yield gate
    gate.close()


def slow_source(make_package, gate: ImportGate) -> StaticSource:
    module = make_package.make(simple_config("slow"), gate.code() + PING_CODE + gate.tail())
    return StaticSource([make_package.discovered("slow", module)])


async def test_other_integrations_answer_while_one_imports(make_host, make_package, gate):
    host = await make_host(sources=[fixture_source("echo"), slow_source(make_package, gate)])
    pending = asyncio.create_task(host.call("slow", "ping"))
    assert await gate.started()
    echoed = await host.call("echo", "echo", {"x": 1})
    assert echoed.result.data == {"x": 1}
    assert not pending.done(), "the other call only ran once the import was over: the import held the loop"
    gate.release()
    assert (await pending).result.data == {"pong": True}
    assert host.record("slow").state is IntegrationState.LOADED


async def test_concurrent_first_calls_await_the_same_import(make_host, make_package, gate, logs):
    host = await make_host(sources=[slow_source(make_package, gate)])
    calls = [asyncio.create_task(host.call("slow", "ping")) for _ in range(3)]
    assert await gate.started()
    await asyncio.sleep(0.05)  # let every call reach the load
    gate.release()
    results = await asyncio.gather(*calls)
    assert [result.result.data for result in results] == [{"pong": True}] * 3
    loading = [line for line in logs.events("integration_loading") if line.get("integration") == "slow"]
    assert len(loading) == 1, loading


async def test_a_caller_cancelled_during_the_import_does_not_cancel_it_for_the_others(make_host, make_package, gate):
    host = await make_host(sources=[slow_source(make_package, gate)])
    first = asyncio.create_task(host.call("slow", "ping"))
    second = asyncio.create_task(host.call("slow", "ping"))
    assert await gate.started()
    first.cancel()
    with pytest.raises(asyncio.CancelledError):
        await first
    gate.release()
    assert (await second).result.data == {"pong": True}


async def test_an_import_past_the_timeout_leaves_the_integration_broken(make_host, make_package, gate):
    host = await make_host(
        sources=[fixture_source("echo"), slow_source(make_package, gate)],
        config={"host": {"import_timeout": 0.2}},
    )
    result = await host.call("slow", "ping")
    assert result.result["error"] == "integration_broken"
    message = result.result["message"]
    assert "did not finish within 0.2 s" in message and "host.import_timeout" in message
    assert (await host.call("echo", "echo", {"x": 2})).result.data == {"x": 2}
    # The import finishing later changes nothing: the record stays broken.
    gate.release()
    assert await gate.finished()
    await asyncio.sleep(0.05)
    again = await host.call("slow", "ping")
    assert again.result["error"] == "integration_broken" and again.result["message"] == message
    assert host.record("slow").state is IntegrationState.BROKEN


def test_import_timeout_is_a_checked_config_key():
    assert parse_config({}).import_timeout == 60
    assert parse_config({"host": {"import_timeout": 5}}).import_timeout == 5
    from apiary import ConfigError

    with pytest.raises(ConfigError, match="host.import_timeout: expected a positive number"):
        parse_config({"host": {"import_timeout": 0}})


async def test_healthz_answers_while_an_integration_imports(tmp_path, gate, monkeypatch):
    folder = tmp_path / "folders" / "slowfolder"
    folder.mkdir(parents=True)
    (folder / "config.json").write_text(json.dumps(simple_config("slowfolder", entry_point="main.py")))
    (folder / "main.py").write_text(gate.code() + PING_CODE + gate.tail())
    monkeypatch.setenv("APIARY_TOKEN", "a-test-token-for-healthz")
    config = parse_config({"host": {"folders": [str(tmp_path / "folders")]}, "logging": {"format": "json"}})
    server = TestServer(create_app(config), host="127.0.0.1")
    await server.start_server()
    try:
        async with aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=20)) as client:
            headers = {"Authorization": "Bearer a-test-token-for-healthz"}
            call = asyncio.create_task(
                client.post(server.make_url("/integrations/slowfolder/actions/ping"), json={}, headers=headers)
            )
            assert await gate.started()
            async with client.get(server.make_url("/healthz")) as health:
                assert health.status == 200
            assert not call.done()
            gate.release()
            async with await call as answer:
                assert answer.status == 200
                assert (await answer.json())["result"]["data"] == {"pong": True}
    finally:
        gate.release()
        await server.close()


async def test_the_calls_own_timeout_bounds_its_wait_for_the_import(make_host, make_package, gate):
    """A call never outlives its timeout, an import in progress included; the
    import carries on for the next call."""
    host = await make_host(sources=[slow_source(make_package, gate)], config={"host": {"import_timeout": 30}})
    result = await host.call("slow", "ping", timeout=0.2)
    assert result.result["error"] == "timeout", result.result
    assert "did not finish within 0.2 s" in result.result["message"]
    assert "importing" in result.result["message"]
    gate.release()
    assert (await host.call("slow", "ping")).result.data == {"pong": True}
