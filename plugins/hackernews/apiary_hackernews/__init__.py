"""Hacker News integration: stories, items with their comment trees, users.

Reads the public Firebase API at https://hacker-news.firebaseio.com/v0 (no
auth). Every request goes through ``context.fetch``, so under Apiary it uses
the host's shared pool, and the host's upstream override can point it at a
local fake.

HN answers ``null`` with 200 for an id or user that does not exist; that
becomes an ``ActionError`` ("... not found"). Upstream HTTP errors are not
caught here: ``HTTPError``/``RateLimitError`` reach the host, which reports
them as ``upstream_error`` results with the status (and ``retry_after``).
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Sequence
from datetime import UTC, datetime
from html import unescape
from html.parser import HTMLParser
from typing import Any

from autohive_integrations_sdk import ActionError, ActionHandler, ActionResult, Integration

integration = Integration.load()

API_BASE = "https://hacker-news.firebaseio.com/v0"
SITE = "https://news.ycombinator.com"

# Most item requests one call has in flight at once (the host's pool caps
# connections per upstream host too; this keeps a standalone run polite).
MAX_PARALLEL = 20

STORY_TYPES = frozenset({"story", "job", "poll"})
ITEM_TYPES = frozenset({"story", "comment", "job", "poll", "pollopt"})


class UnexpectedResponse(Exception):
    """HN answered 2xx with something that is not the JSON we asked for."""


# ---- fetching --------------------------------------------------------------


async def _get(context: Any, path: str) -> Any:
    """The decoded JSON of ``{API_BASE}/{path}`` (``None`` for HN's ``null``)."""
    response = await context.fetch(f"{API_BASE}/{path}")
    return response.data


async def _get_item(context: Any, item_id: int) -> dict[str, Any] | None:
    """One item, or ``None`` when HN has none by that id."""
    data = await _get(context, f"item/{item_id}.json")
    if data is None:
        return None
    if not isinstance(data, dict):
        raise UnexpectedResponse(f"item/{item_id}.json answered {type(data).__name__}, not an object")
    return data


async def _gather_bounded(calls: Sequence[Callable[[], Awaitable[Any]]], limit: int = MAX_PARALLEL) -> list[Any]:
    """Run ``calls`` concurrently, at most ``limit`` at a time, results in order.

    Every call finishes (or is cancelled with us) before this returns, so no
    request outlives the action; then the first failure, if any, is raised.
    """
    semaphore = asyncio.Semaphore(limit)

    async def run(call: Callable[[], Awaitable[Any]]) -> Any:
        async with semaphore:
            return await call()

    results = await asyncio.gather(*(run(call) for call in calls), return_exceptions=True)
    for result in results:
        if isinstance(result, BaseException):
            raise result
    return results


async def _first_live(
    context: Any,
    ids: Sequence[int],
    wanted: int,
    keep: Callable[[dict[str, Any] | None], bool],
) -> tuple[list[tuple[int, dict[str, Any]]], int]:
    """The first ``wanted`` items among ``ids`` that ``keep`` accepts.

    Fetched in rounds of exactly as many as are still missing, so nothing is
    fetched beyond ``wanted`` unless an item had to be skipped. Returns
    ``(index in ids, item)`` pairs in order, and how many ids were consumed.
    """
    found: list[tuple[int, dict[str, Any]]] = []
    position = 0
    while len(found) < wanted and position < len(ids):
        batch = ids[position : position + wanted - len(found)]
        items = await _gather_bounded([lambda item_id=item_id: _get_item(context, item_id) for item_id in batch])
        for offset, item in enumerate(items):
            if keep(item):
                found.append((position + offset, item))
        position += len(batch)
    return found, position


# ---- normalising -------------------------------------------------------------


def _is_live(item: dict[str, Any] | None) -> bool:
    return isinstance(item, dict) and not item.get("deleted") and not item.get("dead")


def _int(value: Any) -> int | None:
    return value if isinstance(value, int) and not isinstance(value, bool) else None


def _iso_time(value: Any) -> str | None:
    """HN's Unix seconds as ``2024-05-01T14:03:12Z``."""
    if not isinstance(value, (int, float)) or isinstance(value, bool):
        return None
    try:
        return datetime.fromtimestamp(value, tz=UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    except (OverflowError, OSError, ValueError):
        return None


def _str(value: Any) -> str | None:
    return value if isinstance(value, str) and value else None


def _kids(item: dict[str, Any]) -> list[int]:
    kids = item.get("kids")
    return [kid for kid in kids if _int(kid) is not None and kid > 0] if isinstance(kids, list) else []


def item_url(item_id: int) -> str:
    return f"{SITE}/item?id={item_id}"


class _TextExtractor(HTMLParser):
    """HN's comment HTML to plain text.

    HN uses ``<p>`` between paragraphs (never closed), ``<a href>`` whose
    text is the URL cut short with "...", ``<i>``, ``<pre><code>`` and
    entities. Paragraphs become blank lines, a link becomes its full URL
    (or ``text (URL)`` when its text is not the URL), other tags vanish.
    """

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []
        self._href: str | None = None
        self._link_text: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag == "p":
            self.parts.append("\n\n")
        elif tag == "br":
            self.parts.append("\n")
        elif tag == "a":
            self._href = dict(attrs).get("href") or ""
            self._link_text = []

    def handle_endtag(self, tag: str) -> None:
        if tag == "a" and self._href is not None:
            text, href = "".join(self._link_text).strip(), self._href
            if not href or text == href:
                self.parts.append(text or href)
            elif not text or (text.endswith("...") and href.startswith(text[:-3])):
                self.parts.append(href)
            else:
                self.parts.append(f"{text} ({href})")
            self._href = None

    def handle_data(self, data: str) -> None:
        (self._link_text if self._href is not None else self.parts).append(data)

    def text(self) -> str:
        if self._href is not None:  # an unclosed <a>
            self.handle_endtag("a")
        lines = "".join(self.parts).split("\n")
        return "\n".join(line.rstrip() for line in lines).strip("\n")


def html_to_text(html: str) -> str:
    """Plain text of an HN HTML fragment (see ``_TextExtractor``)."""
    if "<" not in html:
        return unescape(html).strip()
    parser = _TextExtractor()
    parser.feed(html)
    parser.close()
    return parser.text()


def _text(value: Any, text_format: str) -> str | None:
    value = _str(value)
    if value is None or text_format == "html":
        return value
    return html_to_text(value) or None


def _story(item: dict[str, Any]) -> dict[str, Any]:
    item_id = item["id"]
    return {
        "id": item_id,
        "type": item["type"],
        "title": _str(item.get("title")) or "",
        "url": _str(item.get("url")),
        "by": _str(item.get("by")),
        "score": _int(item.get("score")) or 0,
        "comment_count": max(_int(item.get("descendants")) or 0, 0),
        "time": _iso_time(item.get("time")),
        "hn_url": item_url(item_id),
    }


def _comment(item: dict[str, Any], text_format: str) -> dict[str, Any]:
    return {
        "id": item["id"],
        "by": _str(item.get("by")),
        "time": _iso_time(item.get("time")),
        "text": _text(item.get("text"), text_format),
        "parent": item["parent"],
        "reply_count": len(_kids(item)),
        "hn_url": item_url(item["id"]),
        "comments": [],
    }


def _item(item: dict[str, Any], text_format: str) -> dict[str, Any]:
    kind = item["type"]
    parts = item.get("parts")
    descendants = _int(item.get("descendants"))
    return {
        "id": item["id"],
        "type": kind,
        "by": _str(item.get("by")),
        "time": _iso_time(item.get("time")),
        "title": _str(item.get("title")),
        "url": _str(item.get("url")),
        "text": _text(item.get("text"), text_format),
        "score": _int(item.get("score")) if kind != "comment" else None,
        "parent": _int(item.get("parent")),
        "poll": _int(item.get("poll")),
        "parts": [part for part in parts if _int(part) and part > 0] if isinstance(parts, list) else [],
        "comment_count": max(descendants or 0, 0) if kind in ("story", "poll") else None,
        "reply_count": len(_kids(item)),
        "hn_url": item_url(item["id"]),
        "comments": [],
        "comments_returned": 0,
        "comments_truncated": False,
    }


def _is_live_comment(item: dict[str, Any] | None) -> bool:
    return _is_live(item) and item.get("type") == "comment" and _int(item.get("id")) is not None and _int(
        item.get("parent")
    ) is not None


def _is_live_story(item: dict[str, Any] | None) -> bool:
    return _is_live(item) and item.get("type") in STORY_TYPES and _int(item.get("id")) is not None


# ---- actions -----------------------------------------------------------------


class _StoryList(ActionHandler):
    """A ranked story list: ``{feed}stories.json`` ids, then their items."""

    feed = ""

    async def execute(self, inputs: dict[str, Any], context: Any) -> Any:
        limit = int(inputs.get("limit", 10))
        path = f"{self.feed}stories.json"
        ids = await _get(context, path)
        if not isinstance(ids, list):
            return ActionError(message=f"Hacker News answered {path} with {type(ids).__name__}, not a list of ids")
        ids = [item_id for item_id in ids if _int(item_id) is not None and item_id > 0]
        try:
            found, _ = await _first_live(context, ids, limit, _is_live_story)
        except UnexpectedResponse as error:
            return ActionError(message=f"Hacker News answered unexpectedly: {error}")
        return ActionResult(data={"stories": [_story(item) for _, item in found]})


@integration.action("top_stories")
class TopStories(_StoryList):
    feed = "top"


@integration.action("new_stories")
class NewStories(_StoryList):
    feed = "new"


@integration.action("best_stories")
class BestStories(_StoryList):
    feed = "best"


async def comment_tree(
    context: Any,
    root: dict[str, Any],
    root_kids: list[int],
    max_depth: int,
    max_comments: int,
    text_format: str,
) -> tuple[int, bool]:
    """Fill ``root["comments"]`` breadth-first; return (comments, truncated).

    Level by level: the candidates of a level are the kids of the comments
    kept at the level above, in HN's order; they are fetched concurrently
    (bounded) until ``max_comments`` live comments are kept in all. Deleted,
    dead and missing comments are skipped with their replies. ``truncated``
    is True when a level or a candidate was left unread.
    """
    frontier: list[tuple[dict[str, Any], list[int]]] = [(root, root_kids)]
    returned, truncated = 0, False
    for _depth in range(max_depth):
        candidates = [(parent, kid) for parent, kids in frontier for kid in kids]
        if not candidates:
            return returned, truncated
        if returned >= max_comments:
            return returned, True
        found, consumed = await _first_live(
            context, [kid for _, kid in candidates], max_comments - returned, _is_live_comment
        )
        truncated = truncated or consumed < len(candidates)
        frontier = []
        for index, item in found:
            node = _comment(item, text_format)
            candidates[index][0]["comments"].append(node)
            frontier.append((node, _kids(item)))
        returned += len(found)
    # max_depth reached: replies below the last level were not read.
    return returned, truncated or any(kids for _, kids in frontier)


@integration.action("get_item")
class GetItem(ActionHandler):
    async def execute(self, inputs: dict[str, Any], context: Any) -> Any:
        item_id = int(inputs["id"])
        max_depth = int(inputs.get("max_depth", 2))
        max_comments = int(inputs.get("max_comments", 50))
        text_format = inputs.get("text_format", "text")
        try:
            item = await _get_item(context, item_id)
            if item is None:
                return ActionError(message=f"Hacker News item {item_id} not found")
            if item.get("deleted"):
                return ActionError(message=f"Hacker News item {item_id} was deleted")
            if item.get("dead"):
                return ActionError(message=f"Hacker News item {item_id} is dead (flagged or killed)")
            if item.get("type") not in ITEM_TYPES or _int(item.get("id")) != item_id:
                return ActionError(
                    message=f"Hacker News answered item {item_id} with an unknown item ({item.get('type')!r})"
                )
            result = _item(item, text_format)
            returned, truncated = await comment_tree(
                context, result, _kids(item), max_depth, max_comments, text_format
            )
        except UnexpectedResponse as error:
            return ActionError(message=f"Hacker News answered unexpectedly: {error}")
        result["comments_returned"] = returned
        result["comments_truncated"] = truncated
        return ActionResult(data=result)


@integration.action("get_user")
class GetUser(ActionHandler):
    async def execute(self, inputs: dict[str, Any], context: Any) -> Any:
        username = inputs["username"]
        max_submissions = int(inputs.get("max_submissions", 10))
        text_format = inputs.get("text_format", "text")
        user = await _get(context, f"user/{username}.json")
        if user is None:
            return ActionError(message=f"Hacker News user {username!r} not found")
        if not isinstance(user, dict) or not isinstance(user.get("id"), str):
            return ActionError(message=f"Hacker News answered user/{username}.json unexpectedly")
        submitted = user.get("submitted")
        submitted = [item for item in submitted if _int(item) and item > 0] if isinstance(submitted, list) else []
        return ActionResult(
            data={
                "id": user["id"],
                "created": _iso_time(user.get("created")),
                "karma": _int(user.get("karma")) or 0,
                "about": _text(user.get("about"), text_format),
                "submitted_count": len(submitted),
                "recent_submissions": submitted[:max_submissions],
                "hn_url": f"{SITE}/user?id={user['id']}",
            }
        )
