"""The OpenAPI 3.1 document of a host: one operation per installed action.

Built from the same ``Host.describe`` data as every face. Each action's
input and output schemas become components (their internal ``#/...``
references rewritten to point inside the component), the request body wraps
the input schema, and the responses list the result envelope for success
and every error shape with the status it comes with (see ``status``).
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

_ERROR_RESULT = {
    "type": "object",
    "required": ["error", "message"],
    "properties": {"error": {"type": "string"}, "message": {"type": "string"}},
}
_VALIDATION_RESULT = {
    "type": "object",
    "required": ["message", "property", "value", "source", "errors"],
    "properties": {
        "message": {"type": "string"},
        "property": {"type": ["string", "null"]},
        "value": {},
        "source": {"type": "string", "enum": ["input", "output", "legacy"]},
        "errors": {
            "type": "array",
            "description": "Every schema error: the property it is about and jsonschema's message",
            "items": {
                "type": "object",
                "required": ["property", "message"],
                "properties": {"property": {"type": ["string", "null"]}, "message": {"type": "string"}},
            },
        },
    },
}
_ACTION_ERROR_RESULT = {
    "type": "object",
    "required": ["message"],
    "properties": {"message": {"type": "string"}, "cost_usd": {"type": ["number", "null"]}},
}


def _envelope(kind: Any, result: Mapping[str, Any]) -> dict[str, Any]:
    kind_schema = {"const": kind} if isinstance(kind, str) else {"enum": kind}
    return {
        "type": "object",
        "required": ["version", "type", "result"],
        "properties": {"version": {"type": "string"}, "type": kind_schema, "result": result},
    }


def _json(schema: Mapping[str, Any], description: str) -> dict[str, Any]:
    return {"description": description, "content": {"application/json": {"schema": schema}}}


_ERRORS = {
    "400": _json(_envelope("error", _ERROR_RESULT), "Malformed HTTP or JSON, or a body of the wrong shape"),
    "401": _json(_envelope("error", _ERROR_RESULT), "Missing or wrong bearer token"),
    "403": _json(
        _envelope("error", _ERROR_RESULT), "No token is configured and the client is not on the server's machine"
    ),
    "404": _json(_envelope("error", _ERROR_RESULT), "Unknown integration or action"),
    "413": _json(_envelope("error", _ERROR_RESULT), "Request body over the configured limit"),
    "500": _json(
        _envelope("error", _ERROR_RESULT), "The integration's handler raised (type and message, no traceback)"
    ),
    "501": _json(_envelope("error", _ERROR_RESULT), "The action is declared but has no handler (unavailable)"),
    "503": _json(
        _envelope("error", _ERROR_RESULT),
        "The integration is broken, or the server is not ready, shutting down (a call cut at the end of the grace "
        "period included) or has every connection busy",
    ),
    "504": _json(_envelope("error", _ERROR_RESULT), "The action did not finish within its timeout"),
}


def _rewrite_refs(schema: Any, base: str) -> Any:
    """Point ``#/...`` references of a schema embedded at ``base`` inside it."""
    if isinstance(schema, dict):
        out = {}
        for key, value in schema.items():
            if key == "$ref" and isinstance(value, str) and value.startswith("#"):
                out[key] = base + value[1:]
            elif key != "$schema":
                out[key] = _rewrite_refs(value, base)
        return out
    if isinstance(schema, list):
        return [_rewrite_refs(item, base) for item in schema]
    return schema


def _component_name(*parts: str) -> str:
    return "__".join(re.sub(r"[^A-Za-z0-9_.-]", "_", part) for part in parts)


def _action_operation(
    integration: Mapping[str, Any], action: Mapping[str, Any], components: dict[str, Any]
) -> dict[str, Any]:
    name = _component_name(integration["id"], action["name"])
    input_schema = action.get("input_schema") or {"type": "object"}
    output_schema = action.get("output_schema") or {}
    components[f"{name}__input"] = _rewrite_refs(input_schema, f"#/components/schemas/{name}__input")
    components[f"{name}__output"] = _rewrite_refs(output_schema, f"#/components/schemas/{name}__output")
    body = {
        "type": "object",
        "additionalProperties": False,
        "properties": {
            "inputs": {"$ref": f"#/components/schemas/{name}__input"},
            "auth": {"type": "object", "description": "Credentials to use instead of the configured ones"},
            "account": {"type": "string", "description": "A named account from the host config"},
        },
    }
    success = {
        "type": "object",
        "required": ["data"],
        "properties": {
            "data": {"$ref": f"#/components/schemas/{name}__output"},
            "cost_usd": {"type": ["number", "null"]},
        },
    }
    return {
        "operationId": name,
        "summary": (action.get("description") or "").split("\n")[0][:120],
        "description": action.get("description") or "",
        "tags": [integration["id"]],
        "requestBody": {"required": False, "content": {"application/json": {"schema": body}}},
        "responses": {
            "200": _json(_envelope("action", success), "The action's result"),
            "422": _json(_envelope("validation_error", _VALIDATION_RESULT), "Inputs or auth failed their schema"),
            "424": _json(
                _envelope(["action_error", "error"], {"type": "object"}),
                "The action reported a failure, or credentials are missing",
            ),
            "502": _json(
                _envelope(["error", "validation_error"], {"type": "object"}),
                "The upstream API failed, or the integration's output broke its schema",
            ),
            **_ERRORS,
        },
    }


def _catalog_operations() -> dict[str, Any]:
    listing = {"type": "array", "items": {"type": "object", "required": ["id", "state", "actions"]}}
    return {
        "/integrations": {"get": {"operationId": "list_integrations", "summary": "Every installed integration",
                                   "responses": {"200": _json(listing, "Integrations with state and actions"),
                                                 "401": _ERRORS["401"]}}},
        "/integrations/{id}": {"get": {
            "operationId": "describe_integration", "summary": "One integration with its schemas",
            "parameters": [{"name": "id", "in": "path", "required": True, "schema": {"type": "string"}}],
            "responses": {"200": _json({"type": "object", "required": ["id", "actions"]}, "The integration"),
                          "401": _ERRORS["401"], "404": _ERRORS["404"]}}},
        "/integrations/{id}/account": {"post": {
            "operationId": "connected_account", "summary": "Whose account the credentials belong to",
            "parameters": [{"name": "id", "in": "path", "required": True, "schema": {"type": "string"}}],
            "requestBody": {"required": False, "content": {"application/json": {"schema": {
                "type": "object", "additionalProperties": False,
                "properties": {"auth": {"type": "object"}, "account": {"type": "string"}}}}}},
            "responses": {
                "200": _json(_envelope("connected_account", {"type": "object"}), "The account's details"),
                "422": _json(_envelope("validation_error", _VALIDATION_RESULT), "Auth failed its schema"),
                "424": _json(_envelope("error", _ERROR_RESULT), "Credentials are missing"),
                "502": _json(_envelope(["error", "validation_error"], {"type": "object"}), "The upstream API failed"),
                **_ERRORS,
            }}},
        "/healthz": {"get": {"operationId": "healthz", "summary": "The process is up", "security": [],
                              "responses": {"200": _json({"type": "object"}, "Up")}}},
        "/readyz": {"get": {"operationId": "readyz", "summary": "Ready to serve calls", "security": [],
                             "responses": {"200": _json({"type": "object"}, "Ready"), "503": _ERRORS["503"]}}},
    }


def openapi_document(integrations: list[Mapping[str, Any]], version: str, secured: bool = True) -> dict[str, Any]:
    """The document for ``integrations`` (``Host.describe`` data); ``secured``
    when the server requires a bearer token."""
    paths = _catalog_operations()
    components: dict[str, Any] = {}
    for integration in integrations:
        if integration.get("state") == "broken":
            continue
        for action in integration.get("actions", []):
            path = f"/integrations/{integration['id']}/actions/{action['name']}"
            paths[path] = {"post": _action_operation(integration, action, components)}
    return {
        "openapi": "3.1.0",
        "info": {"title": "Apiary", "version": version, "description": "Every installed integration's actions"},
        "paths": paths,
        "components": {
            "schemas": components,
            **({"securitySchemes": {"bearer": {"type": "http", "scheme": "bearer"}}} if secured else {}),
        },
        **({"security": [{"bearer": []}]} if secured else {}),
    }
