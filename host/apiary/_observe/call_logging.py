"""The built-in call log: a host plugin like any other.

One event per call (``call``) and one per upstream request
(``upstream_request``), with the ids bound for the call. Redaction happens
in the log pipeline, so nothing here has to think about secrets.
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING

from ..hooks import CallInfo, UpstreamRequest, hookimpl
from .logs import get_logger, is_enabled

if TYPE_CHECKING:
    from autohive_integrations_sdk import IntegrationResult

_log = get_logger("apiary.calls")


class CallLogger:
    """Writes the call and upstream-request events."""

    @hookimpl
    def apiary_after_call(self, call: CallInfo, result: IntegrationResult, duration_ms: float) -> None:
        if not is_enabled(logging.INFO):
            return
        fields = {
            "call_id": call.call_id,
            "integration": call.integration,
            "action": call.action,
            "outcome": result.type.value,
            "duration_ms": round(duration_ms, 3),
            "upstream_requests": call.upstream_requests,
        }
        if isinstance(result.result, dict) and "error" in result.result:
            fields["error"] = result.result["error"]
        if call.account:
            fields["account"] = call.account
        _log.info("call", **fields)

    @hookimpl
    def apiary_upstream_request(self, call: CallInfo | None, request: UpstreamRequest) -> None:
        if not is_enabled(logging.INFO):
            return
        _log.info(
            "upstream_request",
            method=request.method,
            origin=request.origin,
            path=request.path,
            status=request.status,
            duration_ms=request.duration_ms,
            retry_count=request.retry_count,
            **({"error": request.error} if request.error else {}),
        )
