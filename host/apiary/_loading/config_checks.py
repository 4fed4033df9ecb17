"""The host config checked against what is installed.

``_config`` checks each value on its own; only here, with the registry at
hand, can the host see ``[integrations.<id>]`` for an id nothing provides,
credential fields an integration's ``auth.fields`` does not declare, and MCP
selection entries that name no installed integration or action. Each
problem names its dotted key (or flag) and the close alternatives.

One function, ``config_problems``, used by ``apiary check`` (through
``Host.check``, as the ``(host config)`` report) and, through
``require_sound_config``, by every way a server starts (``apiary serve``,
``apiary mcp``, the gunicorn factories).
"""

from __future__ import annotations

import difflib
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from .._config import HostConfig
from .._exceptions import ConfigError
from .registry import Registry

CONFIG_REPORT = "(host config)"  # the id of the config's own report in ``apiary check``


def alternatives(name: str, known: Iterable[str], what: str = "installed", listed: Iterable[str] = ()) -> str:
    """``did you mean 'x'?`` for close matches among ``known``, else the
    ``listed`` names (``known`` when none are given) after ``what``."""
    known = sorted(set(known))
    close = difflib.get_close_matches(name, known, n=3, cutoff=0.6)
    if close:
        return "did you mean " + " or ".join(repr(match) for match in close) + "?"
    names = sorted(set(listed)) or known
    shown = ", ".join(names[:12]) + (", ..." if len(names) > 12 else "")
    return f"{what}: {shown or 'none'}"


def unknown_entries(entries: Iterable[str], pairs: Iterable[tuple[str, str]]) -> list[str]:
    """Selection entries that name no installed integration or action (typos)."""
    known = _selectable(pairs)
    return [entry for entry in entries if entry not in known]


def _selectable(pairs: Iterable[tuple[str, str]]) -> set[str]:
    pairs = list(pairs)
    return {integration for integration, _ in pairs} | {f"{i}.{a}" for i, a in pairs}


def _unprovided(config: HostConfig, registry: Registry) -> list[str]:
    installed = {record.id for record in registry.records}
    known = installed | registry.disabled_ids
    return [
        f"integrations.{name}: no installed integration has the id {name!r} ({alternatives(name, installed)})"
        for name in config.integrations
        if name not in known
    ]


def _declared_fields(config: Mapping[str, Any] | None) -> list[str] | None:
    """The names in ``auth.fields.properties``; ``None`` when it declares none
    to check against (no fields schema: platform OAuth and the like)."""
    auth = (config or {}).get("auth")
    fields = auth.get("fields") if isinstance(auth, Mapping) else None
    properties = fields.get("properties") if isinstance(fields, Mapping) else None
    return list(properties) if isinstance(properties, Mapping) else None


def _undeclared_credentials(config: HostConfig, registry: Registry) -> list[str]:
    problems = []
    for name, settings in config.integrations.items():
        record = registry.get(name)
        declared = _declared_fields(record.config) if record is not None else None
        if declared is None:
            continue
        for account, table in settings.accounts.items():
            nested = table.get("credentials")
            fields, where = (nested, "credentials.") if isinstance(nested, Mapping) else (table, "")
            for field in fields:
                if field == "auth_type" and not where:
                    continue
                if field not in declared:
                    problems.append(
                        f"integrations.{name}.accounts.{account}.{where}{field}: integration {name!r} declares no "
                        f"credential field {field!r} in its auth.fields "
                        f"({alternatives(field, declared, 'its fields')})"
                    )
    return problems


def _selection_problems(key: str, entries: Sequence[str], registry: Registry, flag: bool) -> list[str]:
    pairs = [(record.id, action) for record in registry.records for action in record.declared("actions")]
    known = _selectable(pairs)
    problems = []
    for index, entry in enumerate(entries):
        if entry in known:
            continue
        where = key if flag else f"{key}[{index}]"
        if entry.split(".", 1)[0] in registry.disabled_ids:
            problems.append(f"{where}: {entry!r} is disabled in the host config ([integrations.<id>] enabled)")
        else:
            hint = alternatives(entry, known, "installed integrations", (record.id for record in registry.records))
            problems.append(f"{where}: {entry!r} names no installed integration or action ({hint})")
    return problems


def config_problems(
    config: HostConfig,
    registry: Registry,
    include: Sequence[str] | None = None,
    exclude: Sequence[str] | None = None,
) -> list[str]:
    """Every mistake of ``config`` against ``registry``, each naming its key.

    ``include``/``exclude`` are ``apiary mcp``'s flags when given (non-empty
    they replace ``mcp.include``/``mcp.exclude``, and are named as flags).
    """
    problems = _unprovided(config, registry) + _undeclared_credentials(config, registry)
    for key, given, configured in (("include", include, config.mcp.include), ("exclude", exclude, config.mcp.exclude)):
        flag = bool(given)
        entries = list(given) if given else list(configured)
        problems += _selection_problems(f"--{key}" if flag else f"mcp.{key}", entries, registry, flag)
    return problems


def require_sound_config(
    config: HostConfig, registry: Registry, include: Sequence[str] = (), exclude: Sequence[str] = ()
) -> None:
    """``ConfigError`` naming every mistake of ``config`` against ``registry``
    (``include``/``exclude``: ``apiary mcp``'s flags), before a server starts."""
    problems = config_problems(config, registry, include, exclude)
    if problems:
        mistakes = "\n  ".join(problems)
        where = f"the host config ({config.source}) or flags"
        raise ConfigError(f"cannot start: {where} do not match what is installed:\n  {mistakes}")
