"""The host's extension points, as pluggy hook specifications.

Host plugins implement any of these with ``@apiary.hooks.hookimpl``. They are
found through the ``apiary.plugins`` entry point group (the entry point names
a module or an object holding hook implementations); one that fails to load
is reported and skipped. The host's own call logging and config-based
credentials are plugins like any other.
"""

from __future__ import annotations

import contextvars
import logging
from collections.abc import Callable, Generator
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any
from urllib.parse import SplitResult, urlsplit

import pluggy

if TYPE_CHECKING:
    from autohive_integrations_sdk import IntegrationResult, UpstreamAttempt

    from ._config import HostConfig

PROJECT = "apiary"
PLUGIN_GROUP = "apiary.plugins"

hookspec = pluggy.HookspecMarker(PROJECT)
hookimpl = pluggy.HookimplMarker(PROJECT)


@dataclass
class CallInfo:
    """One call through the host, as hooks see it."""

    call_id: str
    integration: str
    action: str  # "connected_account" for an account lookup
    account: str | None = None
    upstream_requests: int = 0


# The call running in the current task, for log context and request counts.
current_call: contextvars.ContextVar[CallInfo | None] = contextvars.ContextVar("apiary_call", default=None)


class UpstreamRequest:
    """One HTTP request an integration sent through the shared pool.

    A view over the SDK's report of the attempt: fields are worked out when
    read, since most requests are only counted, not looked at. ``origin`` and
    ``path`` never include the query string or user info.
    """

    __slots__ = ("_attempt", "_parts")

    def __init__(self, attempt: UpstreamAttempt) -> None:
        self._attempt = attempt
        self._parts: Any = None

    def _url(self) -> Any:
        if self._parts is None:
            try:
                self._parts = urlsplit(self._attempt.url)
            except ValueError:  # a URL the integration made up (``http://[::1``): nothing to report of it
                self._parts = SplitResult("", "", "", "", "")
        return self._parts

    @property
    def method(self) -> str:
        return self._attempt.method

    @property
    def origin(self) -> str:
        parts = self._url()
        if not parts.scheme:
            return "(invalid URL)"
        return f"{parts.scheme}://{parts.netloc.rpartition('@')[2]}"

    @property
    def path(self) -> str:
        return self._url().path or "/"

    @property
    def status(self) -> int | None:
        return self._attempt.status

    @property
    def duration_ms(self) -> float:
        return round(self._attempt.seconds * 1000, 3)

    @property
    def retry_count(self) -> int:
        return self._attempt.retry_count

    @property
    def error(self) -> str | None:
        return self._attempt.error

    def __repr__(self) -> str:
        return f"<UpstreamRequest {self.method} {self.origin}{self.path} -> {self.status or self.error}>"


class HookSpecs:
    """The hooks a host plugin may implement."""

    @hookspec
    def apiary_configure(self, config: HostConfig) -> None:
        """The host is starting with ``config``."""

    @hookspec
    def apiary_before_call(self, call: CallInfo) -> None:
        """A call is about to run (its credentials are resolved)."""

    @hookspec
    def apiary_after_call(self, call: CallInfo, result: IntegrationResult, duration_ms: float) -> None:
        """A call finished with ``result`` after ``duration_ms``."""

    @hookspec
    def apiary_upstream_request(self, call: CallInfo | None, request: UpstreamRequest) -> None:
        """An integration's HTTP request through the pool completed or failed."""

    @hookspec(firstresult=True)
    def apiary_resolve_credentials(
        self, integration: str, account: str | None, config: HostConfig
    ) -> dict[str, Any] | None:
        """Return the auth for ``integration`` and ``account`` (``None`` when
        the call names no account), or ``None`` to let the next plugin try.
        The first answer wins; config-based credentials answer last."""


class Notifier:
    """Dispatches the notification hooks through pluggy, one failing plugin
    silencing nobody.

    Each hook goes through its pluggy hook caller, so wrappers (``wrapper=True``
    and old-style ``hookwrapper=True``) run around the other implementations
    with pluggy's ordering. Pluggy stops at the first exception, so every
    implementation of a notification hook is guarded once (``_guard``): one that
    raises is reported as a ``(plugin, exception)`` failure of this dispatch and
    the hook goes on without it. Hooks with no implementation cost one dict
    look-up; plugins are registered before the host starts, so which hooks
    have implementations is worked out once.
    """

    def __init__(self, manager: pluggy.PluginManager) -> None:
        self._callers: dict[str, Any] = {}
        for name, caller in vars(manager.hook).items():
            if caller.spec is not None and caller.spec.opts.get("firstresult"):
                continue  # answered by the first plugin, raised to its caller
            implementations = caller.get_hookimpls()
            if implementations:
                for implementation in implementations:
                    _guard(implementation, name)
                self._callers[name] = caller

    def notify(self, hook: str, **kwargs: Any) -> list[tuple[str, BaseException]]:
        """Call ``hook`` on every plugin; return the ``(plugin, exception)`` failures."""
        caller = self._callers.get(hook)
        if caller is None:
            return []
        failures: list[tuple[str, BaseException]] = []
        token = _failures.set(failures)
        try:
            caller(**kwargs)
        finally:
            _failures.reset(token)
        return failures


# The failures of the dispatch running in this context (``Notifier.notify``).
_failures: contextvars.ContextVar[list[tuple[str, BaseException]] | None] = contextvars.ContextVar(
    "apiary_hook_failures", default=None
)


def _report(plugin: str, hook: str, error: BaseException) -> None:
    sink = _failures.get()
    if sink is not None:
        sink.append((plugin, error))
    else:  # the hook was called without a Notifier: still never silent
        logging.getLogger("apiary.hooks").warning("plugin %s failed in %s", plugin, hook, exc_info=error)


def _guard(implementation: pluggy.HookImpl, hook: str) -> None:
    """Make ``implementation`` report an exception instead of raising it
    (once: the guarded function is marked)."""
    function = implementation.function
    if getattr(function, "_apiary_guarded", False):
        return
    plugin = implementation.plugin_name
    if implementation.wrapper:
        guarded = _guarded_wrapper(function, plugin, hook)
    elif implementation.hookwrapper:
        guarded = _guarded_old_style_wrapper(function, plugin, hook)
    else:
        guarded = _guarded_call(function, plugin, hook)
    guarded._apiary_guarded = True  # type: ignore[attr-defined]
    # Pluggy worked out the argument names from the original at registration
    # and calls ``function`` with them: only the call itself is replaced.
    setattr(implementation, "function", guarded)  # noqa: B010 - a Final attribute for type checkers


def _guarded_call(function: Callable[..., Any], plugin: str, hook: str) -> Callable[..., Any]:
    def guarded(*args: Any, **kwargs: Any) -> Any:
        try:
            return function(*args, **kwargs)
        except Exception as error:
            _report(plugin, hook, error)
            return None

    return guarded


def _guarded_wrapper(function: Callable[..., Any], plugin: str, hook: str) -> Callable[..., Any]:
    """A new-style wrapper that steps aside when its setup or teardown raises."""

    def guarded(*args: Any, **kwargs: Any) -> Generator[None, Any, Any]:
        try:
            teardown = function(*args, **kwargs)
            next(teardown)
        except Exception as error:  # StopIteration too: it did not yield
            _report(plugin, hook, error)
            return (yield)
        try:
            result = yield
        except BaseException as error:  # an inner implementation's, not an Exception: the wrapper's to handle
            try:
                teardown.throw(error)
            except StopIteration as stop:
                return stop.value
            teardown.close()
            raise
        try:
            teardown.send(result)
        except StopIteration as stop:
            return stop.value
        except Exception as error:
            _report(plugin, hook, error)
            return result
        teardown.close()
        _report(plugin, hook, RuntimeError("the hook wrapper yielded twice"))
        return result

    return guarded


def _guarded_old_style_wrapper(function: Callable[..., Any], plugin: str, hook: str) -> Callable[..., Any]:
    """An old-style (``hookwrapper=True``) wrapper that steps aside when it raises."""

    def guarded(*args: Any, **kwargs: Any) -> Generator[None, Any, None]:
        try:
            teardown = function(*args, **kwargs)
            next(teardown)
        except Exception as error:
            _report(plugin, hook, error)
            yield
            return
        outcome = yield
        try:
            teardown.send(outcome)
        except StopIteration:
            return
        except Exception as error:
            _report(plugin, hook, error)
            return
        teardown.close()
        _report(plugin, hook, RuntimeError("the hook wrapper yielded twice"))

    return guarded


def plugin_manager() -> pluggy.PluginManager:
    """A plugin manager that knows the host's hook specifications."""
    manager = pluggy.PluginManager(PROJECT)
    manager.add_hookspecs(HookSpecs)
    return manager


def load_entry_point_plugins(manager: pluggy.PluginManager) -> list[tuple[str, str]]:
    """Register every ``apiary.plugins`` entry point; return the ones that
    failed as ``(name, reason)`` pairs instead of raising."""
    import importlib_metadata

    failures = []
    for entry_point in importlib_metadata.entry_points(group=PLUGIN_GROUP):
        try:
            manager.register(entry_point.load(), name=f"{PLUGIN_GROUP}:{entry_point.name}")
        except Exception as error:
            failures.append((entry_point.name, f"{type(error).__name__}: {error}"))
    return failures
