"""``apiary serve``: every installed action over HTTP (aiohttp.web).

A thin face over ``Host``: see ``app`` for the routes and the middleware,
``openapi`` for the generated document, ``apiary._faces.outcomes`` for the
status of each result, ``connections`` for the connection cap, ``running``
for the server ``apiary serve`` runs.
For gunicorn's aiohttp worker (one process per core), ``create_runner``
gives each worker the server ``apiary serve`` runs (the connection cap, JSON
for malformed HTTP); ``create_app()`` the application alone, on aiohttp's
plain server::

    gunicorn apiary.web:create_runner --worker-class aiohttp.GunicornWebWorker -w 2 --bind 127.0.0.1:8080
    gunicorn 'apiary.web:create_app()' --worker-class aiohttp.GunicornWebWorker -w 2 --bind 127.0.0.1:8080

Either way the application drains on the worker's shutdown within
``serve.grace_period`` (set ``--graceful-timeout`` a little above it), and
without a token answers loopback clients only.
"""

from __future__ import annotations

import sys

from aiohttp import web

from .._config import HostConfig, load_config
from .._faces.access import listening_token, resolve_token
from .._faces.listening import bound_socket
from .._faces.process import run
from .._loading.config_checks import require_sound_config
from .app import HOST_KEY, build_app
from .running import capped_runner, run_server


def create_app(config: HostConfig | None = None) -> web.Application:
    """The application on ``config`` (default: ``$APIARY_CONFIG`` or the
    shipped defaults); the factory gunicorn's aiohttp worker calls."""
    config = config or load_config()
    app = build_app(config, resolve_token(config))
    # The rule of every start: a config naming what is not installed is refused.
    require_sound_config(config, app[HOST_KEY].registry)
    return app


async def create_runner() -> web.AppRunner:
    """``create_app()``'s application on ``apiary serve``'s server, for
    gunicorn's aiohttp worker, which awaits it (name it without
    parentheses: ``apiary.web:create_runner``) and handles the signals."""
    config = load_config()
    return capped_runner(create_app(config), config)


def serve(config: HostConfig, host: str | None = None, port: int | None = None) -> None:
    """Run the server until SIGTERM/SIGINT, then drain for the grace period
    (done at most 1.5 s after it; see ``running``). The port is bound
    before anything is announced or started: AccessError if it cannot be."""
    bind = host or config.serve.host
    token = listening_token(config, bind)
    listen_port = config.serve.port if port is None else port
    sock = bound_socket(bind, listen_port)
    listen_port = sock.getsockname()[1]  # the one the system picked for port 0
    note = "" if token else " (no token configured: loopback only)"
    print(f"apiary: serving on http://{bind}:{listen_port}{note}", file=sys.stderr, flush=True)
    run(run_server(build_app(config, token), config, bind, listen_port, sock))


__all__ = ["create_app", "create_runner", "serve"]
