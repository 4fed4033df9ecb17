"""Apiary's feed reader: RSS and Atom feeds, no auth.

Action ``fetch_feed`` reads a feed and returns it normalised; polling trigger
``new_items`` returns the items that appeared since the last poll. The
normalising itself lives in ``apiary_feeds.feed``.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from autohive_integrations_sdk import (
    ActionError,
    ActionHandler,
    ActionResult,
    ExecutionContext,
    Integration,
    PollingTriggerHandler,
    ValidationError,
)

from .feed import Feed, NotAFeed, parse_feed, parse_timestamp

__version__ = "1.0.0"

integration = Integration.load()

# What a first poll (no last_poll_ts) returns at most: the most recent items.
FIRST_POLL_LIMIT = 20
# What any poll returns at most: the most recent new items.
POLL_LIMIT = 200

_HEADERS = {
    "Accept": (
        "application/rss+xml, application/atom+xml, application/rdf+xml;q=0.9, "
        "application/xml;q=0.8, text/xml;q=0.8, */*;q=0.5"
    ),
    "User-Agent": f"apiary-feeds/{__version__}",
}


async def load_feed(url: str, context: ExecutionContext) -> Feed:
    """GET ``url`` through the context and parse it.

    An upstream failure propagates as the SDK's ``HTTPError`` (the host
    reports it as ``upstream_error``); a body that is no feed raises ``NotAFeed``.
    """
    response = await context.fetch(url, headers=dict(_HEADERS))
    content_type = next((value for key, value in response.headers.items() if key.lower() == "content-type"), "")
    return parse_feed(response.data, url, content_type)


@integration.action("fetch_feed")
class FetchFeed(ActionHandler):
    async def execute(self, inputs: dict[str, Any], context: ExecutionContext) -> Any:
        try:
            feed = await load_feed(inputs["url"], context)
        except NotAFeed as error:
            return ActionError(message=str(error))
        limit = inputs.get("limit", 20)
        return ActionResult(data={"feed": feed.info, "items": feed.items[:limit], "total_items": len(feed.items)})


def _since(last_poll_ts: Any) -> datetime | None:
    if last_poll_ts is None:
        return None
    try:
        return parse_timestamp(last_poll_ts)
    except (TypeError, ValueError, AttributeError):
        raise ValidationError(
            f"last_poll_ts {last_poll_ts!r} is not an ISO 8601 date-time",
            source="input",
            property="last_poll_ts",
            value=last_poll_ts,
        ) from None


def _sort_key(moment: datetime | None) -> float:
    return moment.timestamp() if moment is not None else float("-inf")


def select_new(feed: Feed, since: datetime | None) -> list[dict[str, Any]]:
    """The items ``new_items`` reports, oldest first.

    First poll (``since`` is ``None``): the ``FIRST_POLL_LIMIT`` most recent
    items. Later polls: items published (else updated) after ``since``;
    items without any date when the feed itself says it changed after
    ``since``. At most ``POLL_LIMIT``, the most recent.
    """
    positions = range(len(feed.items))
    if since is None:
        chosen = list(positions)
        limit = FIRST_POLL_LIMIT
    else:
        feed_changed = feed.updated_at is not None and feed.updated_at > since
        chosen = [
            index
            for index in positions
            if (feed.timestamps[index] > since if feed.timestamps[index] is not None else feed_changed)
        ]
        limit = POLL_LIMIT
    # Most recent first: dated items by date, then undated ones in document
    # order (feeds list newest first). sorted() is stable, also in reverse.
    newest_first = sorted(
        chosen,
        key=lambda index: _sort_key(feed.timestamps[index]),
        reverse=True,
    )
    kept = newest_first[:limit]
    return [{"id": feed.items[index]["id"], "data": feed.items[index]} for index in reversed(kept)]


@integration.polling_trigger("new_items")
class NewItems(PollingTriggerHandler):
    async def poll(
        self, inputs: dict[str, Any], last_poll_ts: str | None, context: ExecutionContext
    ) -> list[dict[str, Any]]:
        since = _since(last_poll_ts)
        feed = await load_feed(inputs["url"], context)
        return select_new(feed, since)
