"""Text rendering for the CLI: tables and pages for people (JSON is ``apiary._faces.encoding``)."""

from __future__ import annotations

import shutil
from collections.abc import Sequence
from typing import Any

from .._faces.encoding import to_json


def table(headers: Sequence[str], rows: Sequence[Sequence[str]], width: int = 0) -> str:
    """Left-aligned columns; the last column is cut to the terminal width."""
    width = width or shutil.get_terminal_size((120, 24)).columns
    widths = [max([len(h)] + [len(row[i]) for row in rows]) for i, h in enumerate(headers[:-1])]
    fixed = sum(widths) + 2 * len(widths)
    room = max(20, width - fixed)

    def line(cells: Sequence[str]) -> str:
        head = "".join(cell.ljust(w + 2) for cell, w in zip(cells, widths, strict=False))  # all but the last
        last = cells[-1] if len(cells[-1]) <= room else cells[-1][: room - 1] + "…"
        return (head + last).rstrip()

    return "\n".join([line(headers), *(line(row) for row in rows)])


def integrations_table(integrations: list[dict[str, Any]]) -> str:
    rows = []
    for item in integrations:
        version = item.get("version") or "?"
        if item["state"] == "broken":
            rows.append([item["id"], version, "-", "broken", item.get("reason") or ""])
            continue
        if not item["actions"]:
            rows.append([item["id"], version, "-", item["state"], item.get("description", "")])
        for action in item["actions"]:
            if action.get("unavailable"):
                rows.append([item["id"], version, action["name"], "unavailable", action["unavailable"]])
            else:
                rows.append([item["id"], version, action["name"], item["state"], action["description"]])
    if not rows:
        return "No integrations installed. Install one with pip (for example: pip install plugins/hackernews)."
    return table(["INTEGRATION", "VERSION", "ACTION", "STATE", "DESCRIPTION"], rows)


def integration_page(item: dict[str, Any]) -> str:
    lines = [
        f"{item['id']} {item.get('version') or ''} ({item['state']})".rstrip(),
        item.get("description") or "",
        f"source: {item['source']}",
    ]
    if item.get("distribution"):
        lines.append(f"distribution: {item['distribution']} {item.get('distribution_version') or ''}".rstrip())
    if item.get("reason"):
        lines.append(f"broken: {item['reason']}")
    auth = item.get("auth") or {}
    fields = ", ".join(f["name"] + ("" if f["required"] else "?") for f in auth.get("fields", []))
    lines.append(f"auth: {auth.get('type', 'none')}" + (f" (fields: {fields})" if fields else ""))
    for title, key in (("Actions", "actions"), ("Polling triggers", "triggers")):
        if not item.get(key):
            continue
        lines += ["", f"{title}:"]
        for entry in item[key]:
            interval = f" every {entry['polling_interval']}" if entry.get("polling_interval") else ""
            lines.append(f"  {entry['name']}{interval}: {entry['description']}")
            if entry.get("unavailable"):
                lines.append(f"    unavailable: {entry['unavailable']}")
            schema = to_json(entry.get("input_schema"), pretty=True)
            lines += ["    input: " + schema.replace("\n", "\n    ")]
    return "\n".join(lines)
