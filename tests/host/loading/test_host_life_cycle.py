"""The host's life cycle: every load failure is a broken integration whatever
the module does, a failed or cancelled ``__aenter__`` leaves nothing open,
eager loading is bounded, and entering an entered host is refused."""

from __future__ import annotations

import asyncio

import pytest

from apiary import Host, IntegrationState, LoadError, parse_config
from apiary._loading.registry import Registry

from .._support import PING_CODE, StaticSource, fixture_source, simple_config
from ._gates import ImportGate

# A module answering every missing attribute with an error that is not an
# AttributeError, the way some lazy-import shims do.
GRUMPY = '''
def __getattr__(name):
    raise RuntimeError(f"no {name} here, and I say so loudly")
'''


@pytest.fixture
def gate():
    gate = ImportGate()
    yield gate
    gate.close()


def host_over(*sources, **config) -> Host:
    return Host(parse_config(config), sources=list(sources), load_plugin_entry_points=False)


async def test_a_module_whose_getattr_raises_is_broken_not_raised(make_host, make_package):
    grumpy = make_package.make(simple_config("grumpy"), GRUMPY)
    host = await make_host(sources=[fixture_source("echo"), StaticSource([make_package.discovered("grumpy", grumpy)])])
    result = await host.call("grumpy", "ping")
    assert result.result["error"] == "integration_broken"
    assert "RuntimeError: no integration here, and I say so loudly" in result.result["message"]
    assert host.record("grumpy").state is IntegrationState.BROKEN
    assert (await host.call("echo", "echo", {"x": 1})).result.data == {"x": 1}


def test_the_sync_load_turns_it_into_a_load_error_too(make_package):
    grumpy = make_package.make(simple_config("grumpy"), GRUMPY)
    registry = Registry([StaticSource([make_package.discovered("grumpy", grumpy)])])
    record = registry.get("grumpy")
    with pytest.raises(LoadError, match="RuntimeError: no integration here"):
        registry.load(record)
    assert record.state is IntegrationState.BROKEN


async def test_an_eager_host_enters_with_it_broken_and_leaves_nothing_open(make_package):
    grumpy = make_package.make(simple_config("grumpy"), GRUMPY)
    host = host_over(
        fixture_source("echo"), StaticSource([make_package.discovered("grumpy", grumpy)]), host={"eager": True}
    )
    try:
        async with host:
            assert host.record("grumpy").state is IntegrationState.BROKEN
            assert host.record("echo").state is IntegrationState.LOADED
    finally:
        assert not host.is_open


async def test_a_cancelled_eager_start_closes_the_pool(make_package, gate):
    slow = make_package.make(simple_config("slow"), gate.code() + PING_CODE)
    host = host_over(StaticSource([make_package.discovered("slow", slow)]), host={"eager": True})
    entering = asyncio.create_task(host.__aenter__())
    assert await gate.started()
    entering.cancel()
    with pytest.raises(asyncio.CancelledError):
        await entering
    assert not host.is_open
    with pytest.raises(RuntimeError, match="enter the host first"):
        await host.call("slow", "ping")


async def test_eager_loading_is_bounded_by_the_import_timeout(make_package, gate):
    slow = make_package.make(simple_config("slow"), gate.code() + PING_CODE)
    host = host_over(
        fixture_source("echo"),
        StaticSource([make_package.discovered("slow", slow)]),
        host={"eager": True, "import_timeout": 0.2},
    )
    async with host:
        record = host.record("slow")
        assert record.state is IntegrationState.BROKEN
        assert "did not finish within 0.2 s" in record.reason
        assert (await host.call("echo", "echo", {"x": 3})).result.data == {"x": 3}


async def test_entering_an_entered_host_is_refused_and_leaves_it_working():
    host = host_over(fixture_source("echo"))
    async with host:
        with pytest.raises(RuntimeError, match="already entered"):
            async with host:
                pass  # pragma: no cover - never reached
        assert host.is_open
        assert (await host.call("echo", "echo", {"x": 4})).result.data == {"x": 4}
    assert not host.is_open


async def test_concurrent_entries_are_refused_too():
    host = host_over(fixture_source("echo"))
    results = await asyncio.gather(host.__aenter__(), host.__aenter__(), return_exceptions=True)
    try:
        assert sum(result is host for result in results) == 1
        [refused] = [result for result in results if result is not host]
        assert isinstance(refused, RuntimeError) and "already entered" in str(refused)
    finally:
        await host.__aexit__(None, None, None)
    assert not host.is_open


async def test_a_host_can_be_entered_again_after_it_exited():
    host = host_over(fixture_source("echo"))
    for x in range(2):
        async with host:
            assert (await host.call("echo", "echo", {"x": x})).result.data == {"x": x}
        assert not host.is_open
