"""Blocking work off the event loop, bounded, and done once however many wait.

An integration's first import can take seconds (a heavy SDK, a slow disk, a
``time.sleep`` at import): run on the loop it would freeze every other
integration and ``/healthz``. ``call_in_thread`` runs it in a thread of its
own and waits for it without blocking the loop, up to a timeout; past it
the caller gets ``TimeoutError`` and the thread is left to finish (or not)
on its own: Python cannot stop a thread, and a daemon thread never holds
up the process's exit. A dedicated thread rather than the loop's default
executor, because an import that never returns would occupy an executor
worker for good, and ``asyncio.run`` waits for those workers at exit.

``SingleFlight`` shares one run among concurrent callers of one key (the
way Home Assistant's loader shares an integration's import): the first
caller starts it, later ones await the same task, and a caller that is
cancelled stops waiting without cancelling the run for the others.
"""

from __future__ import annotations

import asyncio
import contextvars
import threading
from collections.abc import Callable, Coroutine
from typing import Any, Generic, TypeVar

T = TypeVar("T")


async def call_in_thread(function: Callable[[], T], *, timeout: float, name: str) -> T:
    """``function()`` in a new daemon thread named ``name``, run in a copy of
    the caller's context (so its logs carry the call's ids); its result or
    its exception, or ``TimeoutError`` after ``timeout`` seconds."""
    loop = asyncio.get_running_loop()
    done: asyncio.Future[T] = loop.create_future()
    context = contextvars.copy_context()

    def settle(result: Any, error: Exception | None) -> None:
        if done.done():  # timed out or cancelled meanwhile: nobody waits for it
            return
        if error is not None:
            done.set_exception(error)
        else:
            done.set_result(result)

    def work() -> None:
        result: Any = None
        error: Exception | None = None
        try:
            result = context.run(function)
        except Exception as raised:
            error = raised
        except BaseException as raised:  # e.g. SystemExit: not for the loop to raise
            error = RuntimeError(f"{type(raised).__name__}: {raised}")
        try:
            loop.call_soon_threadsafe(settle, result, error)
        except RuntimeError:
            pass  # the loop is closed: its waiters are gone

    threading.Thread(target=work, name=name, daemon=True).start()
    return await asyncio.wait_for(done, timeout)


class SingleFlight(Generic[T]):
    """At most one run per key at a time; concurrent callers share it."""

    def __init__(self) -> None:
        self._runs: dict[str, asyncio.Task[T]] = {}

    async def run(self, key: str, start: Callable[[], Coroutine[Any, Any, T]]) -> T:
        """The result of the run of ``key`` in flight, or of ``start()`` begun now."""
        loop = asyncio.get_running_loop()
        task = self._runs.get(key)
        if task is None or task.done() or task.get_loop() is not loop:
            task = self._runs[key] = loop.create_task(start())
            task.add_done_callback(lambda finished: self._forget(key, finished))
        # Shielded: a caller cancelled while waiting leaves the run to the others.
        return await asyncio.shield(task)

    def _forget(self, key: str, finished: asyncio.Task[T]) -> None:
        if self._runs.get(key) is finished:
            del self._runs[key]
        if not finished.cancelled():
            finished.exception()  # retrieved: every caller may have gone
