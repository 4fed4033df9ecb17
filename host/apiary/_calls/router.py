"""The router: one call from a name to a result, whatever goes wrong.

``Router.call`` finds the integration, loads it, resolves credentials, runs
the action in an ``ExecutionContext`` borrowing the shared pool's session,
under the integration's bulkhead and the call's timeout, and turns every
failure into an ``IntegrationResult``: nothing raises to the caller, no
traceback leaves the host, and no credential appears in a message. A
handler's ``SystemExit``, ``KeyboardInterrupt`` or other ``BaseException``
is a handler error too; only the caller's own cancellation propagates.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

import aiohttp
import pluggy

from autohive_integrations_sdk import (
    ExecutionContext,
    HTTPError,
    Integration,
    IntegrationResult,
    RateLimitError,
    ResponseTooLargeError,
    UpstreamAttempt,
)
from autohive_integrations_sdk import ValidationError as SDKValidationError

from .._config import DEFAULT_ACCOUNT, HostConfig
from .._exceptions import CredentialsError, LoadError
from .._loading.registry import Registry
from .._observe.logs import get_logger, integration_logger
from .._observe.redaction import (
    bind_secrets,
    credential_values,
    reset_secrets,
    scrub_data,
    scrub_text,
    secret_values,
    share_secrets,
    withdraw_secrets,
)
from ..hooks import CallInfo, Notifier, UpstreamRequest, current_call
from .credentials import credentials_problem, production_auth
from .deadline import Deadline
from .pool import SessionPool
from .request import CONNECTED_ACCOUNT, CallRequest, new_call_id
from .results import ErrorKind, error_result, validation_result
from .threads import use_context_executor

_log = get_logger("apiary.router")

Operation = Callable[[Integration, ExecutionContext], Awaitable[IntegrationResult]]
Precheck = Callable[[Integration], IntegrationResult | None]


@dataclass(frozen=True)
class _Lane:
    """What every call of one integration shares, worked out once."""

    timeout: float
    bulkhead: asyncio.Semaphore
    session: aiohttp.ClientSession  # the integration's own connections
    logger: logging.Logger
    # False when no plugin but the config could supply credentials and the
    # config names no account: the credentials hook would answer None.
    resolves_credentials: bool
    max_response_bytes: int
    max_retries: int


class Router:
    """Routes calls by integration and action name; owned by a ``Host``."""

    def __init__(self, registry: Registry, pool: SessionPool, hooks: pluggy.PluginManager, config: HostConfig) -> None:
        self.registry = registry
        self.pool = pool
        self.hooks = hooks
        self.config = config
        self._lanes: dict[str, _Lane] = {}
        self._notifier = Notifier(hooks)
        self._credential_plugins = len(hooks.hook.apiary_resolve_credentials.get_hookimpls())
        try:  # a handler's run_in_executor keeps the call's ids and secrets
            use_context_executor(asyncio.get_running_loop())
        except RuntimeError:
            pass  # made outside a loop: nothing to equip

    def _lane(self, integration_id: str) -> _Lane:
        lane = self._lanes.get(integration_id)
        if lane is None:
            lane = self._lanes[integration_id] = _Lane(
                timeout=self.config.timeout_for(integration_id),
                bulkhead=self.pool.bulkhead(integration_id, self.config.concurrency_for(integration_id)),
                session=self.pool.session_for(integration_id, self.config.connections_for(integration_id)),
                logger=integration_logger(integration_id),
                resolves_credentials=self._credential_plugins > 1
                or bool(self.config.settings_for(integration_id).accounts),
                max_response_bytes=self.config.max_response_bytes_for(integration_id),
                max_retries=self.config.retries_for(integration_id),
            )
        return lane

    def observe_upstream(self, attempt: UpstreamAttempt) -> None:
        """Count and report one upstream request of the current call."""
        call = current_call.get()
        if call is not None:
            call.upstream_requests += 1
        self._safe_hook("apiary_upstream_request", call=call, request=UpstreamRequest(attempt))

    async def call(self, request: CallRequest) -> IntegrationResult:
        """Run the action ``request`` names; always a result, never an exception."""
        action = request.action

        def precheck(integration: Integration) -> IntegrationResult | None:
            if action in integration.config.actions:
                record = self.registry.get(request.integration)
                unavailable = record.unavailable_reason("actions", action) if record else None
                if unavailable is None:
                    return None
                return error_result(
                    ErrorKind.ACTION_UNAVAILABLE,
                    f"action {action!r} of integration {request.integration!r} is unavailable: {unavailable}",
                )
            known = ", ".join(sorted(integration.config.actions)) or "none"
            return error_result(
                ErrorKind.UNKNOWN_ACTION,
                f"integration {request.integration!r} has no action {action!r} (actions: {known})",
            )

        inputs = {} if request.inputs is None else request.inputs

        async def operation(integration: Integration, context: ExecutionContext) -> IntegrationResult:
            return await integration.execute_action(action, inputs, context)

        return await self._run(request, precheck, operation)

    async def connected_account(self, request: CallRequest) -> IntegrationResult:
        """Whose account ``request``'s credentials belong to (its action is ignored)."""

        def precheck(integration: Integration) -> IntegrationResult | None:
            if integration.connected_account_handler is not None:
                return None
            return error_result(
                ErrorKind.UNSUPPORTED, f"integration {request.integration!r} has no connected-account handler"
            )

        async def operation(integration: Integration, context: ExecutionContext) -> IntegrationResult:
            return await integration.get_connected_account(context)

        return await self._run(request._replace(action=CONNECTED_ACCOUNT), precheck, operation)

    # ---- the one path every call takes ------------------------------------

    async def _run(self, request: CallRequest, precheck: Precheck, operation: Operation) -> IntegrationResult:
        """Attempt ``request`` as one call: its ids bound for logs and hooks,
        its secrets bound for redaction, ``apiary_after_call`` told after."""
        started = time.perf_counter()
        call = CallInfo(request.call_id or new_call_id(), request.integration, request.action, request.account)
        call_token = current_call.set(call)
        secrets_token = bind_secrets(())
        try:
            result = await self._attempt(call, request, precheck, operation)
            self._safe_hook(
                "apiary_after_call", call=call, result=result, duration_ms=(time.perf_counter() - started) * 1000
            )
            return result
        finally:
            current_call.reset(call_token)
            reset_secrets(secrets_token)

    async def _attempt(
        self, call: CallInfo, request: CallRequest, precheck: Precheck, operation: Operation
    ) -> IntegrationResult:
        record = self.registry.get(call.integration)
        if record is None:
            if not self.config.settings_for(call.integration).enabled:
                message = f"integration {call.integration!r} is disabled in the host config"
            else:
                message = f"no integration {call.integration!r} is installed"
            return error_result(ErrorKind.UNKNOWN_INTEGRATION, message)
        integration, waited = record.integration, 0.0
        if integration is None:  # not imported yet: the wait counts against the call's timeout
            budget = request.timeout or self.config.timeout_for(call.integration)
            began = time.perf_counter()
            try:
                load = self.registry.load_async(record, self.config.import_timeout)
                integration = await asyncio.wait_for(load, budget)
            except LoadError as error:
                return error_result(
                    ErrorKind.INTEGRATION_BROKEN, f"integration {call.integration!r} is broken: {error}"
                )
            except TimeoutError:  # the import goes on, for the next call
                return error_result(
                    ErrorKind.TIMEOUT,
                    f"{call.action!r} did not finish within {budget:g} s (integration "
                    f"{call.integration!r} was still importing)",
                )
            waited = time.perf_counter() - began
        refused = precheck(integration)
        if refused is not None:
            return refused

        lane = self._lane(call.integration)
        auth = request.auth
        if auth is None and (lane.resolves_credentials or call.account is not None):
            try:
                auth = self.hooks.hook.apiary_resolve_credentials(
                    integration=call.integration, account=call.account, config=self.config
                )
            except CredentialsError as error:
                return error_result(ErrorKind.CREDENTIALS, str(error))
            except Exception as error:  # a credentials plugin failed
                return error_result(
                    ErrorKind.CREDENTIALS, f"credentials plugin failed: {type(error).__name__}: {error}"
                )
        auth = production_auth(auth, integration)
        if request.auth is None:  # the host's to resolve: missing or invalid is no fault of the inputs
            problem = credentials_problem(integration, call.integration, call.account, auth)
            if problem is not None:
                return error_result(ErrorKind.CREDENTIALS, problem, account=call.account or DEFAULT_ACCOUNT)
        secrets = secret_values(auth)
        bind_secrets(secrets)
        # Credentials the host resolved: redacted from every thread's logs
        # while the call runs, and from its result (the caller never had them).
        host_secrets = credential_values(auth) if request.auth is None else ()
        share_secrets(host_secrets)
        try:
            self._safe_hook("apiary_before_call", call=call)
            result = await self._execute(call, request, lane, integration, auth, secrets, operation, waited)
        finally:
            withdraw_secrets(host_secrets)
        return scrub_data(result, host_secrets) if host_secrets else result

    async def _execute(
        self,
        call: CallInfo,
        request: CallRequest,
        lane: _Lane,
        integration: Integration,
        auth: dict[str, Any] | None,
        secrets: tuple[str, ...],
        operation: Operation,
        waited: float,
    ) -> IntegrationResult:
        """Run ``operation`` under the bulkhead and the deadline, the call's
        timeout less the ``waited`` seconds its import took; every way it ends
        a result, but the caller's cancellation."""
        seconds = request.timeout or lane.timeout
        remaining = max(seconds - waited, 0.0)
        deadline = Deadline(remaining)  # it covers the wait for the bulkhead too
        try:
            async with lane.bulkhead:
                # Not entered with ``async with``: on a borrowed session that
                # would only open and close nothing; the context dies with the call.
                context = ExecutionContext(
                    auth=auth or {},
                    request_config=self._request_config(lane, request, remaining),
                    metadata={"call_id": call.call_id, "integration": call.integration, "action": call.action},
                    logger=lane.logger,
                    session=lane.session,
                    on_request=self.observe_upstream,
                )
                return await operation(integration, context)
        except SDKValidationError as error:  # raised, not returned, by get_connected_account
            listed = [{**item, "message": scrub_text(str(item.get("message")), secrets)} for item in error.errors]
            return validation_result(scrub_text(str(error), secrets), error.source, error.property, errors=listed)
        except asyncio.CancelledError as error:
            deadline.close()
            if deadline.caller_cancelled():
                raise  # the caller cancelled us: not ours to turn into a result
            if deadline.expired:
                return error_result(ErrorKind.TIMEOUT, f"{call.action!r} did not finish within {seconds:g} s")
            return _handler_error(error, secrets)  # nobody cancelled: the handler raised it
        except TimeoutError as error:  # an upstream request's own timeout
            return _upstream_failure(error, secrets)
        except (HTTPError, aiohttp.ClientError, ResponseTooLargeError) as error:
            return _upstream_failure(error, secrets)
        except GeneratorExit:
            raise  # this coroutine is being closed: it must stop, not answer
        except BaseException as error:  # SystemExit, KeyboardInterrupt... must not end the host
            return _handler_error(error, secrets)
        finally:
            deadline.close()

    def _request_config(self, lane: _Lane, request: CallRequest, timeout: float) -> dict[str, Any]:
        """The call's ``request_config``. Retries: the call's own, else per
        origin ``[upstream_retries]`` over the integration's (or the pool's)
        ``max_retries``; a handler setting ``max_retries`` overrides them all."""
        config: dict[str, Any] = {
            "timeout": timeout,
            "max_response_bytes": lane.max_response_bytes,
        }
        if request.retries is not None:
            config["max_retries"] = request.retries
        else:
            config["max_retries"] = lane.max_retries
            if self.config.upstream_retries:
                config["retries_by_origin"] = self.config.upstream_retries
        return config

    def _safe_hook(self, name: str, **kwargs: Any) -> None:
        """Call a hook; a plugin that raises is logged, never fails the call
        nor keeps the other plugins from running."""
        for plugin, error in self._notifier.notify(name, **kwargs):
            _log.warning("plugin_hook_failed", hook=name, plugin=plugin, exc_info=error)


def _handler_error(error: BaseException, secrets: Any) -> IntegrationResult:
    """The result of a handler that raised ``error``, logged with its traceback."""
    _log.warning("handler_raised", exc_info=error)
    return error_result(
        ErrorKind.HANDLER_ERROR,
        scrub_text(f"{type(error).__name__}: {error}", secrets),
        exception=type(error).__name__,
    )


def _upstream_failure(error: BaseException, secrets: Any) -> IntegrationResult:
    details: dict[str, Any] = {"exception": type(error).__name__}
    if isinstance(error, HTTPError):
        details["status"] = error.status
        message = f"upstream answered HTTP {error.status}: {_shorten(error.message)}"
        if isinstance(error, RateLimitError):
            details["retry_after"] = error.retry_after
    elif isinstance(error, ResponseTooLargeError):
        details.update(status=error.status, limit=error.limit)
        message = f"upstream response too large: {error}"
    else:
        message = f"{_failure_cause(error)}: {type(error).__name__}: {error}"
    return error_result(ErrorKind.UPSTREAM_ERROR, scrub_text(message, secrets), **details)


# What went wrong, for the failures the SDK never retries (most specific first).
_CAUSES: tuple[tuple[type[BaseException], str], ...] = (
    (aiohttp.RedirectClientError, "upstream redirected to an invalid URL"),
    (aiohttp.InvalidURL, "invalid upstream URL"),
    (aiohttp.NonHttpUrlClientError, "invalid upstream URL"),
    (aiohttp.TooManyRedirects, "upstream redirected too many times"),
    (aiohttp.ClientSSLError, "TLS with the upstream failed"),
)


def _failure_cause(error: BaseException) -> str:
    return next((cause for kind, cause in _CAUSES if isinstance(error, kind)), "upstream unreachable")


def _shorten(text: str, limit: int = 300) -> str:
    return text if len(text) <= limit else text[: limit - 3] + "..."
