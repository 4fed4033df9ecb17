"""Validation errors as a person reads them, once for every face.

The SDK's ``result["message"]`` keeps the reference's format (schema paths,
one error a line: integrations' tests match on it). Beside it the SDK lists
every error as ``{"property", "message"}`` (``errors``); a result without
that list (another SDK, a plugin's own result) is read from its message.
Each error then reads ``property 'limit': 'three' is not of type 'integer'``:
the CLI prints one such line per error, the HTTP face returns the list, the
MCP face tells the model all of them.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

__all__ = ["error_line", "validation_errors", "validation_lines", "with_errors"]

_SCHEMA_PATH = re.compile(r"^\[[^\]]*\],\s*")


def validation_errors(result: Mapping[str, Any]) -> list[dict[str, Any]]:
    """Every error of a ``validation_error`` result as ``{"property", "message"}``."""
    listed = result.get("errors")
    if isinstance(listed, list) and listed:
        return [
            {"property": item.get("property"), "message": str(item.get("message"))}
            for item in listed
            if isinstance(item, Mapping)
        ]
    raw = str(result.get("message") or "")
    details = [_SCHEMA_PATH.sub("", line.strip().rstrip(",")) for line in raw.split(",\n")]
    details = [detail for detail in details if detail] or ["does not match the schema"]
    # The reference's message names no property: only the first error's is known.
    first = result.get("property")
    return [{"property": first if index == 0 else None, "message": text} for index, text in enumerate(details)]


def error_line(error: Mapping[str, Any], whole: str = "the input") -> str:
    """One error in words: ``property 'limit': ...``, or ``<whole>: ...``
    when it is about the whole document."""
    prop = error.get("property")
    return f"{f'property {prop!r}' if prop else whole}: {error.get('message')}"


def validation_lines(result: Mapping[str, Any], whole: str | None = None) -> list[str]:
    """One readable line per error of a ``validation_error`` result."""
    where = whole or ("the output" if result.get("source") == "output" else "the input")
    return [error_line(error, where) for error in validation_errors(result)]


def with_errors(envelope: dict[str, Any]) -> dict[str, Any]:
    """A result envelope (``result_to_dict``) whose ``validation_error``
    result holds ``errors``, the list of every error (HTTP, the CLI's JSON)."""
    result = envelope.get("result")
    if envelope.get("type") == "validation_error" and isinstance(result, Mapping):
        return {**envelope, "result": {**result, "errors": validation_errors(result)}}
    return envelope
