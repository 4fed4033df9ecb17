"""How an ``apiary`` process runs its event loop and ends: integrations'
threads never hold it.

Python waits at exit for every non-daemon thread, and ``asyncio.run`` for
every job in the loop's default executor; an integration that starts a
thread at import, or leaves a blocking call running in ``run_in_executor``
after its call timed out, would keep the process alive for as long as that
runs. ``run`` is ``asyncio.run`` without that wait (the executor is shut
down without waiting, its jobs cancelled when they have not started), and
``leave_within`` bounds the end of the process: if the interpreter has not
exited ``seconds`` later (it still waits for a thread, or an executor's
job), it flushes the output and ends the process with the status it had,
naming the threads left behind (``atexit`` handlers do not run then).
"""

from __future__ import annotations

import logging
import os
import sys
import threading
import time
from collections.abc import Coroutine
from typing import Any, TypeVar

# asyncio, concurrent.futures and the log pipeline are imported where used:
# every command imports this module, and ``apiary list`` needs none of them.

# Seconds the interpreter gets to end once a command is done, before the
# threads it would wait for are abandoned.
EXIT_WAIT = 0.5

# Exit statuses of an interrupted command (Ctrl-C) and of one whose stdout
# was closed before its output was written (``apiary list | head``): as a
# shell reports a tool that SIGINT or SIGPIPE ended (git, cat), 128 + signal.
EXIT_INTERRUPTED = 128 + 2
EXIT_BROKEN_PIPE = 128 + 13

T = TypeVar("T")


def run(main: Coroutine[Any, Any, T]) -> T:
    """``asyncio.run(main)``, without waiting for the default executor's jobs."""
    import asyncio

    return asyncio.run(_unwaited_executor(main))


async def _unwaited_executor(main: Coroutine[Any, Any, T]) -> T:
    import asyncio
    from concurrent.futures import ThreadPoolExecutor

    loop = asyncio.get_running_loop()
    executor = ThreadPoolExecutor(thread_name_prefix="asyncio")
    loop.set_default_executor(executor)
    try:
        return await main
    finally:
        executor.shutdown(wait=False, cancel_futures=True)
        # What asyncio.run then shuts down (and waits for) has no threads.
        loop.set_default_executor(ThreadPoolExecutor(max_workers=1))


def leave_within(seconds: float, status: int) -> None:
    """Give the interpreter ``seconds`` from now to exit; then end the
    process with ``status`` (the threads it still waits for are abandoned).
    For a process whose work is done: its caller must be about to exit."""

    def watchdog() -> None:
        time.sleep(seconds)
        left = sorted(
            thread.name
            for thread in threading.enumerate()
            if thread.is_alive() and not thread.daemon and thread is not threading.main_thread()
        )
        from .._observe.logs import get_logger

        get_logger("apiary").warning(
            "exit_threads_abandoned",
            threads=left,
            waited_s=seconds,
            note="non-daemon threads (an integration's?) still ran; the process ended without them",
        )
        for stream in (sys.stdout, sys.stderr):
            try:
                stream.flush()
            except (OSError, ValueError):
                pass
        for handler in logging.getLogger().handlers:
            try:
                handler.flush()
            except (OSError, ValueError):
                pass
        os._exit(status)

    threading.Thread(target=watchdog, name="apiary-exit", daemon=True).start()
