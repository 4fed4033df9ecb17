"""The host's own results: stable error kinds, and results as plain data.

Every failure the host meets becomes an ``IntegrationResult``; failures of
the host's own making (as opposed to the SDK's validation results) have type
``ERROR`` and a ``result`` of ``{"error": <kind>, "message": ..., ...}``, the
kind being one of ``ErrorKind``: a value faces can map (to HTTP statuses,
exit codes) without parsing messages.
"""

from __future__ import annotations

import dataclasses
import enum
from typing import Any

from autohive_integrations_sdk import IntegrationResult, ResultType
from autohive_integrations_sdk import __version__ as sdk_version


class ErrorKind(str, enum.Enum):
    UNKNOWN_INTEGRATION = "unknown_integration"
    UNKNOWN_ACTION = "unknown_action"
    ACTION_UNAVAILABLE = "action_unavailable"  # declared in config.json, but no handler
    INTEGRATION_BROKEN = "integration_broken"
    UNSUPPORTED = "unsupported"  # e.g. no connected-account handler
    CREDENTIALS = "credentials_unavailable"
    HANDLER_ERROR = "handler_error"  # the integration's code raised
    UPSTREAM_ERROR = "upstream_error"  # the upstream API failed or was unreachable
    TIMEOUT = "timeout"


def error_result(kind: ErrorKind, message: str, **details: Any) -> IntegrationResult:
    """An ``ERROR`` result of ``kind``."""
    return IntegrationResult(
        version=sdk_version,
        type=ResultType.ERROR,
        result={"error": kind.value, "message": message, **details},
    )


def validation_result(
    message: str, source: str, prop: Any = None, value: Any = None, errors: list[dict[str, Any]] | None = None
) -> IntegrationResult:
    """A ``VALIDATION_ERROR`` result in the SDK's own shape."""
    return IntegrationResult(
        version=sdk_version,
        type=ResultType.VALIDATION_ERROR,
        result={"message": message, "property": prop, "value": value, "source": source, "errors": errors or []},
    )


def result_to_dict(result: IntegrationResult) -> dict[str, Any]:
    """``result`` as JSON-ready data: ``{"version", "type", "result"}``.

    A dataclass payload (``ActionResult``...) becomes a dict of its fields,
    shallowly: ``dataclasses.asdict`` would deep-copy the action's data, the
    largest cost of answering a call over HTTP, for nothing.
    """
    payload = result.result
    names = _FIELD_NAMES.get(type(payload))
    if names is None and dataclasses.is_dataclass(payload) and not isinstance(payload, type):
        names = _FIELD_NAMES[type(payload)] = tuple(field.name for field in dataclasses.fields(payload))
    if names is not None:
        payload = {name: getattr(payload, name) for name in names}
    return {"version": result.version, "type": result.type.value, "result": payload}


_FIELD_NAMES: dict[type, tuple[str, ...]] = {}  # per dataclass type: dataclasses.fields() is slow
