"""The server's own answers (bad JSON, no token, too large...) in the same
envelope as results, so a client reads every body the same way."""

from __future__ import annotations

from typing import Any

from aiohttp import web

from autohive_integrations_sdk import __version__


def envelope(error: str, message: str, **details: Any) -> dict[str, Any]:
    return {"version": __version__, "type": "error", "result": {"error": error, "message": message, **details}}


def error_response(status: int, error: str, message: str, **headers: str) -> web.Response:
    return web.json_response(envelope(error, message), status=status, headers=headers or None)
