"""What each result means to each face: one table, used by all three.

Every ``IntegrationResult`` the host returns has a type (the SDK's
``ResultType``) and, for the host's own errors, a kind (``ErrorKind``). This
module maps each to the exit code of ``apiary call``, the HTTP status of
``apiary serve`` and the advice ``apiary mcp`` adds for the model:

====================================  ====  ======  ===========================
result                                exit  status  why
====================================  ====  ======  ===========================
action / connected_account            0     200
action_error                          1     424     the action ran and failed
validation_error (input, auth)        3     422
validation_error (output)             3     502     the integration broke its own schema
error unknown_integration             4     404
error unknown_action                  4     404
error action_unavailable              4     501     declared, but the integration has no handler
error unsupported                     4     404     e.g. no connected-account handler
error credentials_unavailable         4     424
error integration_broken              4     503
error upstream_error                  4     502
error timeout                         4     504
error handler_error                   4     500     a documented JSON body, never a traceback
====================================  ====  ======  ===========================

A kind this table does not know (none today: a test walks every
``ErrorKind`` and ``ResultType``) would answer 4 and 500, with no advice.
Exit code 2 is the CLI's own: a usage error. The HTTP server's own
refusals (``bad_request`` 400, ``unauthorized`` 401, ``forbidden`` 403,
``not_found`` 404, ``method_not_allowed`` 405, ``payload_too_large`` 413,
``not_ready``, ``shutting_down`` and ``overloaded`` 503, ``internal_error``
500) never come from a result, so they are not here.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, NamedTuple

from .._calls.results import ErrorKind

__all__ = [
    "EXIT_ACTION_ERROR",
    "EXIT_HOST_ERROR",
    "EXIT_MEANINGS",
    "EXIT_OK",
    "EXIT_USAGE",
    "EXIT_VALIDATION_ERROR",
    "OUTCOMES_BY_ERROR_KIND",
    "OUTCOMES_BY_RESULT_TYPE",
    "Outcome",
    "exit_code_table",
    "outcome_for",
]

EXIT_OK, EXIT_ACTION_ERROR, EXIT_USAGE, EXIT_VALIDATION_ERROR, EXIT_HOST_ERROR = 0, 1, 2, 3, 4
EXIT_MEANINGS: Mapping[int, str] = {
    EXIT_OK: "result",
    EXIT_ACTION_ERROR: "action error",
    EXIT_USAGE: "usage error",
    EXIT_VALIDATION_ERROR: "validation error",
    EXIT_HOST_ERROR: "host error",
}


class Outcome(NamedTuple):
    """One result's meaning on each face."""

    exit_code: int
    http_status: int
    # What ``apiary mcp`` tells the model after the error message: what to do next.
    mcp_advice: str = ""


# By ``ResultType`` value; ``error`` is refined by kind, ``validation_error`` by source.
OUTCOMES_BY_RESULT_TYPE: Mapping[str, Outcome] = {
    "action": Outcome(EXIT_OK, 200),
    "connected_account": Outcome(EXIT_OK, 200),
    "action_error": Outcome(EXIT_ACTION_ERROR, 424),
    "validation_error": Outcome(EXIT_VALIDATION_ERROR, 422),
    "error": Outcome(EXIT_HOST_ERROR, 500),
}
_OUTPUT_VALIDATION = Outcome(EXIT_VALIDATION_ERROR, 502)

OUTCOMES_BY_ERROR_KIND: Mapping[ErrorKind, Outcome] = {
    ErrorKind.UNKNOWN_INTEGRATION: Outcome(EXIT_HOST_ERROR, 404),
    ErrorKind.UNKNOWN_ACTION: Outcome(EXIT_HOST_ERROR, 404),
    ErrorKind.UNSUPPORTED: Outcome(EXIT_HOST_ERROR, 404),
    ErrorKind.ACTION_UNAVAILABLE: Outcome(
        EXIT_HOST_ERROR,
        501,
        "This action is declared but not implemented in this Apiary installation; use another tool.",
    ),
    ErrorKind.CREDENTIALS: Outcome(
        EXIT_HOST_ERROR,
        424,
        "Credentials come from the Apiary host configuration and environment, never from tool arguments: "
        "the operator must configure the account; do not retry with other arguments.",
    ),
    ErrorKind.INTEGRATION_BROKEN: Outcome(
        EXIT_HOST_ERROR, 503, "The integration cannot run in this Apiary installation; use another tool."
    ),
    ErrorKind.UPSTREAM_ERROR: Outcome(
        EXIT_HOST_ERROR, 502, "The upstream API failed; retrying later or with other arguments may help."
    ),
    ErrorKind.TIMEOUT: Outcome(EXIT_HOST_ERROR, 504, "The action took too long; try again, perhaps asking for less."),
    ErrorKind.HANDLER_ERROR: Outcome(
        EXIT_HOST_ERROR, 500, "The integration's code failed; retrying with the same arguments will likely fail again."
    ),
}
_BY_KIND_VALUE = {kind.value: outcome for kind, outcome in OUTCOMES_BY_ERROR_KIND.items()}
_UNKNOWN = OUTCOMES_BY_RESULT_TYPE["error"]


def outcome_for(envelope: Mapping[str, Any]) -> Outcome:
    """The outcome of a result envelope ``{"version", "type", "result"}``
    (``result_to_dict`` of an ``IntegrationResult``)."""
    kind = envelope["type"]
    result = envelope.get("result")
    if kind == "error":
        error = result.get("error") if isinstance(result, Mapping) else None
        return _BY_KIND_VALUE.get(error, _UNKNOWN) if isinstance(error, str) else _UNKNOWN
    if kind == "validation_error" and isinstance(result, Mapping) and result.get("source") == "output":
        return _OUTPUT_VALIDATION
    return OUTCOMES_BY_RESULT_TYPE.get(kind, _UNKNOWN)


def exit_code_table() -> str:
    """The exit codes in words, for ``--help``: ``0 result, 1 action error, ...``."""
    return ", ".join(f"{code} {meaning}" for code, meaning in EXIT_MEANINGS.items())
