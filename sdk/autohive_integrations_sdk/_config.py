"""The parsed form of an integration's ``config.json``, and how to read it.

Parsing names the offending key in every error, so an author learns what to
fix from the message alone. Keys the SDK does not use (``display_name``,
``entry_point``, ...) are ignored.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path
from typing import Any

from ._errors import ConfigurationError


@dataclass
class Parameter:
    """A single named parameter (kept for API compatibility)."""

    name: str
    type: str
    description: str
    enum: list[str] | None = None
    required: bool = True
    default: Any = None


@dataclass
class SchemaDefinition:
    """Something with an input and an output JSON Schema."""

    name: str
    description: str
    input_schema: list[Parameter]
    output_schema: dict[str, Any] | None = None


@dataclass
class Action(SchemaDefinition):
    """An action declared in ``config.json``."""


@dataclass
class PollingTrigger(SchemaDefinition):
    """A polling trigger declared in ``config.json``, with its interval."""

    polling_interval: timedelta = field(default_factory=timedelta)


@dataclass
class IntegrationConfig:
    """The whole parsed ``config.json``."""

    name: str
    version: str
    description: str
    auth: dict[str, Any]
    actions: dict[str, Action]
    polling_triggers: dict[str, PollingTrigger]


_INTERVAL = re.compile(r"\s*(\d+)\s*([smhd])\s*", re.IGNORECASE)
_UNITS = {"s": "seconds", "m": "minutes", "h": "hours", "d": "days"}


def parse_interval(text: str) -> timedelta:
    """Turn ``"30s"``, ``"5m"``, ``"1h"`` or ``"2d"`` into a ``timedelta``."""
    match = _INTERVAL.fullmatch(text) if isinstance(text, str) else None
    if match is None:
        raise ConfigurationError(
            f"Invalid interval format: {text!r} (expected a whole number followed by s, m, h or d, like '5m')"
        )
    amount, unit = match.groups()
    return timedelta(**{_UNITS[unit.lower()]: int(amount)})


def _require(mapping: Mapping[str, Any], key: str, where: str) -> Any:
    try:
        return mapping[key]
    except KeyError:
        raise ConfigurationError(f"config.json: {where} is missing the required key {key!r}") from None


def _section(data: Mapping[str, Any], key: str) -> Mapping[str, Any]:
    section = data.get(key) or {}
    if not isinstance(section, Mapping):
        raise ConfigurationError(f"config.json: {key!r} must be an object mapping names to definitions")
    for name, definition in section.items():
        if not isinstance(definition, Mapping):
            raise ConfigurationError(f"config.json: {key}.{name} must be an object")
    return section


def parse_actions(section: Mapping[str, Any]) -> dict[str, Action]:
    """Parse the ``actions`` object of ``config.json``."""
    return {
        name: Action(
            name=name,
            description=data.get("description", ""),
            input_schema=_require(data, "input_schema", f"action {name!r}"),
            output_schema=data.get("output_schema"),
        )
        for name, data in section.items()
    }


def parse_polling_triggers(section: Mapping[str, Any]) -> dict[str, PollingTrigger]:
    """Parse the ``polling_triggers`` object of ``config.json``."""
    triggers = {}
    for name, data in section.items():
        where = f"polling trigger {name!r}"
        try:
            interval = parse_interval(_require(data, "polling_interval", where))
        except ConfigurationError as error:
            raise ConfigurationError(f"config.json: {where}: {error}") from None
        triggers[name] = PollingTrigger(
            name=name,
            description=data.get("description", ""),
            input_schema=_require(data, "input_schema", where),
            output_schema=data.get("output_schema"),
            polling_interval=interval,
        )
    return triggers


def parse_config(data: Any) -> IntegrationConfig:
    """Build an ``IntegrationConfig`` from the decoded JSON of ``config.json``."""
    if not isinstance(data, Mapping):
        raise ConfigurationError("config.json: the top level must be a JSON object")
    auth = data.get("auth") or {}
    if not isinstance(auth, Mapping):
        raise ConfigurationError("config.json: 'auth' must be an object")
    return IntegrationConfig(
        name=_require(data, "name", "the top level"),
        version=_require(data, "version", "the top level"),
        description=data.get("description", ""),
        auth=dict(auth),
        actions=parse_actions(_section(data, "actions")),
        polling_triggers=parse_polling_triggers(_section(data, "polling_triggers")),
    )


def read_config(path: str | Path) -> IntegrationConfig:
    """Read and parse one ``config.json`` file."""
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise ConfigurationError(f"Configuration file not found: {path}") from None
    except OSError as error:
        raise ConfigurationError(f"Cannot read configuration file {path}: {error.strerror}") from None
    try:
        data = json.loads(text)
    except json.JSONDecodeError as error:
        raise ConfigurationError(f"Invalid JSON configuration in {path}: {error}") from None
    return parse_config(data)


def config_candidates(caller_file: str | None, sdk_file: str) -> list[Path]:
    """Where ``Integration.load()`` without a path looks, in order.

    First beside the module that called it, then up through the packages that
    module sits in (an ``actions/__init__.py`` calling ``load()`` finds the
    integration's own config.json). Last, the vendored layout, where the SDK
    was installed into ``<integration>/<dir>/autohive_integrations_sdk``.
    """
    candidates: list[Path] = []
    if caller_file:
        folder = Path(caller_file).resolve().parent
        candidates.append(folder / "config.json")
        while (folder / "__init__.py").exists() and folder.parent != folder:
            folder = folder.parent
            candidates.append(folder / "config.json")
    else:
        candidates.append(Path.cwd() / "config.json")
    candidates.append(Path(sdk_file).resolve().parents[2] / "config.json")
    return list(dict.fromkeys(candidates))
