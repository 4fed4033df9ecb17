"""The registry: one record per discovered integration, and its life cycle.

A record starts ``discovered`` (its config.json read, nothing imported),
becomes ``loaded`` on first use (or at start when eager), or ``broken`` with
the reason. A broken record never affects the others: it still lists, and
calls to it answer with its reason. Two records claiming one id are both
broken, so neither silently wins, unless the host config picks one
(``claims``).

A loaded integration may still lack a handler for an action or polling
trigger its config.json declares: that one is *unavailable* (its reason in
``IntegrationRecord.unavailable``), the others serve.
"""

from __future__ import annotations

import enum
import importlib
import time
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any

from .._exceptions import LoadError
from .discovery import Discovered, Source, read_config_file
from .offloop import SingleFlight, call_in_thread

if TYPE_CHECKING:
    from autohive_integrations_sdk import Integration


class IntegrationState(str, enum.Enum):
    """Where an integration is in its life cycle (see the module docstring)."""

    DISCOVERED = "discovered"
    LOADED = "loaded"
    BROKEN = "broken"


class IntegrationRecord:
    """Everything the host knows about one integration."""

    __slots__ = ("found", "config", "state", "reason", "integration", "unavailable")

    def __init__(self, found: Discovered) -> None:
        self.found = found
        self.config: Mapping[str, Any] | None = None
        self.state = IntegrationState.DISCOVERED
        self.reason: str | None = None
        self.integration: Integration | None = None
        # Once loaded: section ("actions", "polling_triggers") -> name -> why it cannot run.
        self.unavailable: dict[str, dict[str, str]] = {}

    def __repr__(self) -> str:
        return f"<IntegrationRecord {self.id} {self.state.value}>"

    @property
    def id(self) -> str:
        return self.found.id

    def mark_broken(self, reason: str) -> None:
        self.state, self.reason, self.integration = IntegrationState.BROKEN, reason, None
        self.unavailable = {}

    def unavailable_reason(self, section: str, name: str) -> str | None:
        """Why the declared ``name`` of ``section`` cannot run, or ``None``
        (it can, or the record is not loaded yet and nobody knows)."""
        return self.unavailable.get(section, {}).get(name)

    def declared(self, section: str) -> Mapping[str, Any]:
        """The ``actions`` or ``polling_triggers`` of config.json, or nothing."""
        value = (self.config or {}).get(section)
        return value if isinstance(value, Mapping) else {}


def _record(found: Discovered) -> IntegrationRecord:
    record = IntegrationRecord(found)
    record.config = found.config
    if found.problem or found.config_path is None:
        record.mark_broken(found.problem or "config.json not found")
        return record
    if record.config is not None:
        return record
    try:
        record.config = read_config_file(found.config_path)
    except ValueError as error:
        record.mark_broken(str(error))
    return record


def _find_integration(module: Any, attribute: str | None) -> Integration:
    from autohive_integrations_sdk import Integration

    if attribute:
        value = getattr(module, attribute, None)
        if not isinstance(value, Integration):
            raise LoadError(f"{module.__name__}:{attribute} is not an Integration")
        return value
    conventional = getattr(module, "integration", None)
    if isinstance(conventional, Integration):
        return conventional
    candidates = [value for value in vars(module).values() if isinstance(value, Integration)]
    if len(candidates) != 1:
        raise LoadError(
            f"module {module.__name__} defines {len(candidates) or 'no'} Integration objects; "
            "name one in the entry point as 'module:attribute'"
        )
    return candidates[0]


UNIMPLEMENTED = "declared in config.json but no handler registered"


def _unimplemented(integration: Integration) -> dict[str, dict[str, str]]:
    """The declared actions and polling triggers without a handler, by section."""
    config = integration.config
    missing = {
        "actions": {name: UNIMPLEMENTED for name in config.actions if name not in integration.action_handlers},
        "polling_triggers": {
            name: UNIMPLEMENTED
            for name in config.polling_triggers
            if name not in integration.polling_trigger_handlers
        },
    }
    return {section: names for section, names in missing.items() if names}


def _describe(error: BaseException) -> str:
    """``Type: message`` of an integration's exception, even one whose
    ``__str__`` raises."""
    try:
        return f"{type(error).__name__}: {error}"
    except Exception:
        return f"{type(error).__name__} (its message cannot be printed)"


def _import_module(found: Discovered) -> Any:
    try:
        if found.folder is not None:
            from .isolation import import_isolated

            return import_isolated(found.folder, found.id, found.module)
        return importlib.import_module(found.module)
    except (Exception, SystemExit) as error:  # any failure of the integration's own code, even sys.exit()
        where = ""
        if isinstance(error, SyntaxError) and error.filename:
            where = f" ({error.filename}, line {error.lineno})"
        elif isinstance(error, ModuleNotFoundError) and found.folder and (found.folder / "requirements.txt").is_file():
            where = f" (are the folder's requirements installed? apiary deps {found.folder})"
        raise LoadError(f"import of {found.module} failed: {_describe(error)}{where}") from None


def folder_integration(folder: Path, integration_id: str) -> Integration:
    """The ``Integration`` of a folder integration, imported in isolation.

    What a package made by ``apiary package`` runs on import: the folder's
    files sit beside it untouched, and this loads them the way the host
    loads a folder named in its config.
    """
    from .folders import discover_folder

    found = discover_folder(folder)._replace(id=integration_id)
    if found.problem:
        raise LoadError(found.problem)
    return _find_integration(_import_module(found), None)


def _import(record: IntegrationRecord) -> Integration:
    """The record's ``Integration``, imported and checked; every failure,
    whatever the module does (a ``__getattr__`` that raises, a handler
    table that is not one), is a ``LoadError`` saying why."""
    found = record.found
    module = _import_module(found)
    try:
        integration = _find_integration(module, found.attribute)
        _unimplemented(integration)  # a handler table that is not one fails here, as a load failure
        integration.compile_schemas()
    except LoadError:
        raise
    except (Exception, SystemExit) as error:
        raise LoadError(f"loading {found.module} failed: {_describe(error)}") from None
    return integration


def import_timeout_reason(found: Discovered, timeout: float) -> str:
    """Why an integration whose import outlived ``host.import_timeout`` is broken."""
    return f"import of {found.module} did not finish within {timeout:g} s (host.import_timeout)"


class Registry:
    """All integrations the sources know, by id (less the ``exclude``d ids).

    ``load`` imports on the calling thread (the CLI, which has no loop);
    ``load_async`` imports off the event loop, one import per integration
    however many calls wait for it, bounded by a timeout (see ``offloop``).
    """

    def __init__(
        self,
        sources: Iterable[Source],
        exclude: Iterable[str] = (),
        *,
        quiet: bool = False,
        choices: Mapping[str, str] | None = None,
    ) -> None:
        """``choices``: id -> which claimant serves it (``[integrations.X] source``)."""
        from .claims import settle_all

        excluded = set(exclude)
        self._quiet = quiet  # no log lines about loading (the sandbox's child reports on its own pipe)
        everything = [found for source in sources for found in source.discover()]
        # Installed but disabled by the config (``exclude``): known, not listed.
        self.disabled_ids = {found.id for found in everything if found.id in excluded}
        found = (_record(found) for found in everything if found.id not in excluded)
        self.records: list[IntegrationRecord] = settle_all(
            sorted(found, key=lambda record: record.id), choices or {}
        )
        self._by_id: dict[str, IntegrationRecord] = {}
        for record in self.records:
            self._by_id.setdefault(record.id, record)
        self._imports: SingleFlight[Integration] = SingleFlight()

    def get(self, integration_id: str) -> IntegrationRecord | None:
        """The record for ``integration_id``, or ``None`` if none is installed."""
        return self._by_id.get(integration_id)

    def load(self, record: IntegrationRecord) -> Integration:
        """Import ``record`` here and now if needed; raise ``LoadError`` if it cannot serve."""
        if record.state is IntegrationState.LOADED and record.integration is not None:
            return record.integration
        if record.state is IntegrationState.BROKEN:
            raise LoadError(record.reason or "broken")
        started = self._announce(record)
        try:
            integration = _import(record)
        except LoadError as error:
            self._settle_broken(record, str(error))
            raise
        return self._settle_loaded(record, integration, started)

    async def load_async(self, record: IntegrationRecord, timeout: float) -> Integration:
        """Import ``record`` in a worker thread if needed, the event loop free
        meanwhile; concurrent callers await the one import. Past ``timeout``
        seconds the record is broken with that reason, for good."""
        if record.state is IntegrationState.LOADED and record.integration is not None:
            return record.integration
        if record.state is IntegrationState.BROKEN:
            raise LoadError(record.reason or "broken")
        return await self._imports.run(record.id, lambda: self._import_off_loop(record, timeout))

    async def _import_off_loop(self, record: IntegrationRecord, timeout: float) -> Integration:
        """The one import of ``record`` its concurrent callers share; the
        record is settled here, on the loop, and only here."""
        started = self._announce(record)
        try:
            integration = await call_in_thread(
                lambda: _import(record), timeout=timeout, name=f"apiary-import-{record.id}"
            )
        except TimeoutError:
            reason = import_timeout_reason(record.found, timeout)
        except LoadError as error:
            reason = str(error)
        except Exception as error:  # from the thread machinery itself
            reason = f"loading {record.found.module} failed: {_describe(error)}"
        else:
            return self._settle_loaded(record, integration, started)
        self._settle_broken(record, reason)
        raise LoadError(reason)

    def load_all(self) -> None:
        """Import every integration now, here (the CLI's eager paths);
        failures only mark records."""
        for record in self.records:
            try:
                self.load(record)
            except LoadError:
                pass

    async def load_all_async(self, timeout: float) -> None:
        """Import every integration now, one at a time off the loop, each
        bounded by ``timeout`` (the eager option); failures only mark records."""
        for record in self.records:
            try:
                await self.load_async(record, timeout)
            except LoadError:
                pass

    # ---- the life cycle's log lines ------------------------------------------

    def _log(self, level: str, event: str, **fields: Any) -> None:
        import structlog  # not at import: listing needs no log pipeline

        # Unconfigured (a script loading before any Host was entered), structlog
        # would print to stdout, which may be the script's output: say nothing.
        if not self._quiet and structlog.is_configured():
            from .._observe.logs import get_logger

            getattr(get_logger("apiary.loading"), level)(event, **fields)

    def _announce(self, record: IntegrationRecord) -> float:
        """Log, before the import, which integration is importing: if it kills
        the process, this line (written and flushed) is the last word on it."""
        found = record.found
        self._log("info", "integration_loading", integration=record.id, module=found.module, source=found.source)
        return time.perf_counter()

    def _settle_loaded(self, record: IntegrationRecord, integration: Integration, started: float) -> Integration:
        record.integration, record.state = integration, IntegrationState.LOADED
        record.unavailable = _unimplemented(integration)
        for section, names in record.unavailable.items():
            for name, reason in names.items():
                self._log("warning", "integration_part_unavailable", integration=record.id, section=section,
                          name=name, reason=reason)
        duration_ms = round((time.perf_counter() - started) * 1000, 3)
        self._log("info", "integration_loaded", integration=record.id, duration_ms=duration_ms)
        return integration

    def _settle_broken(self, record: IntegrationRecord, reason: str) -> None:
        record.mark_broken(reason)
        self._log("warning", "integration_broken", integration=record.id, reason=reason)

