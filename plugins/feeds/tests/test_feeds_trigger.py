"""The ``new_items`` polling trigger, run through the host's loaded
integration and pool session (the host has no trigger API yet), against the
fake feed server. The SDK checks every record's data against the trigger's
output schema."""

from __future__ import annotations

import hashlib
from datetime import UTC, datetime

import pytest

from apiary.testing import origin_of
from autohive_integrations_sdk import ExecutionContext, HTTPError, ResultType, ValidationError


def at(hour: int, minute: int = 0) -> datetime:
    return datetime(2024, 5, 1, hour, minute, tzinfo=UTC)


def ids(records):
    return [record["id"] for record in records]


async def test_first_poll_returns_current_items_oldest_first(poll_feed, feeds_host):
    records = await poll_feed("/rss.xml", None)
    undated = "sha256:" + hashlib.sha256(
        b"https://news.example.com/archive/note\nUndated note from the archive & attic"
    ).hexdigest()
    swarm = (
        "sha256:" + hashlib.sha256(b"https://news.example.com/2023/12/swarm-preview\nSwarm season preview").hexdigest()
    )
    assert ids(records) == [undated, swarm, "https://news.example.com/2024/01/new-queen", "news-example-4711"]
    assert all(record["id"] == record["data"]["id"] for record in records)

    # The records are the very items fetch_feed returns.
    result = await feeds_host.call("feeds", "fetch_feed", {"url": "https://feeds.example.com/rss.xml"})
    assert result.type is ResultType.ACTION
    by_id = {item["id"]: item for item in result.result.data["items"]}
    assert {record["id"]: record["data"] for record in records} == by_id


async def test_first_poll_is_bounded_to_the_most_recent(poll_feed):
    records = await poll_feed("/many.xml", None)
    assert ids(records) == [f"many-{n:03d}" for n in reversed(range(20))]


async def test_ids_are_stable_across_polls(poll_feed, feeds):
    feeds.publish("live-1", "First post", at(9))
    feeds.publish(None, "A post without a guid", at(10), link="https://live.example.com/no-guid")
    feeds.publish(None, "Neither guid nor date", None, link="https://live.example.com/undated")
    feeds.live_updated = at(10)

    first = await poll_feed("/live.xml", None)
    second = await poll_feed("/live.xml", None)
    assert first == second
    assert len(set(ids(first))) == 3

    feeds.publish("live-4", "Fourth post", at(11))
    feeds.live_updated = at(11)
    third = await poll_feed("/live.xml", None)
    assert ids(third) == ids(first) + ["live-4"]
    assert third[: len(first)] == first  # same ids, same data


async def test_later_polls_return_only_newer_items(poll_feed, feeds):
    feeds.publish("a", "Ten o'clock", at(10))
    feeds.publish("b", "Eleven o'clock", at(11))
    feeds.publish("c", "Noon", at(12))
    feeds.live_updated = at(12)

    assert ids(await poll_feed("/live.xml", "2024-05-01T11:00:00Z")) == ["c"]  # strictly after
    assert ids(await poll_feed("/live.xml", "2024-05-01T09:59:59Z")) == ["a", "b", "c"]
    assert await poll_feed("/live.xml", "2024-05-01T12:00:00Z") == []

    feeds.publish("d", "One o'clock", at(13))
    feeds.live_updated = at(13)
    # The same moment, however it is written.
    for last_poll_ts in ("2024-05-01T12:30:00Z", "2024-05-01T14:30:00+02:00", "2024-05-01T12:30:00"):
        records = await poll_feed("/live.xml", last_poll_ts)
        assert ids(records) == ["d"]
        assert records[0]["data"]["title"] == "One o'clock"
        assert records[0]["data"]["published"] == "2024-05-01T13:00:00Z"
    assert await poll_feed("/live.xml", "2024-05-01T13:00:00Z") == []


async def test_a_poll_returns_at_most_200_items(poll_feed):
    records = await poll_feed("/many.xml", "2000-01-01T00:00:00Z")
    assert ids(records) == [f"many-{n:03d}" for n in reversed(range(200))]


async def test_undated_items_follow_the_feeds_own_date(poll_feed, feeds):
    feeds.publish("dated", "Dated", at(9))
    feeds.publish(None, "Undated", None, link="https://live.example.com/undated")
    undated = "sha256:" + hashlib.sha256(b"https://live.example.com/undated\nUndated").hexdigest()

    feeds.live_updated = at(12)
    assert ids(await poll_feed("/live.xml", "2024-05-01T11:00:00Z")) == [undated]
    assert await poll_feed("/live.xml", "2024-05-01T12:00:00Z") == []
    feeds.live_updated = None  # nothing says when the feed changed
    assert ids(await poll_feed("/live.xml", "2024-05-01T08:00:00Z")) == ["dated"]


async def test_an_item_counts_as_new_when_published_else_when_updated(poll_feed):
    # atom.xml: "waggle" published 2024-03-01T12:00Z (updated 03-02);
    # "winter" has no published date, updated 2024-02-20T13:00Z.
    waggle = "urn:uuid:1225c695-cfb8-4ebb-aaaa-80da344efa6a"
    winter = "tag:blog.example.org,2024:winter-cluster"
    assert ids(await poll_feed("/atom.xml", "2024-02-20T12:00:00Z")) == [winter, waggle]
    assert ids(await poll_feed("/atom.xml", "2024-02-25T00:00:00Z")) == [waggle]
    assert await poll_feed("/atom.xml", "2024-03-01T13:00:00Z") == []  # an update is not a new item


async def test_rss1_items_are_polled_by_dc_date(poll_feed):
    assert ids(await poll_feed("/rdf.xml", "2024-04-01T00:00:00Z")) == ["https://journal.example.net/papers/42"]


@pytest.mark.parametrize(
    ("inputs", "property_"),
    [
        ({}, "url"),
        ({"url": "ftp://feeds.example.com/rss.xml"}, "url"),
        ({"url": "https://feeds.example.com/rss.xml", "limit": 5}, None),
    ],
)
async def test_invalid_input_raises_validation_error(poll_feed, feeds, inputs, property_):
    with pytest.raises(ValidationError) as raised:
        await poll_feed("", None, inputs=inputs)
    assert raised.value.source == "input"
    assert raised.value.property == property_
    assert feeds.requests == []


async def test_invalid_last_poll_ts_raises_validation_error(poll_feed, feeds):
    with pytest.raises(ValidationError) as raised:
        await poll_feed("/rss.xml", "last tuesday")
    assert raised.value.property == "last_poll_ts"
    assert raised.value.source == "input"
    assert feeds.requests == []


@pytest.mark.parametrize("path", ["/page.html", "/garbage", "/empty"])
async def test_not_a_feed_raises(poll_feed, path):
    with pytest.raises(ValueError, match=r"^not an RSS or Atom feed: https://feeds\.example\.com/"):
        await poll_feed(path, None)


@pytest.mark.parametrize(("path", "status"), [("/missing", 404), ("/broken", 500)])
async def test_upstream_failure_raises_http_error(poll_feed, path, status):
    with pytest.raises(HTTPError) as raised:
        await poll_feed(path, None)
    assert raised.value.status == status


async def test_trigger_runs_on_a_plain_context_too(feed_server):
    """Outside any host: the SDK's own session, straight at the fake."""
    from apiary_feeds import integration

    url = origin_of(feed_server) + "/atom.xml"
    async with ExecutionContext() as context:
        records = await integration.execute_polling_trigger("new_items", {"url": url}, None, context)
    assert ids(records) == ["tag:blog.example.org,2024:winter-cluster", "urn:uuid:1225c695-cfb8-4ebb-aaaa-80da344efa6a"]
