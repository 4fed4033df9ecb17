"""A call cancelled by its caller stays cancelled: only the call's own
deadline turns a cancellation into a timeout result."""

from __future__ import annotations

import asyncio

import pytest


async def test_caller_cancellation_propagates_and_the_host_keeps_serving(make_host):
    host = await make_host("echo")
    task = asyncio.create_task(host.call("echo", "slow", {"seconds": 5}))
    for _ in range(100):  # bounded: until the call is inside the handler
        await asyncio.sleep(0)
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task

    after = await host.call("echo", "echo", {"x": 1})
    assert after.type.value == "action"


async def test_deadline_expiry_is_a_timeout_result_and_leaves_the_task_uncancelled(make_host):
    host = await make_host("echo")
    result = await host.call("echo", "slow", {"seconds": 5}, timeout=0.05)
    assert result.result["error"] == "timeout"
    assert asyncio.current_task().cancelling() == 0
    await asyncio.sleep(0)  # a withdrawn cancellation must not surface at the next await


async def _enter_handler(task: asyncio.Task) -> None:
    for _ in range(100):  # bounded: until the call waits inside the handler
        await asyncio.sleep(0)
    assert not task.done()


@pytest.mark.parametrize("caller_first", [True, False], ids=["caller-then-deadline", "deadline-then-caller"])
async def test_caller_cancellation_in_the_deadlines_loop_iteration_still_propagates(make_host, caller_first):
    """The deadline and the caller's ``cancel()`` fire in the same loop
    iteration (the loop was blocked past both): the caller's cancellation
    wins, never a timeout result."""
    import time

    host = await make_host("echo")
    loop = asyncio.get_running_loop()
    if caller_first:
        holder: list[asyncio.Task] = []
        loop.call_later(0.05, lambda: holder[0].cancel())  # due before the call's deadline
        task = asyncio.create_task(host.call("echo", "slow", {"seconds": 5}, timeout=0.05))
        holder.append(task)
        await _enter_handler(task)
    else:
        task = asyncio.create_task(host.call("echo", "slow", {"seconds": 5}, timeout=0.05))
        await _enter_handler(task)
        loop.call_later(0.06, task.cancel)  # due after the call's deadline
    time.sleep(0.2)  # block the loop: both timers are due at its next iteration
    with pytest.raises(asyncio.CancelledError):
        await task
    assert task.cancelled()

    # The host keeps serving, and its deadlines still work.
    assert (await host.call("echo", "echo", {"x": 1})).type.value == "action"
    timed_out = await host.call("echo", "slow", {"seconds": 5}, timeout=0.02)
    assert timed_out.result["error"] == "timeout"
    assert asyncio.current_task().cancelling() == 0


async def test_a_deadline_whose_cancellation_the_handler_swallowed_leaves_no_pending_cancel(make_host, make_package):
    """A handler that catches the deadline's cancellation and returns: the
    call answers, and the caller's task is not left marked as cancelling."""
    from .._support import StaticSource, simple_config

    code = '''
import asyncio
from autohive_integrations_sdk import ActionHandler, ActionResult, Integration

integration = Integration.load()


@integration.action("ping")
class Stubborn(ActionHandler):
    async def execute(self, inputs, context):
        try:
            await asyncio.sleep(5)
        except asyncio.CancelledError:
            pass
        return ActionResult(data={"stubborn": True})
'''
    module = make_package.make(simple_config("stubborn"), code, prefix="stubborn")
    host = await make_host(sources=[StaticSource([make_package.discovered("stubborn", module)])])
    result = await host.call("stubborn", "ping", {}, timeout=0.02)
    assert result.type.value == "action"
    assert asyncio.current_task().cancelling() == 0
    await asyncio.sleep(0)
