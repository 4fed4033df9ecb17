"""``Host``: the one object every face (Python, CLI, HTTP, MCP) talks to.

It owns the registry, the session pool, the plugin manager and the router,
and answers four questions: what is installed (``list``), what one
integration offers (``describe``), run an action (``call``), and whose
account this is (``connected_account``). Listing and describing need no pool
and import no integration; calls need the host entered (``async with``).
"""

from __future__ import annotations

import builtins
from collections.abc import Iterable
from typing import TYPE_CHECKING, Any

from ._calls.request import CONNECTED_ACCOUNT, CallRequest
from ._config import HostConfig, load_config
from ._exceptions import LoadError
from ._loading.catalog import describe_record, summarize_record
from ._loading.discovery import EntryPointSource, Source
from ._loading.registry import IntegrationRecord, Registry

if TYPE_CHECKING:
    import pluggy

    from autohive_integrations_sdk import IntegrationResult

    from ._calls.pool import SessionPool
    from ._calls.router import Router
    from ._loading.checks import CheckReport


class Host:
    """Discovers integrations and routes calls to them.

    ``sources`` defaults to installed distributions (entry points) and the
    folder integrations in the config's ``host.folders``; ``plugins`` are
    host plugin objects registered besides the built-in ones and those of
    the ``apiary.plugins`` entry point group (``load_plugin_entry_points=False``
    skips the latter).

    Calls need the host entered (``async with host:``), once at a time:
    entering it while it is entered is refused (it would orphan its pool);
    after it exits it may be entered again.
    """

    def __init__(
        self,
        config: HostConfig | None = None,
        *,
        sources: Iterable[Source] | None = None,
        plugins: Iterable[object] = (),
        load_plugin_entry_points: bool = True,
    ) -> None:
        self.config = config or load_config()
        disabled = [name for name, settings in self.config.integrations.items() if not settings.enabled]
        if sources is None:
            sources = [EntryPointSource()]
            if self.config.folders:
                from ._loading.folders import FolderSource

                sources.append(FolderSource(self.config.folders, self.config.folder_prefixes))
        choices = {name: settings.source for name, settings in self.config.integrations.items() if settings.source}
        self.registry = Registry(sources, exclude=disabled, choices=choices)
        self._plugins = list(plugins)
        self._load_plugin_entry_points = load_plugin_entry_points
        self.plugin_failures: list[tuple[str, str]] = []
        self.hooks: pluggy.PluginManager | None = None
        self._router: Router | None = None
        self._pool: SessionPool | None = None
        self._entered = False

    # ---- the catalogue: plain data, no imports ---------------------------

    def list(self) -> builtins.list[dict[str, Any]]:
        """Every integration: id, versions, state (and why if broken), actions."""
        return [summarize_record(record) for record in self.registry.records]

    def describe(self, integration_id: str) -> dict[str, Any] | None:
        """One integration with its actions' schemas, triggers and auth;
        ``None`` when no such integration is installed."""
        record = self.registry.get(integration_id)
        return describe_record(record) if record is not None else None

    # ---- life cycle --------------------------------------------------------

    async def __aenter__(self) -> Host:
        # Checked and set before the first await: two entries racing are one too many.
        if self._entered:
            raise RuntimeError(
                "this Host is already entered: use one 'async with host:' at a time "
                "(or a second Host for a second pool)"
            )
        self._entered = True
        try:
            await self._open()
        except BaseException:
            # Whatever failed or cancelled the start, nothing it opened stays open.
            await self._close()
            raise
        return self

    async def _open(self) -> None:
        from ._calls.credentials import ConfigCredentials
        from ._calls.pool import SessionPool
        from ._calls.router import Router
        from ._observe import logs
        from ._observe.call_logging import CallLogger
        from .hooks import Notifier, load_entry_point_plugins, plugin_manager

        logs.ensure_configured(self.config.logging)
        hooks = plugin_manager()
        hooks.register(CallLogger(), name="apiary.call_logging")
        hooks.register(ConfigCredentials(), name="apiary.config_credentials")
        for plugin in self._plugins:
            hooks.register(plugin)
        if self._load_plugin_entry_points:
            self.plugin_failures = load_entry_point_plugins(hooks)
            for name, reason in self.plugin_failures:
                logs.get_logger("apiary.host").warning("plugin_skipped", plugin=name, reason=reason)
        self.hooks = hooks
        self._pool = SessionPool(self.config.pool, self.config.upstreams)
        for plugin, error in Notifier(hooks).notify("apiary_configure", config=self.config):
            # A plugin that cannot configure itself is not left half-working.
            hooks.unregister(name=plugin)
            self.plugin_failures.append((plugin, f"apiary_configure failed: {type(error).__name__}: {error}"))
            logs.get_logger("apiary.host").warning("plugin_skipped", plugin=plugin, reason=str(error))
        self._router = Router(self.registry, self._pool, hooks, self.config)
        await self._pool.open()
        if self.config.eager:
            # Off the loop and one at a time, each bounded by host.import_timeout:
            # a hung import breaks its integration, never the start.
            await self.registry.load_all_async(self.config.import_timeout)

    async def __aexit__(self, *exc_info: Any) -> None:
        await self._close()

    async def _close(self) -> None:
        self._router = None
        try:
            if self._pool is not None:
                await self._pool.close()
        finally:
            self._entered = False

    @property
    def is_open(self) -> bool:
        """Whether the host is entered and its pool open."""
        return self._pool is not None and self._pool.is_open

    # ---- calls -------------------------------------------------------------

    def _require_router(self) -> Router:
        if self._router is None:
            raise RuntimeError("enter the host first: 'async with Host() as host: await host.call(...)'")
        return self._router

    async def call(
        self,
        integration: str,
        action: str,
        inputs: dict[str, Any] | None = None,
        *,
        auth: dict[str, Any] | None = None,
        account: str | None = None,
        timeout: float | None = None,
        call_id: str | None = None,
        retries: int | None = None,
    ) -> IntegrationResult:
        """Run ``action`` of ``integration``; always returns an ``IntegrationResult``.

        ``auth`` is used as given; without it the credentials of ``account``
        (or the default account) come from plugins or the host config.
        ``timeout`` (seconds) overrides the configured call timeout.
        ``call_id`` names the call in logs and hooks (a face that must report
        it, like the HTTP server's response header, passes its own).
        ``retries`` overrides the configured ``max_retries`` of each upstream
        request (a handler that sets ``context.config["max_retries"]`` wins).
        """
        request = CallRequest(integration, action, inputs, auth, account, timeout, call_id, retries)
        return await self._require_router().call(request)

    async def connected_account(
        self,
        integration: str,
        *,
        auth: dict[str, Any] | None = None,
        account: str | None = None,
        timeout: float | None = None,
        call_id: str | None = None,
        retries: int | None = None,
    ) -> IntegrationResult:
        """Who the credentials belong to: a ``CONNECTED_ACCOUNT`` result, or an
        error result. The keywords mean what they mean for ``call``."""
        request = CallRequest(integration, CONNECTED_ACCOUNT, None, auth, account, timeout, call_id, retries)
        return await self._require_router().connected_account(request)

    # ---- loading, for the faces that report on it -------------------------

    def load_all(self, *, isolated: bool = True, only: Iterable[str] | None = None) -> None:
        """Import every integration now (or those of the ids in ``only``), as
        the eager option does; failures only mark records broken (``list``
        then shows why).

        ``isolated`` (the default) first imports each in a child process, so
        one that kills its interpreter (``os._exit()`` at import) or hangs
        past ``host.import_timeout`` is marked broken with the reason instead
        of ending or stalling this process; only the sound ones are then
        imported here. ``isolated=False`` imports everything here directly.
        """
        wanted = None if only is None else set(only)
        records = [record for record in self.registry.records if wanted is None or record.id in wanted]
        if not isolated:
            for record in records:
                try:
                    self.registry.load(record)
                except LoadError:
                    pass
            return
        from ._loading.sandbox import vet

        # Each sound one imported here as its verdict arrives, while the child goes on.
        for record, verdict in vet(records, self.config.import_timeout, self.config.logging):
            if verdict.reason is not None:
                record.mark_broken(verdict.reason)
                continue
            try:
                self.registry.load(record)
            except LoadError:
                pass

    def check(self) -> builtins.list[CheckReport]:
        """``apiary check``: every integration's problems, each imported in a
        child process (see ``load_all``) so that none can hide the others'."""
        from ._loading.checks import CheckReport, check_all
        from ._loading.config_checks import CONFIG_REPORT, config_problems

        reports = check_all(self.registry, isolated_timeout=self.config.import_timeout, logging=self.config.logging)
        problems = config_problems(self.config, self.registry)  # the config against what is installed, first
        return [CheckReport(CONFIG_REPORT, self.config.source, problems)] + reports if problems else reports

    def record(self, integration_id: str) -> IntegrationRecord | None:
        """The registry record of ``integration_id`` (for ``check`` and tools)."""
        return self.registry.get(integration_id)
