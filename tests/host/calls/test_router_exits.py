"""A handler that raises a ``BaseException`` (``sys.exit()``, a stray
``KeyboardInterrupt``, a ``CancelledError`` of its own making, any other
subclass) gets a ``handler_error`` result like any other exception: it never
leaves ``Host.call``, and the host keeps serving."""

from __future__ import annotations

import asyncio

import pytest

from autohive_integrations_sdk import ResultType

from .._support import simple_config

ACTIONS = ("exit", "exit_zero", "interrupt", "custom", "own_cancel", "awaits_cancelled")

EXITS_CODE = '''
import asyncio
import sys

from autohive_integrations_sdk import ActionHandler, Integration

integration = Integration.load()


class Unusual(BaseException):
    """Neither an Exception nor one of Python's own."""


@integration.action("exit")
class Exit(ActionHandler):
    async def execute(self, inputs, context):
        sys.exit(3)


@integration.action("exit_zero")
class ExitZero(ActionHandler):
    async def execute(self, inputs, context):
        await asyncio.sleep(0)
        raise SystemExit


@integration.action("interrupt")
class Interrupt(ActionHandler):
    async def execute(self, inputs, context):
        raise KeyboardInterrupt


@integration.action("custom")
class Custom(ActionHandler):
    async def execute(self, inputs, context):
        raise Unusual("an odd one")


@integration.action("own_cancel")
class OwnCancel(ActionHandler):
    async def execute(self, inputs, context):
        raise asyncio.CancelledError("nobody cancelled this call")


@integration.action("awaits_cancelled")
class AwaitsCancelled(ActionHandler):
    """Awaits a task that something else cancelled: the CancelledError is
    the handler's failure, not a cancellation of the call."""

    async def execute(self, inputs, context):
        inner = asyncio.ensure_future(asyncio.sleep(10))
        await asyncio.sleep(0)
        inner.cancel()
        await inner
'''


def _config():
    schema = {"description": "x", "input_schema": {"type": "object"}, "output_schema": {"type": "object"}}
    return simple_config("exits", actions={name: schema for name in ACTIONS})


@pytest.fixture
async def exits_host(make_host, make_package):
    module = make_package.make(_config(), EXITS_CODE, prefix="exits")
    return await make_host(sources=[_source(make_package.discovered("exits", module))])


def _source(discovered):
    from .._support import StaticSource

    return StaticSource([discovered])


@pytest.mark.parametrize(
    ("action", "exception"),
    [
        ("exit", "SystemExit"),
        ("exit_zero", "SystemExit"),
        ("interrupt", "KeyboardInterrupt"),
        ("custom", "Unusual"),
        ("own_cancel", "CancelledError"),
        ("awaits_cancelled", "CancelledError"),
    ],
)
async def test_a_base_exception_from_a_handler_is_a_handler_error(exits_host, logs, action, exception):
    result = await exits_host.call("exits", action, {})
    assert result.type is ResultType.ERROR
    assert result.result["error"] == "handler_error"
    assert result.result["exception"] == exception
    assert result.result["message"].startswith(exception)
    assert asyncio.current_task().cancelling() == 0
    [raised] = logs.events("handler_raised")
    assert exception in raised["exception"]
    # The host is still there for the next call.
    assert (await exits_host.call("exits", "nosuch", {})).result["error"] == "unknown_action"


async def test_the_call_event_is_written_for_an_exiting_handler(exits_host, logs):
    await exits_host.call("exits", "exit", {})
    [call] = logs.events("call")
    assert call["outcome"] == "error" and call["error"] == "handler_error"
