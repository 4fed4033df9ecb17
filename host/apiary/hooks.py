"""The host's extension points, as pluggy hook specifications.

Host plugins implement any of these with ``@apiary.hooks.hookimpl``. They are
found through the ``apiary.plugins`` entry point group (the entry point names
a module or an object holding hook implementations); one that fails to load
is reported and skipped. The host's own call logging and config-based
credentials are plugins like any other.
"""

from __future__ import annotations

import contextvars
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

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
            self._parts = urlsplit(self._attempt.url)
        return self._parts

    @property
    def method(self) -> str:
        return self._attempt.method

    @property
    def origin(self) -> str:
        parts = self._url()
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
    """Calls every implementation of the notification hooks, each on its own.

    A plugin that raises must not keep the others (the built-in call log
    among them) from running, as one pluggy hook call would: pluggy stops at
    the first exception. Implementations are looked up once, when the host
    starts, since plugins do not change while it runs.
    """

    def __init__(self, manager: pluggy.PluginManager) -> None:
        self._implementations = {
            name: [(impl.plugin_name, impl.function, impl.argnames) for impl in reversed(caller.get_hookimpls())]
            for name, caller in vars(manager.hook).items()
        }

    def notify(self, hook: str, **kwargs: Any) -> list[tuple[str, BaseException]]:
        """Call ``hook`` on every plugin; return the ``(plugin, exception)`` failures."""
        failures: list[tuple[str, BaseException]] = []
        for plugin, function, argnames in self._implementations.get(hook, ()):
            try:
                function(*[kwargs[name] for name in argnames])
            except Exception as error:
                failures.append((plugin, error))
        return failures


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
