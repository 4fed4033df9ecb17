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
