"""Threads the host starts carry the context of the call that started them.

``loop.run_in_executor(None, ...)``, unlike ``asyncio.to_thread``, runs its
function without the caller's ``contextvars``: a handler's work in the
loop's default executor would log without the call's ids and without the
call's secrets bound for redaction. ``use_context_executor`` gives a loop
that has no default executor yet one that runs every job in a copy of the
submitter's context; a loop whose owner already chose an executor keeps it
(host-resolved secrets are still redacted there, process-wide).
"""

from __future__ import annotations

import asyncio
import contextvars
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from typing import Any, TypeVar

__all__ = ["ContextExecutor", "use_context_executor"]

_T = TypeVar("_T")


class ContextExecutor(ThreadPoolExecutor):
    """A thread pool running each job in a copy of the submitter's context."""

    def submit(self, fn: Callable[..., _T], /, *args: Any, **kwargs: Any) -> Future[_T]:
        return super().submit(contextvars.copy_context().run, fn, *args, **kwargs)


def use_context_executor(loop: asyncio.AbstractEventLoop) -> None:
    """Make a ``ContextExecutor`` ``loop``'s default executor, unless it has
    one already (its owner's choice, or asyncio's, created on first use)."""
    # Only asyncio's own loops say whether they have one (uvloop does not).
    if isinstance(loop, asyncio.BaseEventLoop) and getattr(loop, "_default_executor", True) is None:
        loop.set_default_executor(ContextExecutor(thread_name_prefix="asyncio"))
