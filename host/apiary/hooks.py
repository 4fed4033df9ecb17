"""The host's extension points, as pluggy hook specifications.

Host plugins implement any of these with ``@apiary.hooks.hookimpl``. They are
found through the ``apiary.plugins`` entry point group (the entry point names
a module or an object holding hook implementations); one that fails to load
is reported and skipped. The host's own call logging and config-based
credentials are plugins like any other.
"""

from __future__ import annotations

import contextvars
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Dict, List, Mapping, Optional, Tuple

import pluggy

if TYPE_CHECKING:
    from autohive_integrations_sdk import IntegrationResult

    from .config import HostConfig

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
    account: Optional[str] = None
    upstream_requests: int = 0


# The call running in the current task, for log context and request counts.
current_call: contextvars.ContextVar[Optional[CallInfo]] = contextvars.ContextVar("apiary_call", default=None)


@dataclass(frozen=True)
class UpstreamRequest:
    """One HTTP request an integration sent through the shared pool."""

    method: str
    origin: str
    path: str
    status: Optional[int]
    duration_ms: float
    retry_count: int
    error: Optional[str] = None
    extra: Mapping[str, Any] = field(default_factory=dict)


class HookSpecs:
    """The hooks a host plugin may implement."""

    @hookspec
    def apiary_configure(self, config: "HostConfig") -> None:
        """The host is starting with ``config``."""

    @hookspec
    def apiary_before_call(self, call: CallInfo) -> None:
        """A call is about to run (its credentials are resolved)."""

    @hookspec
    def apiary_after_call(self, call: CallInfo, result: "IntegrationResult", duration_ms: float) -> None:
        """A call finished with ``result`` after ``duration_ms``."""

    @hookspec
    def apiary_upstream_request(self, call: Optional[CallInfo], request: UpstreamRequest) -> None:
        """An integration's HTTP request through the pool completed or failed."""

    @hookspec(firstresult=True)
    def apiary_resolve_credentials(
        self, integration: str, account: Optional[str], config: "HostConfig"
    ) -> Optional[Dict[str, Any]]:
        """Return the auth for ``integration`` and ``account`` (``None`` when
        the call names no account), or ``None`` to let the next plugin try.
        The first answer wins; config-based credentials answer last."""


def call_each(caller: Any, **kwargs: Any) -> List[Tuple[str, BaseException]]:
    """Call every implementation of a notification hook, each on its own.

    A plugin that raises must not keep the others (the built-in call log
    among them) from running, as one ``caller(**kwargs)`` would: pluggy stops
    at the first exception. Returns the ``(plugin name, exception)`` pairs.
    """
    failures = []
    for impl in reversed(caller.get_hookimpls()):  # pluggy's own order: last registered first
        try:
            impl.function(*(kwargs[name] for name in impl.argnames))
        except Exception as error:
            failures.append((impl.plugin_name, error))
    return failures


def plugin_manager() -> pluggy.PluginManager:
    """A plugin manager that knows the host's hook specifications."""
    manager = pluggy.PluginManager(PROJECT)
    manager.add_hookspecs(HookSpecs)
    return manager


def load_entry_point_plugins(manager: pluggy.PluginManager) -> List[Tuple[str, str]]:
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
