"""A network face's way out: requests in flight, the drain, the deadline.

From the moment a server is told to stop it is *draining*: it takes no new
calls (``apiary serve``: a 503 ``shutting_down``, and ``/readyz`` a 503 so
load balancers take it out of rotation), and the calls in flight get the
grace period (``serve.grace_period``) to finish. Whatever still runs at the
deadline is cancelled, and the face answers it as cut off (HTTP: a 503
``shutting_down`` in the envelope; MCP: a tool error) rather than dropping
the connection; the drain then waits at most ``CUT_WAIT`` for those answers
to go out. The face tells the drain which requests are in flight
(``enter``/``leave``) and asks it, on a cancellation, whether it was the
drain's (``was_cut``).
"""

from __future__ import annotations

import asyncio
from typing import Any

from .._observe.logs import get_logger

# Seconds the calls cut at the deadline get to send their answer.
CUT_WAIT = 0.5


class Drain:
    """The requests in flight of one server, and its deadline once
    draining (loop time)."""

    def __init__(self, grace_period: float, logger: str) -> None:
        self.grace_period = grace_period
        self._log: Any = get_logger(logger)
        self.draining = False
        self.deadline: float | None = None
        self._in_flight: set[asyncio.Task[object]] = set()
        self._cut: set[asyncio.Task[object]] = set()
        self._changed: asyncio.Event | None = None

    # ---- the middleware's side --------------------------------------------------

    def enter(self, task: asyncio.Task[object]) -> None:
        self._in_flight.add(task)

    def leave(self, task: asyncio.Task[object]) -> None:
        self._in_flight.discard(task)
        self._cut.discard(task)
        if not self._in_flight and self._changed is not None:
            self._changed.set()

    def was_cut(self, task: asyncio.Task[object]) -> bool:
        """Whether ``task`` was cancelled by the deadline (not by its client)."""
        return task in self._cut

    # ---- the server's side -------------------------------------------------------

    def begin(self, reason: str) -> None:
        """Start draining (once): the deadline is the grace period from now."""
        if self.draining:
            return
        self.draining = True
        self.deadline = asyncio.get_running_loop().time() + self.grace_period
        self._log.info(
            "shutdown_draining", reason=reason, in_flight=len(self._in_flight), grace_period=self.grace_period
        )

    def hurry(self) -> None:
        """Move the deadline to now (a second signal: the operator will not wait)."""
        self.begin("hurried")
        self.deadline = asyncio.get_running_loop().time()
        self._wake()

    async def finish(self) -> None:
        """Wait until nothing is in flight or the deadline; then cut what is
        left and give its answers ``CUT_WAIT`` to go out."""
        loop = asyncio.get_running_loop()
        assert self.deadline is not None, "begin() first"
        while self._in_flight and loop.time() < self.deadline:
            await self._wait_change(self.deadline - loop.time())
        if not self._in_flight:
            return
        cut = list(self._in_flight)
        self._cut.update(cut)
        for task in cut:
            task.cancel()
        self._log.warning("shutdown_calls_cut", count=len(cut), grace_period=self.grace_period)
        until = loop.time() + CUT_WAIT
        while self._in_flight and loop.time() < until:
            await self._wait_change(until - loop.time())
        if self._in_flight:
            self._log.warning(
                "shutdown_calls_unanswered", count=len(self._in_flight), note="still running after cancellation"
            )

    def _wake(self) -> None:
        if self._changed is not None:
            self._changed.set()

    async def _wait_change(self, timeout: float) -> None:
        self._changed = asyncio.Event()
        try:
            await asyncio.wait_for(self._changed.wait(), max(timeout, 0))
        except TimeoutError:
            pass
