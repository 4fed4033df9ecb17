"""``apiary serve``'s server: the aiohttp runner, the signals, and a stop
bounded by the grace period.

``aiohttp.web.run_app`` stops listening at the signal, waits up to its
shutdown timeout for the handlers, cancels them and waits as long again:
twice the grace period, and a dropped connection for every call it cut.
Here the server keeps listening while it drains, so ``/readyz`` answers 503
``draining`` from the signal on and new calls a 503 ``shutting_down``;
``Drain`` cuts what still runs at the deadline with a 503 answer; closing
the server and the host then takes at most ``CLOSE_WAIT``. A second signal
moves the deadline to now. So the process is done at most ``CUT_WAIT +
CLOSE_WAIT`` (1.5 s) after the grace period, and exits within
``EXIT_WAIT`` more (``apiary._faces.process``): 2 s in all.
"""

from __future__ import annotations

import asyncio
import os
import signal
import socket
from typing import Any

from aiohttp import web

from .._config import HostConfig
from .._exceptions import AccessError
from .._observe.logs import get_logger
from .app import DRAIN_KEY
from .connections import CappedServer, max_connections

# Seconds closing the server and the host may take once the drain is over.
CLOSE_WAIT = 1.0

_log = get_logger("apiary.web")
_SIGNALS = (signal.SIGTERM, signal.SIGINT)


class _Runner(web.AppRunner):
    """``AppRunner`` whose server is a ``CappedServer``."""

    def __init__(self, app: web.Application, limit: int, **kwargs: Any) -> None:
        super().__init__(app, handle_signals=False, **kwargs)
        self._limit = limit

    async def _make_server(self) -> web.Server:
        plain = await super()._make_server()  # the application starts here (the host opens)
        return CappedServer(
            plain.request_handler,
            request_factory=plain.request_factory,
            loop=asyncio.get_running_loop(),
            limit=self._limit,
            access_log=None,  # our own structured access log instead
        )


def capped_runner(app: web.Application, config: HostConfig) -> web.AppRunner:
    """A runner for ``app`` on ``CappedServer`` (the cap from ``config``);
    whoever runs it handles the signals."""
    # Past the drain, a handler that ignored its cancellation gets this
    # long (twice: aiohttp waits, cancels, and waits again).
    return _Runner(app, max_connections(config), access_log=None, shutdown_timeout=CLOSE_WAIT / 4)


async def run_server(
    app: web.Application, config: HostConfig, bind: str, port: int, sock: socket.socket | None = None
) -> None:
    """Serve ``app`` on ``bind:port`` (on ``sock`` when given: bound there
    already) until SIGTERM/SIGINT, then drain (see the module's docstring);
    AccessError when it cannot listen there."""
    loop = asyncio.get_running_loop()
    drain = app[DRAIN_KEY]
    stop = asyncio.Event()

    def on_signal(signum: signal.Signals) -> None:
        if stop.is_set():
            drain.hurry()
            return
        stop.set()
        drain.begin(signum.name)

    for signum in _SIGNALS:
        loop.add_signal_handler(signum, on_signal, signum)
    limit = max_connections(config)
    runner = capped_runner(app, config)
    try:
        await runner.setup()
        if not stop.is_set():
            site: web.BaseSite = (
                web.SockSite(runner, sock, backlog=1024) if sock else web.TCPSite(runner, bind, port, backlog=1024)
            )
            try:
                await site.start()
            except (OSError, OverflowError) as error:  # OverflowError: a port out of range
                errno = getattr(error, "errno", None)
                reason = os.strerror(errno) if errno else str(error)
                raise AccessError(f"cannot listen on {bind}:{port}: {reason}") from None
            _log.info(
                "serve_listening",
                host=bind, port=port, max_connections=limit, grace_period=config.serve.grace_period,
            )
            _warn_above_descriptors(config, limit)
            await stop.wait()
            await drain.finish()
    finally:
        try:
            await asyncio.wait_for(runner.cleanup(), CLOSE_WAIT)
        except TimeoutError:
            _log.warning("serve_close_incomplete", waited_s=CLOSE_WAIT, note="the host may not have closed its pool")
        for signum in _SIGNALS:
            loop.remove_signal_handler(signum)


def _warn_above_descriptors(config: HostConfig, limit: int) -> None:
    """A configured cap the descriptor limit cannot hold: say so at start."""
    if not config.serve.max_connections:
        return
    derived = max_connections(config._replace(serve=config.serve._replace(max_connections=0)))
    if limit > derived:
        _log.warning(
            "serve_max_connections_high",
            max_connections=limit,
            fits=derived,
            note="the descriptor limit (ulimit -n) leaves room for fewer: accepting may fail before the cap",
        )
