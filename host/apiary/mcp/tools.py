"""The MCP tool table: which installed actions become tools, under which names.

Built from the registry's config.json data alone (no integration imported),
so ``apiary mcp --list`` and the server's ``tools/list`` agree.

Naming. A tool is named ``{integration}__{action}`` when that already obeys
the MCP tool-name rules this face keeps to (``[A-Za-z0-9_-]``, 1 to 64
characters) and no other tool would get the same name. Otherwise (a
character outside the set, more than 64 characters, or two actions whose
plain names coincide, like integration ``a__b`` action ``c`` and
integration ``a`` action ``b__c``) the name is the sanitized plain name
(other characters become ``_``) cut to leave room for ``-`` plus the first
10 hex digits of the SHA-256 of the full name ``integration.action``:
``some_very_long_integration__some_very_long_act-3f1c0d9a2b``. Every
colliding name is shortened, none is preferred, so the result does not
depend on discovery order; in the (astronomically unlikely) event that two
shortened names still coincide, their hashes are lengthened until they
differ. Names depend only on the set of installed actions.
"""

from __future__ import annotations

import hashlib
import re
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from typing import Any, NamedTuple, TypeGuard

from .._loading.config_checks import unknown_entries as unknown_entries  # here for the faces and tests
from .._loading.registry import IntegrationState, Registry

MAX_NAME = 64
HASH_DIGITS = 10
SEPARATOR = "__"
_ALLOWED = re.compile(r"^[A-Za-z0-9_-]{1,64}$")
_DISALLOWED_CHAR = re.compile(r"[^A-Za-z0-9_-]")


class ToolSpec(NamedTuple):
    """One action as an MCP tool."""

    name: str
    integration: str
    action: str
    description: str
    input_schema: dict[str, Any]
    output_schema: dict[str, Any] | None  # only when the action's output schema is an object schema

    @property
    def full_name(self) -> str:
        return f"{self.integration}.{self.action}"


def is_valid_name(name: str) -> bool:
    """Whether ``name`` obeys the MCP tool-name rules kept here."""
    return bool(_ALLOWED.match(name))


def _shortened(full_name: str, plain: str, digits: int) -> str:
    digest = hashlib.sha256(full_name.encode("utf-8")).hexdigest()[:digits]
    prefix = _DISALLOWED_CHAR.sub("_", plain)[: MAX_NAME - 1 - digits]
    return f"{prefix}-{digest}"


def tool_names(pairs: Iterable[tuple[str, str]]) -> dict[tuple[str, str], str]:
    """The tool name of every ``(integration, action)`` pair (see the module doc)."""
    pairs = list(dict.fromkeys(pairs))
    plain = {pair: f"{pair[0]}{SEPARATOR}{pair[1]}" for pair in pairs}
    counts = Counter(plain.values())
    names: dict[tuple[str, str], str] = {}
    digits = {pair: HASH_DIGITS for pair in pairs}
    for pair in pairs:
        name = plain[pair]
        if is_valid_name(name) and counts[name] == 1:
            names[pair] = name
        else:
            names[pair] = _shortened(f"{pair[0]}.{pair[1]}", name, digits[pair])
    # Bounded: each round lengthens the hashes of the names still colliding;
    # at 63 digits the shortened name is all hash (distinct full names only
    # collide on a full SHA-256 prefix collision).
    for _ in range(64):
        taken = Counter(names.values())
        clashing = [pair for pair in pairs if taken[names[pair]] > 1]
        if not clashing:
            return names
        for pair in clashing:
            if names[pair] != plain[pair]:  # a plain name keeps its place
                digits[pair] = min(digits[pair] + 4, MAX_NAME - 1)
                names[pair] = _shortened(f"{pair[0]}.{pair[1]}", plain[pair], digits[pair])
    raise RuntimeError("could not give every MCP tool a distinct name")  # pragma: no cover


# ---- selection ----------------------------------------------------------------


def _matches(entries: Sequence[str], integration: str, action: str) -> bool:
    return integration in entries or f"{integration}.{action}" in entries


def is_selected(integration: str, action: str, include: Sequence[str] = (), exclude: Sequence[str] = ()) -> bool:
    """Whether the action passes the selection: in ``include`` (by integration
    id or ``integration.action``; everything when empty), not in ``exclude``."""
    if include and not _matches(include, integration, action):
        return False
    return not _matches(exclude, integration, action)


# ---- the table ------------------------------------------------------------------


def _object_schema(schema: Any) -> TypeGuard[Mapping[str, Any]]:
    return isinstance(schema, Mapping) and schema.get("type") == "object"


def _input_schema(schema: Any) -> dict[str, Any] | None:
    """The action's input schema as an MCP ``inputSchema`` (an object schema);
    ``None`` when it is some other kind of schema (no tool can take it)."""
    if schema is None:
        return {"type": "object", "properties": {}}
    return dict(schema) if _object_schema(schema) else None


def healthy_actions(registry: Registry) -> list[tuple[str, str, Mapping[str, Any]]]:
    """``(integration, action, definition)`` of every action of every
    integration not broken (at discovery, or at import when already loaded)."""
    found = []
    for record in registry.records:
        if record.state is IntegrationState.BROKEN:
            continue
        for action, definition in record.declared("actions").items():
            found.append((record.id, action, definition if isinstance(definition, Mapping) else {}))
    return found


def build_tools(
    registry: Registry, include: Sequence[str] = (), exclude: Sequence[str] = ()
) -> tuple[list[ToolSpec], list[str]]:
    """The selected tools, and why any healthy selected action was left out.

    Names are given over every healthy action (not only the selected ones),
    so a tool keeps its name whatever the selection.
    """
    actions = healthy_actions(registry)
    names = tool_names((integration, action) for integration, action, _ in actions)
    tools: list[ToolSpec] = []
    skipped: list[str] = []
    for integration, action, definition in actions:
        if not is_selected(integration, action, include, exclude):
            continue
        record = registry.get(integration)
        unavailable = record.unavailable_reason("actions", action) if record else None
        if unavailable is not None:
            skipped.append(f"{integration}.{action}: unavailable: {unavailable}")
            continue
        input_schema = _input_schema(definition.get("input_schema"))
        if input_schema is None:
            skipped.append(f"{integration}.{action}: its input schema is not an object schema")
            continue
        output = definition.get("output_schema")
        description = definition.get("description") or definition.get("display_name") or ""
        tools.append(
            ToolSpec(
                name=names[(integration, action)],
                integration=integration,
                action=action,
                description=description or f"Action {action} of the {integration} integration",
                input_schema=input_schema,
                output_schema=dict(output) if _object_schema(output) else None,
            )
        )
    return tools, skipped


def tools_table(tools: Sequence[ToolSpec], width: int = 100) -> str:
    """``apiary mcp --list``: name, integration.action, description."""
    rows = [("TOOL", "ACTION", "DESCRIPTION")] + [(t.name, t.full_name, t.description) for t in tools]
    name_width = max(len(row[0]) for row in rows)
    action_width = max(len(row[1]) for row in rows)
    room = max(width - name_width - action_width - 4, 20)
    lines = []
    for name, full, description in rows:
        description = " ".join(description.split())
        if len(description) > room:
            description = description[: room - 1] + "…"
        lines.append(f"{name:<{name_width}}  {full:<{action_width}}  {description}".rstrip())
    return "\n".join(lines)
