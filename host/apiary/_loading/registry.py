"""The registry: one record per discovered integration, and its life cycle.

A record starts ``discovered`` (its config.json read, nothing imported),
becomes ``loaded`` on first use (or at start when eager), or ``broken`` with
the reason. A broken record never affects the others: it still lists, and
calls to it answer with its reason. Two records claiming one id are both
broken, so neither silently wins.
"""

from __future__ import annotations

import enum
import importlib
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any

from .._exceptions import LoadError
from .discovery import Discovered, Source, read_config_file

if TYPE_CHECKING:
    from autohive_integrations_sdk import Integration


class IntegrationState(str, enum.Enum):
    """Where an integration is in its life cycle (see the module docstring)."""

    DISCOVERED = "discovered"
    LOADED = "loaded"
    BROKEN = "broken"


class IntegrationRecord:
    """Everything the host knows about one integration."""

    __slots__ = ("found", "config", "state", "reason", "integration")

    def __init__(self, found: Discovered) -> None:
        self.found = found
        self.config: Mapping[str, Any] | None = None
        self.state = IntegrationState.DISCOVERED
        self.reason: str | None = None
        self.integration: Integration | None = None

    def __repr__(self) -> str:
        return f"<IntegrationRecord {self.id} {self.state.value}>"

    @property
    def id(self) -> str:
        return self.found.id

    def mark_broken(self, reason: str) -> None:
        self.state, self.reason, self.integration = IntegrationState.BROKEN, reason, None

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


def _unimplemented(integration: Integration) -> list[str]:
    config = integration.config
    missing = [f"action {name!r}" for name in config.actions if name not in integration.action_handlers]
    missing += [
        f"polling trigger {name!r}"
        for name in config.polling_triggers
        if name not in integration.polling_trigger_handlers
    ]
    return missing


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
            where = f" (are the folder's requirements installed? pip install -r {found.folder / 'requirements.txt'})"
        raise LoadError(f"import of {found.module} failed: {type(error).__name__}: {error}{where}") from None


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
    found = record.found
    integration = _find_integration(_import_module(found), found.attribute)
    missing = _unimplemented(integration)
    if missing:
        raise LoadError(f"declared in config.json but no handler registered: {', '.join(missing)}")
    try:
        integration.compile_schemas()
    except Exception as error:
        raise LoadError(str(error)) from None
    return integration


class Registry:
    """All integrations the sources know, by id (less the ``exclude``d ids)."""

    def __init__(self, sources: Iterable[Source], exclude: Iterable[str] = ()) -> None:
        excluded = set(exclude)
        self.records: list[IntegrationRecord] = sorted(
            (_record(found) for source in sources for found in source.discover() if found.id not in excluded),
            key=lambda record: record.id,
        )
        claims: dict[str, list[IntegrationRecord]] = {}
        for record in self.records:
            claims.setdefault(record.id, []).append(record)
        for integration_id, claimants in claims.items():
            if len(claimants) > 1:
                where = "; ".join(other.found.source + _from(other.found) for other in claimants)
                for record in claimants:
                    record.mark_broken(f"id {integration_id!r} is claimed by {len(claimants)} integrations: {where}")
        self._by_id = {integration_id: claimants[0] for integration_id, claimants in claims.items()}

    def get(self, integration_id: str) -> IntegrationRecord | None:
        """The record for ``integration_id``, or ``None`` if none is installed."""
        return self._by_id.get(integration_id)

    def load(self, record: IntegrationRecord) -> Integration:
        """Import ``record`` if needed; raise ``LoadError`` if it cannot serve."""
        if record.state is IntegrationState.LOADED and record.integration is not None:
            return record.integration
        if record.state is IntegrationState.BROKEN:
            raise LoadError(record.reason or "broken")
        try:
            record.integration = _import(record)
        except LoadError as error:
            record.mark_broken(str(error))
            raise
        record.state = IntegrationState.LOADED
        return record.integration

    def load_all(self) -> None:
        """Import every integration now (the eager option); failures only mark records."""
        for record in self.records:
            try:
                self.load(record)
            except LoadError:
                pass


def _from(found: Discovered) -> str:
    if found.distribution:
        return f" (from {found.distribution} {found.distribution_version})"
    return ""
