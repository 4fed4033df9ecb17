"""The server's connections: a cap below the descriptor limit, and the wire
errors aiohttp would otherwise answer in plain text.

A server out of file descriptors cannot accept, and asyncio then logs a
traceback per failed ``accept()`` (thousands a second) while even
``/healthz`` goes unanswered. ``apiary serve`` therefore caps its
connections (``serve.max_connections``, by default the descriptor limit less
room for the pool and for files) and, at the cap, closes the connection
that has been idle longest to make room, so a new client (a health probe)
always gets in. When every connection is busy, ``OVERFLOW`` more are let in
to answer the probes (anything else on them is a 503 ``overloaded``);
beyond those a new connection is closed at once. Each of these is counted
and logged once per ``REPORT_INTERVAL``, never per connection.

``CappedServer`` is the ``aiohttp.web.Server`` that does this, with
``JsonRequestHandler`` answering malformed HTTP in the JSON envelope
(``bad_request``) instead of aiohttp's text/plain 400.
"""

from __future__ import annotations

import asyncio
import re
import resource
from collections.abc import Awaitable, Callable
from typing import Any

from aiohttp import web
from aiohttp.web_protocol import RequestHandler

from .._config import HostConfig
from .._observe.logs import get_logger
from .responses import error_response

# Descriptors kept free beside the pool's connections: the listening socket,
# the loop, logs, integrations' files, DNS, the overflow connections.
RESERVED_DESCRIPTORS = 64
# Connections beyond the cap that may still answer probes when every other
# connection is busy.
OVERFLOW = 8
# Seconds between two log lines about the cap (or failed accepts).
REPORT_INTERVAL = 10.0

_log = get_logger("apiary.web")
_WIRE_KINDS = {413: "payload_too_large"}  # else bad_request
_UNSAFE = re.compile(r"[:'\"]")
# What asyncio logs when accept() fails for want of descriptors, and when a
# retry it scheduled then finds the socket closed.
_ACCEPT_ERRORS = (
    "socket.accept() out of system resource",
    "Exception in callback BaseSelectorEventLoop._start_serving",
)
Handler = Callable[[web.BaseRequest], Awaitable[web.StreamResponse]]


def max_connections(config: HostConfig) -> int:
    """``serve.max_connections``; for 0 (the default), the soft descriptor
    limit less the pool's connections and ``RESERVED_DESCRIPTORS`` (at least 8)."""
    if config.serve.max_connections:
        return config.serve.max_connections
    soft, _ = resource.getrlimit(resource.RLIMIT_NOFILE)
    if soft == resource.RLIM_INFINITY or soft > 1 << 20:
        soft = 1 << 20
    return max(8, soft - config.pool.limit - RESERVED_DESCRIPTORS)


class _Report:
    """Counts of one condition, logged at most once per ``REPORT_INTERVAL``."""

    def __init__(self, event: str, **fields: Any) -> None:
        self.event = event
        self.fields = fields
        self.counts: dict[str, int] = {}
        self._next = 0.0
        self._pending: asyncio.TimerHandle | None = None

    def count(self, what: str, **fields: Any) -> None:
        self.counts[what] = self.counts.get(what, 0) + 1
        self.fields.update(fields)
        loop = asyncio.get_running_loop()
        now = loop.time()
        if now >= self._next:
            self.flush()
        elif self._pending is None:
            self._pending = loop.call_at(self._next, self.flush)

    def flush(self) -> None:
        self._pending = None
        if self.counts:
            _log.warning(self.event, **self.fields, **self.counts, interval_s=REPORT_INTERVAL)
            self.counts = {}
            self._next = asyncio.get_running_loop().time() + REPORT_INTERVAL


def quiet_accept_errors(loop: asyncio.AbstractEventLoop) -> Callable[[], None]:
    """Turn asyncio's error per failed ``accept()`` (out of descriptors: a
    traceback each, and each retry failing again) into one counted warning
    per ``REPORT_INTERVAL``; other errors go where they went. Returns the undo."""
    previous = loop.get_exception_handler()
    report = _Report(
        "accept_failed",
        note="out of file descriptors: raise the limit (ulimit -n) or lower serve.max_connections",
    )

    def handler(loop: asyncio.AbstractEventLoop, context: dict[str, Any]) -> None:
        message = str(context.get("message", ""))
        if message.startswith(_ACCEPT_ERRORS):
            error = context.get("exception")
            reason = error.strerror if isinstance(error, OSError) and error.strerror else type(error).__name__
            report.count("failures", error=reason)
            return
        if previous is not None:
            previous(loop, context)
        else:
            loop.default_exception_handler(context)

    loop.set_exception_handler(handler)
    return lambda: loop.set_exception_handler(previous)


class JsonRequestHandler(RequestHandler):
    """aiohttp's connection handler, answering what its parser refuses in
    the JSON envelope, and telling ``CappedServer`` when it is idle."""

    over_the_cap = False  # a connection let in beyond the cap: probes only

    def __init__(self, manager: CappedServer, **kwargs: Any) -> None:
        super().__init__(manager, **kwargs)
        self._cap = manager

    def handle_error(
        self,
        request: web.BaseRequest,
        status: int = 500,
        exc: BaseException | None = None,
        message: str | None = None,
    ) -> web.StreamResponse:
        if request.writer.output_size > 0:  # an answer already started: nothing to replace it
            raise ConnectionError("the response was already being sent")
        if status >= 500:  # a bug of ours outside the middleware
            _log.error("http_handler_failed", path=request.path, status=status, exc_info=exc)
            name = type(exc).__name__ if exc is not None else "no exception"
            response = error_response(status, "internal_error", f"internal error ({name})")
        else:  # the client's mistake: one short line, and never the bytes it sent
            lines = (message or "").strip().splitlines()
            reason = _UNSAFE.split(lines[0], maxsplit=1)[0].strip().rstrip(".") if lines else ""
            reason = reason or "unreadable request"
            _log.info("http_bad_request", status=status, reason=reason, error=type(exc).__name__ if exc else None)
            kind = _WIRE_KINDS.get(status, "bad_request")
            response = error_response(status, kind, f"malformed HTTP request: {reason}")
        response.force_close()
        return response

    async def finish_response(
        self, request: web.BaseRequest, resp: web.StreamResponse, start_time: float | None
    ) -> tuple[web.StreamResponse, bool]:
        try:
            return await super().finish_response(request, resp, start_time)
        finally:
            self._cap.idle(self)


class _Pool:
    """Connections of one kind, the idle ones in the order they fell idle."""

    def __init__(self, size: int) -> None:
        self.size = size
        self.members: set[JsonRequestHandler] = set()
        self.idle: dict[JsonRequestHandler, None] = {}

    def has_room(self) -> bool:
        return len(self.members) < self.size

    def add(self, handler: JsonRequestHandler) -> None:
        self.members.add(handler)
        self.idle[handler] = None

    def evict(self) -> bool:
        """Close the connection idle longest, if any."""
        victim = next(iter(self.idle), None)
        if victim is None:
            return False
        self.forget(victim)
        victim.force_close()
        return True

    def forget(self, handler: JsonRequestHandler) -> None:
        self.members.discard(handler)
        self.idle.pop(handler, None)


class CappedServer(web.Server):
    """``web.Server`` with at most ``limit`` connections (plus ``OVERFLOW``
    for probes), closing the longest idle one to admit a new one."""

    def __init__(
        self, handler: Handler, *, request_factory: Any, loop: asyncio.AbstractEventLoop, limit: int, **kwargs: Any
    ) -> None:
        super().__init__(self._track, request_factory=request_factory, loop=loop, **kwargs)
        self._inner = handler
        self._handler_kwargs = {"loop": loop, **kwargs}
        self.limit = limit
        self._served = _Pool(limit)
        self._extra = _Pool(OVERFLOW)
        self._report = _Report("connections_capped", max_connections=limit)

    def __call__(self) -> JsonRequestHandler:
        return JsonRequestHandler(self, **self._handler_kwargs)

    def connection_made(self, handler: RequestHandler, transport: asyncio.Transport) -> None:
        super().connection_made(handler, transport)
        assert isinstance(handler, JsonRequestHandler)
        if self._served.has_room():
            self._served.add(handler)
        elif self._served.evict():
            self._served.add(handler)
            self._report.count("closed_idle", open=self._open())
        elif self._extra.has_room() or self._extra.evict():
            handler.over_the_cap = True
            self._extra.add(handler)
            self._report.count("over_the_cap", open=self._open())
        else:
            handler.force_close()
            self._report.count("refused", open=self._open())

    def connection_lost(self, handler: RequestHandler, exc: BaseException | None = None) -> None:
        super().connection_lost(handler, exc)
        assert isinstance(handler, JsonRequestHandler)
        self._served.forget(handler)
        self._extra.forget(handler)

    def idle(self, handler: JsonRequestHandler) -> None:
        """``handler`` has answered: the most recently idle of its pool."""
        for pool in (self._served, self._extra):
            if handler in pool.members:
                pool.idle.pop(handler, None)
                pool.idle[handler] = None

    def _open(self) -> int:
        return len(self._served.members) + len(self._extra.members)

    async def _track(self, request: web.BaseRequest) -> web.StreamResponse:
        """The application's handler, the connection marked busy meanwhile."""
        protocol = request.protocol
        if isinstance(protocol, JsonRequestHandler):
            self._served.idle.pop(protocol, None)
            self._extra.idle.pop(protocol, None)
        return await self._inner(request)
