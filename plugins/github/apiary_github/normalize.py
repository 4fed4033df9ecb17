"""GitHub's JSON reduced to the stable shapes declared in config.json.

Each function takes one object as the REST API returns it and keeps the
fields an agent needs, flattened (``user`` is the login, ``labels`` the
names), with ``null`` where GitHub may omit a value.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any


def _login(value: Any) -> str | None:
    if isinstance(value, Mapping) and isinstance(value.get("login"), str):
        return value["login"]
    return None


def _text(value: Any) -> str | None:
    return value if isinstance(value, str) else None


def _int(value: Any, default: int = 0) -> int:
    return value if isinstance(value, int) and not isinstance(value, bool) else default


def _names(values: Any, key: str) -> list[str]:
    """Names from a list of objects (or bare strings, as labels may be)."""
    names = []
    for value in values if isinstance(values, list) else []:
        if isinstance(value, str):
            names.append(value)
        elif isinstance(value, Mapping) and isinstance(value.get(key), str):
            names.append(value[key])
    return names


def repository_of(repository_url: Any) -> str | None:
    """``owner/name`` from an API URL like ``https://api.github.com/repos/owner/name``."""
    if not isinstance(repository_url, str) or "/repos/" not in repository_url:
        return None
    parts = repository_url.split("/repos/", 1)[1].strip("/").split("/")
    return "/".join(parts[:2]) if len(parts) >= 2 else None


def issue(raw: Mapping[str, Any], *, with_body: bool = False) -> dict[str, Any]:
    """An issue (or a pull request seen through the issues API)."""
    milestone = raw.get("milestone")
    shaped: dict[str, Any] = {
        "id": _int(raw.get("id")),
        "number": _int(raw.get("number")),
        "title": _text(raw.get("title")) or "",
        "state": raw.get("state") if raw.get("state") in ("open", "closed") else "open",
        "state_reason": _text(raw.get("state_reason")),
        "locked": bool(raw.get("locked", False)),
        "user": _login(raw.get("user")),
        "labels": _names(raw.get("labels"), "name"),
        "assignees": _names(raw.get("assignees"), "login"),
        "milestone": _text(milestone.get("title")) if isinstance(milestone, Mapping) else None,
        "comments": _int(raw.get("comments")),
        "is_pull_request": isinstance(raw.get("pull_request"), Mapping),
        "repository": repository_of(raw.get("repository_url")),
        "html_url": _text(raw.get("html_url")) or "",
        "created_at": raw.get("created_at"),
        "updated_at": raw.get("updated_at"),
        "closed_at": _text(raw.get("closed_at")),
    }
    if with_body:
        shaped["body"] = _text(raw.get("body"))
    return shaped


def repository(raw: Mapping[str, Any]) -> dict[str, Any]:
    topics = raw.get("topics")
    return {
        "id": _int(raw.get("id")),
        "name": _text(raw.get("name")) or "",
        "full_name": _text(raw.get("full_name")) or "",
        "owner": _login(raw.get("owner")),
        "private": bool(raw.get("private", False)),
        "fork": bool(raw.get("fork", False)),
        "archived": bool(raw.get("archived", False)),
        "description": _text(raw.get("description")),
        "language": _text(raw.get("language")),
        "topics": [topic for topic in topics if isinstance(topic, str)] if isinstance(topics, list) else [],
        "default_branch": _text(raw.get("default_branch")),
        "stargazers_count": _int(raw.get("stargazers_count")),
        "forks_count": _int(raw.get("forks_count")),
        "open_issues_count": _int(raw.get("open_issues_count")),
        "html_url": _text(raw.get("html_url")) or "",
        "created_at": raw.get("created_at"),
        "updated_at": raw.get("updated_at"),
        "pushed_at": _text(raw.get("pushed_at")),
    }


def comment(raw: Mapping[str, Any], issue_number: int) -> dict[str, Any]:
    return {
        "id": _int(raw.get("id")),
        "issue_number": issue_number,
        "body": _text(raw.get("body")) or "",
        "user": _login(raw.get("user")),
        "html_url": _text(raw.get("html_url")) or "",
        "created_at": raw.get("created_at"),
        "updated_at": raw.get("updated_at"),
    }


def split_name(name: Any) -> tuple:
    """(first, last) from a display name: the first word, then the rest."""
    if not isinstance(name, str) or not name.strip():
        return None, None
    first, _, last = name.strip().partition(" ")
    return first, (last.strip() or None)
