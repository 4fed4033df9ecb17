"""Every body the server writes, as JSON through the faces' one encoder.

Results and the server's own answers (bad JSON, no token, too large...)
share the result envelope, so a client reads every body the same way.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from aiohttp import web

from autohive_integrations_sdk import __version__

from .._faces.encoding import to_json


def json_response(data: Any, status: int = 200, headers: Mapping[str, str] | None = None) -> web.Response:
    """``data`` as an ``application/json`` response."""
    return web.json_response(data, status=status, headers=headers or None, dumps=to_json)


def envelope(error: str, message: str, **details: Any) -> dict[str, Any]:
    """The server's own error in the result envelope."""
    return {"version": __version__, "type": "error", "result": {"error": error, "message": message, **details}}


def error_response(status: int, error: str, message: str, **headers: str) -> web.Response:
    return json_response(envelope(error, message), status=status, headers=headers)
