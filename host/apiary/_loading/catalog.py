"""What is installed, as plain data: the rows of ``apiary list``, the page of
``apiary show``, ``GET /integrations`` and the MCP tool list.

Built from each record's config.json alone, so it imports nothing. Each
action and trigger row carries ``unavailable``: why it cannot run (declared
without a handler), known once the integration is loaded; else ``None``.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from .registry import IntegrationRecord


def _auth_kind(config: Mapping[str, Any]) -> dict[str, Any]:
    auth = config.get("auth")
    if not isinstance(auth, Mapping) or not auth:
        return {"type": "none", "fields": []}
    fields = auth.get("fields")
    properties = fields.get("properties", {}) if isinstance(fields, Mapping) else {}
    required = fields.get("required", []) if isinstance(fields, Mapping) else []
    return {
        "type": auth.get("type") or auth.get("auth_type") or "custom",
        "fields": [{"name": name, "required": name in required} for name in properties],
    }


def _describe(definition: Any) -> str:
    return definition.get("description", "") if isinstance(definition, Mapping) else ""


def summarize_record(record: IntegrationRecord) -> dict[str, Any]:
    """One integration in brief: identity, state and action names."""
    config = record.config or {}
    found = record.found
    return {
        "id": record.id,
        "name": config.get("display_name") or config.get("name") or record.id,
        "version": config.get("version"),
        "description": config.get("description", ""),
        "distribution": found.distribution,
        "distribution_version": found.distribution_version,
        "source": found.source,
        "state": record.state.value,
        "reason": record.reason,
        "actions": [
            {
                "name": name,
                "description": _describe(definition),
                "unavailable": record.unavailable_reason("actions", name),
            }
            for name, definition in record.declared("actions").items()
        ],
        "triggers": [
            {
                "name": name,
                "description": _describe(definition),
                "unavailable": record.unavailable_reason("polling_triggers", name),
            }
            for name, definition in record.declared("polling_triggers").items()
        ],
    }


def describe_record(record: IntegrationRecord) -> dict[str, Any]:
    """One integration in full: every action's schemas, triggers, auth."""
    summary = summarize_record(record)
    config = record.config or {}

    def detail(section: str, extra: list[str]) -> list[dict[str, Any]]:
        rows = []
        for name, definition in record.declared(section).items():
            definition = definition if isinstance(definition, Mapping) else {}
            row = {
                "name": name,
                "description": _describe(definition),
                "input_schema": definition.get("input_schema"),
                "output_schema": definition.get("output_schema"),
                "unavailable": record.unavailable_reason(section, name),
            }
            row.update({key: definition.get(key) for key in extra})
            rows.append(row)
        return rows

    summary["actions"] = detail("actions", [])
    summary["triggers"] = detail("polling_triggers", ["polling_interval"])
    summary["auth"] = _auth_kind(config)
    summary["config_path"] = str(record.found.config_path) if record.found.config_path else None
    return summary
