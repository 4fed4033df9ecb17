"""``apiary check``: is every installed integration sound?

For each integration: its config.json against the published schema
(``config/integration.schema.json``), every schema in it valid Draft 7 (a
warning when not: the reference SDK validates with it all the same), its
module importable, a handler for every declared action and trigger and no
handler for an undeclared one. Problems are collected, never raised, so one
bad integration does not hide the next; and ``Host.check`` imports them in
a child process (``sandbox``), so one that kills its interpreter does not
either.
"""

from __future__ import annotations

import json
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from .._config import LoggingConfig, defaults_file
from .._exceptions import LoadError
from .registry import IntegrationRecord, Registry

if TYPE_CHECKING:
    from .sandbox import Verdict


@dataclass
class CheckReport:
    id: str
    source: str
    problems: list[str] = field(default_factory=list)
    # Worth fixing, never a failure: ``ok`` ignores them.
    warnings: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.problems


def _config_schema() -> Mapping[str, Any]:
    schema: Mapping[str, Any] = json.loads(defaults_file("integration.schema.json").read_text(encoding="utf-8"))
    return schema


def _location(path: Any) -> str:
    return "/".join(str(part) for part in path) or "(top level)"


def _schemas(config: Mapping[str, Any]) -> Iterator[tuple[str, Any]]:
    """Every schema of config.json, with the JSON pointer to it."""
    auth = config.get("auth")
    if isinstance(auth, Mapping) and "fields" in auth:
        yield "/auth/fields", auth["fields"]
    for section in ("actions", "polling_triggers"):
        definitions = config.get(section)
        if not isinstance(definitions, Mapping):
            continue
        for name, definition in definitions.items():
            if isinstance(definition, Mapping):
                for role in ("input_schema", "output_schema"):
                    if role in definition:
                        escaped = str(name).replace("~", "~0").replace("/", "~1")
                        yield f"/{section}/{escaped}/{role}", definition[role]


def _check_config(config: Mapping[str, Any]) -> list[str]:
    from jsonschema import Draft7Validator

    return [
        f"config.json {_location(error.absolute_path)}: {error.message}"
        for error in Draft7Validator(_config_schema()).iter_errors(config)
    ]


def _schema_warnings(config: Mapping[str, Any], path: Any) -> list[str]:
    """A warning per departure from Draft 7 of a schema in config.json (the
    SDK's own list: what it refuses outright fails the import instead)."""
    from autohive_integrations_sdk._validation import schema_problems

    return [
        f"{path}: {pointer}{problem.pointer}: {problem.keyword or 'the schema'!r} is not valid Draft 7 "
        f"({problem.message}); validated as the reference SDK does, without checking the schema"
        for pointer, schema in _schemas(config)
        for problem in schema_problems(schema)
    ]


def handler_problems(registry: Registry, record: IntegrationRecord) -> list[str]:
    """Why ``record`` cannot load, or what is wrong with its handlers."""
    try:
        integration = registry.load(record)
    except LoadError as error:
        return [str(error)]
    config = integration.config
    problems = [
        f"{'action' if section == 'actions' else 'polling trigger'} {name!r} is unavailable: {reason}"
        for section, names in record.unavailable.items()
        for name, reason in names.items()
    ]
    problems += [
        f"handler registered for undeclared action {name!r}"
        for name in integration.action_handlers
        if name not in config.actions
    ]
    declared = set(record.declared("actions"))
    if declared != set(config.actions):
        problems.append(
            "the module loaded a config.json whose actions differ from the one discovered "
            f"({record.found.config_path})"
        )
    return problems


def check_record(registry: Registry, record: IntegrationRecord, verdict: Verdict | None = None) -> CheckReport:
    """Every problem of one integration; an empty list when it is sound.
    With ``verdict`` (from a child process) its import is not repeated here."""
    report = CheckReport(record.id, record.found.source)
    if record.config is None:
        report.problems.append(record.reason or "config.json could not be read")
        return report
    report.problems += _check_config(record.config)
    report.warnings += _schema_warnings(record.config, record.found.config_path or "config.json")
    report.problems += list(verdict.problems) if verdict is not None else handler_problems(registry, record)
    return report


def check_all(
    registry: Registry, *, isolated_timeout: float | None = None, logging: LoggingConfig | None = None
) -> list[CheckReport]:
    """Every integration's report. With ``isolated_timeout``, each is imported
    in a child process bounded by that many seconds (``sandbox``), so one that
    kills its interpreter or hangs is a failure in its own report only."""
    if isolated_timeout is None:
        return [check_record(registry, record) for record in registry.records]
    from .sandbox import vet

    # Each report made as its verdict arrives, while the child imports the next.
    vetted = {
        id(record): check_record(registry, record, verdict)
        for record, verdict in vet(registry.records, isolated_timeout, logging or LoggingConfig())
    }
    return [vetted.get(id(record)) or check_record(registry, record) for record in registry.records]
