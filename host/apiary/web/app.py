"""The aiohttp application: routes over ``Host``, and the middlewares that
make every answer a documented JSON body.

The handlers only translate: JSON body to ``Host.call`` arguments, result to
status and JSON. Routing, validation, credentials and logging all happen in
the host, exactly as for the CLI.
"""

from __future__ import annotations

import asyncio
import json
import logging
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Any

from aiohttp import web

from .._calls.request import new_call_id
from .._calls.results import result_to_dict
from .._config import HostConfig
from .._exceptions import RequestError
from .._faces.access import LOOPBACK_ONLY, bearer_matches, is_loopback
from .._faces.draining import Drain
from .._faces.messages import with_errors
from .._faces.outcomes import outcome_for
from .._host import Host
from .._observe.logs import get_logger, is_enabled
from .connections import quiet_accept_errors
from .openapi import openapi_document
from .responses import error_response, json_response

HOST_KEY: web.AppKey[Host] = web.AppKey("host", Host)
STATE_KEY: web.AppKey[dict[str, Any]] = web.AppKey("state", dict)
DRAIN_KEY: web.AppKey[Drain] = web.AppKey("drain", Drain)
CALL_ID_HEADER = "X-Apiary-Call-Id"
_OPEN_PATHS = frozenset({"/healthz", "/readyz"})

_log = get_logger("apiary.web")
Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]


# ---- middlewares -----------------------------------------------------------


def front(token: str | None, drain: Drain) -> Any:
    """The one middleware every request passes: who may ask (the bearer
    token, compared in constant time; without a token, loopback clients
    only), the drain (503 while shutting down, the answer of a call cut at
    the deadline), JSON for every refusal and for any bug (never a
    traceback), and the ``http_request`` access-log event (never bodies or
    auth). One layer rather than several: each costs on every request."""
    expected = token.encode() if token else None

    @web.middleware
    async def middleware(request: web.Request, handler: Handler) -> web.StreamResponse:
        started = time.perf_counter()
        status = 499  # what the log says when the request is cancelled
        how: dict[str, bool] = {}
        task = asyncio.current_task()
        assert task is not None
        drain.enter(task)
        try:
            try:
                response = await _answer(request, handler, expected, drain)
            except asyncio.CancelledError:
                if not drain.was_cut(task):
                    raise
                task.uncancel()  # our own cancellation, answered here
                how["cut_at_shutdown"] = True
                response = error_response(
                    503,
                    "shutting_down",
                    f"the server shut down before the call finished (grace period {drain.grace_period:g} s); "
                    "it may have taken effect upstream",
                )
            except ConnectionError:  # the client left mid-request: nobody to answer
                how["client_disconnected"] = True
                response = web.Response(status=499, reason="Client Closed Request")
            status = response.status
            if drain.draining or getattr(request.protocol, "over_the_cap", False):
                response.force_close()  # Connection: close, so the client goes elsewhere
            return response
        finally:
            drain.leave(task)
            _access_log(request, status, started, how)

    return middleware


def _access_log(request: web.Request, status: int, started: float, how: dict[str, bool]) -> None:
    cancelled = status == 499 and not how
    warn = cancelled or "cut_at_shutdown" in how
    if warn or is_enabled(logging.INFO):
        fields: dict[str, Any] = {
            "method": request.method,
            "path": request.path,
            "status": status,
            "duration_ms": round((time.perf_counter() - started) * 1000, 3),
            **how,
        }
        if CALL_ID_HEADER in request:
            fields["call_id"] = request[CALL_ID_HEADER]
        if cancelled:
            fields["cancelled"] = True
        (_log.warning if warn else _log.info)("http_request", **fields)


def _refusal(request: web.Request, expected: bytes | None, drain: Drain) -> web.Response | None:
    """The answer to a request that may not reach a handler, if it may not."""
    if request.path in _OPEN_PATHS:
        return None  # the probes answer for themselves, to anyone
    if expected is None:
        if not is_loopback(request.remote):
            return error_response(403, "forbidden", LOOPBACK_ONLY)
    elif not bearer_matches(request.headers.get("Authorization", ""), expected):
        return error_response(
            401, "unauthorized", "send 'Authorization: Bearer <token>' with the server's token",
            **{"WWW-Authenticate": 'Bearer realm="apiary"'},
        )
    if drain.draining:
        return error_response(503, "shutting_down", "the server is shutting down: send the request to another instance")
    if getattr(request.protocol, "over_the_cap", False):
        return error_response(
            503, "overloaded", "every connection of the server is busy (serve.max_connections): retry shortly",
            **{"Retry-After": "1"},
        )
    return None


async def _answer(request: web.Request, handler: Handler, expected: bytes | None, drain: Drain) -> web.StreamResponse:
    refused = _refusal(request, expected, drain)
    if refused is not None:
        return refused
    try:
        return await handler(request)
    except web.HTTPException as error:  # aiohttp's own refusals: 404, 405, 413
        if error.status < 400:
            raise
        kind = {404: "not_found", 405: "method_not_allowed", 413: "payload_too_large"}.get(error.status, "http_error")
        headers = {"Allow": error.headers["Allow"]} if "Allow" in error.headers else {}
        return error_response(error.status, kind, error.reason, **headers)
    except ConnectionError:
        raise  # the client is gone (the middleware logs it): not a bug of ours
    except Exception as error:  # a bug of ours: logged with its traceback, answered without
        _log.error("http_handler_failed", path=request.path, exc_info=error)
        return error_response(500, "internal_error", f"internal error ({type(error).__name__})")


# ---- request bodies -------------------------------------------------------------


async def _body(request: web.Request, allowed: tuple[str, ...]) -> dict[str, Any]:
    raw = await request.read()  # over client_max_size: aiohttp raises 413 here
    if not raw.strip():
        return {}
    try:
        body = _DECODER.decode(raw.decode("utf-8"))
    except (ValueError, UnicodeDecodeError) as error:
        raise RequestError(f"the body is not valid JSON: {error}") from None
    except RecursionError:
        raise RequestError("the body is nested too deeply") from None
    if not isinstance(body, dict):
        raise RequestError(f"the body must be a JSON object, not {type(body).__name__}")
    unknown = [] if body.keys() <= set(allowed) else sorted(set(body) - set(allowed))
    if unknown:
        raise RequestError(f"unknown key {unknown[0]!r} in the body (allowed: {', '.join(allowed)})")
    for key, kind in (("inputs", dict), ("auth", dict), ("account", str)):
        if key in body and not isinstance(body[key], kind):
            expected = "an object" if kind is dict else "a string"
            raise RequestError(f"{key!r} must be {expected}, not {type(body[key]).__name__}")
    return body


def _refuse_constant(name: str) -> Any:
    raise ValueError("non-finite numbers are not JSON")


# Made once: json.loads with options builds a new decoder per call.
_DECODER = json.JSONDecoder(parse_constant=_refuse_constant)


def _result_response(request: web.Request, result: Any) -> web.Response:
    payload = with_errors(result_to_dict(result))
    return json_response(
        payload, status=outcome_for(payload).http_status, headers={CALL_ID_HEADER: request[CALL_ID_HEADER]}
    )


# ---- handlers ------------------------------------------------------------------


async def list_integrations(request: web.Request) -> web.Response:
    return json_response(request.app[HOST_KEY].list())


async def describe_integration(request: web.Request) -> web.Response:
    item = request.app[HOST_KEY].describe(request.match_info["id"])
    if item is None:
        return error_response(404, "unknown_integration", f"no integration {request.match_info['id']!r} is installed")
    return json_response(item)


async def call_action(request: web.Request) -> web.Response:
    try:
        body = await _body(request, ("inputs", "auth", "account"))
    except RequestError as error:
        return error_response(400, "bad_request", str(error))
    request[CALL_ID_HEADER] = new_call_id()
    result = await request.app[HOST_KEY].call(
        request.match_info["id"],
        request.match_info["action"],
        body.get("inputs") or {},
        auth=body.get("auth"),
        account=body.get("account"),
        call_id=request[CALL_ID_HEADER],
    )
    return _result_response(request, result)


async def connected_account(request: web.Request) -> web.Response:
    try:
        body = await _body(request, ("auth", "account"))
    except RequestError as error:
        return error_response(400, "bad_request", str(error))
    request[CALL_ID_HEADER] = new_call_id()
    result = await request.app[HOST_KEY].connected_account(
        request.match_info["id"], auth=body.get("auth"), account=body.get("account"), call_id=request[CALL_ID_HEADER]
    )
    return _result_response(request, result)


async def openapi(request: web.Request) -> web.Response:
    return json_response(request.app[STATE_KEY]["openapi"])


async def healthz(request: web.Request) -> web.Response:
    return json_response({"status": "ok"})


async def readyz(request: web.Request) -> web.Response:
    if request.app[DRAIN_KEY].draining:
        return error_response(503, "not_ready", "draining: the server is shutting down")
    if not request.app[HOST_KEY].is_open:
        return error_response(503, "not_ready", "starting: the host is not open yet")
    return json_response({"status": "ready", "integrations": len(request.app[HOST_KEY].registry.records)})


# ---- the application ----------------------------------------------------------------


def build_app(config: HostConfig, token: str | None) -> web.Application:
    """The application for ``config``; the host opens on start-up and
    closes on clean-up, once the drain is over (``apiary._faces.draining``). Without
    a token it serves loopback clients only, however it is started."""
    drain = Drain(config.serve.grace_period, "apiary.web")
    app = web.Application(
        client_max_size=config.serve.max_body_bytes,
        middlewares=[front(token, drain)],
    )
    app[HOST_KEY] = Host(config)
    app[STATE_KEY] = {}
    app[DRAIN_KEY] = drain

    async def host_lifetime(app: web.Application) -> AsyncIterator[None]:
        restore = quiet_accept_errors(asyncio.get_running_loop())
        if token is None:
            _log.info("serve_loopback_only", note=LOOPBACK_ONLY)
        try:
            async with app[HOST_KEY] as host:
                # Built once, as the host starts: every worker and every request
                # sees the same document, whatever was called before.
                from .._version import __version__

                described = [host.describe(item["id"]) for item in host.list()]
                app[STATE_KEY]["openapi"] = openapi_document(
                    [item for item in described if item], __version__, secured=token is not None
                )
                yield
        finally:
            restore()

    async def drain_on_shutdown(app: web.Application) -> None:
        # Under gunicorn this is where the drain happens (the worker has
        # stopped listening); under ``apiary serve`` it is over already.
        drain.begin("shutdown")
        await drain.finish()

    app.cleanup_ctx.append(host_lifetime)
    app.on_shutdown.append(drain_on_shutdown)
    # The calls' route first: aiohttp tries routes sharing a prefix in order.
    app.router.add_post("/integrations/{id}/actions/{action}", call_action)
    app.router.add_get("/integrations", list_integrations)
    app.router.add_get("/integrations/{id}", describe_integration)
    app.router.add_post("/integrations/{id}/account", connected_account)
    app.router.add_get("/openapi.json", openapi)
    app.router.add_get("/healthz", healthz)
    app.router.add_get("/readyz", readyz)
    return app
