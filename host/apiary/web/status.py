"""Which HTTP status answers which result: the mapping clients rely on.

=======================================  ======
result                                   status
=======================================  ======
action / connected_account               200
validation_error from the caller         422
validation_error from the output         502 (the integration broke its own schema)
action_error                             424 (the action ran and failed)
error unknown_integration/unknown_action 404
error unsupported                        404
error credentials_unavailable            424
error integration_broken                 503
error upstream_error                     502
error timeout                            504
error handler_error                      500 (a documented JSON body, never a traceback)
=======================================  ======

The server's own refusals use the same envelope with ``type`` ``error``:
``bad_request`` 400, ``unauthorized`` 401, ``not_found`` 404,
``method_not_allowed`` 405, ``payload_too_large`` 413,
``not_ready`` 503, ``internal_error`` 500.
"""

from __future__ import annotations

from typing import Any, Mapping

_BY_TYPE = {"action": 200, "connected_account": 200, "action_error": 424}

_BY_ERROR = {
    "unknown_integration": 404,
    "unknown_action": 404,
    "unsupported": 404,
    "credentials_unavailable": 424,
    "integration_broken": 503,
    "upstream_error": 502,
    "timeout": 504,
    "handler_error": 500,
}


def status_for(envelope: Mapping[str, Any]) -> int:
    """The HTTP status of a result envelope ``{"version", "type", "result"}``."""
    kind = envelope["type"]
    if kind in _BY_TYPE:
        return _BY_TYPE[kind]
    result = envelope.get("result") or {}
    if kind == "validation_error":
        return 502 if result.get("source") == "output" else 422
    return _BY_ERROR.get(result.get("error"), 500)
