"""top_stories, new_stories and best_stories through the host, against the fake HN."""

from __future__ import annotations

import pytest

import apiary_hackernews


def stories_of(result):
    assert result.type.value == "action", result.result
    return result.result.data["stories"]


async def test_top_stories_skips_dead_deleted_and_missing_items(host, hn, conforms):
    result = await host.call("hackernews", "top_stories", {"limit": 5})
    stories = stories_of(result)
    conforms("top_stories", result.result.data)
    # 40210002 is dead, 40209999 deleted, 40213555 unknown (null): skipped.
    assert [story["id"] for story in stories] == [40213401, 40211877, 40212950, 40208765, 40207000]
    first = stories[0]
    assert first == {
        "id": 40213401,
        "type": "story",
        "title": "Show HN: A job queue in 300 lines on top of SQLite",
        "url": "https://github.com/mrkurtz/litequeue",
        "by": "mrkurtz",
        "score": 412,
        "comment_count": 11,
        "time": "2024-05-01T14:03:12Z",
        "hn_url": "https://news.ycombinator.com/item?id=40213401",
    }
    ask, job, poll = stories[1], stories[2], stories[3]
    assert ask["url"] is None and ask["title"].startswith("Ask HN:")
    assert job["type"] == "job" and job["comment_count"] == 0
    assert poll["type"] == "poll" and poll["comment_count"] == 2
    # Fetched in rounds of what is still missing: 5, then 2, then 1; nothing more.
    assert hn.requests[0] == "/v0/topstories.json"
    assert sorted(hn.item_requests()) == sorted(
        [40213401, 40211877, 40212950, 40210002, 40209999, 40213555, 40208765, 40207000]
    )


async def test_top_stories_default_limit_and_short_list(host, hn, conforms):
    result = await host.call("hackernews", "top_stories", {})
    stories = stories_of(result)
    conforms("top_stories", result.result.data)
    # 12 ids, 3 of them not live: fewer than the default 10 exist.
    assert len(stories) == 9
    assert len(hn.item_requests()) == 12


async def test_new_stories_limit_100_fetches_exactly_100_items_bounded(host, hn, conforms):
    result = await host.call("hackernews", "new_stories", {"limit": 100})
    stories = stories_of(result)
    conforms("new_stories", result.result.data)
    assert len(stories) == 100
    assert [story["id"] for story in stories] == list(range(40214149, 40214049, -1))
    assert stories[0]["title"] == "Generated story number 149"
    assert hn.requests[0] == "/v0/newstories.json"
    assert len(hn.item_requests()) == 100
    assert hn.max_in_flight <= apiary_hackernews.MAX_PARALLEL


async def test_best_stories_default_limit(host, hn, conforms):
    result = await host.call("hackernews", "best_stories")
    stories = stories_of(result)
    conforms("best_stories", result.result.data)
    assert len(stories) == 10
    assert [story["id"] for story in stories[:3]] == [40207000, 40213401, 40206123]
    assert stories[2]["url"] == "https://www.example-news.com/science/tiny-forests"
    assert hn.requests[0] == "/v0/beststories.json"
    assert len(hn.item_requests()) == 10


@pytest.mark.parametrize("action", ["top_stories", "new_stories", "best_stories"])
async def test_limit_one(host, hn, action):
    stories = stories_of(await host.call("hackernews", action, {"limit": 1}))
    assert len(stories) == 1
    assert len(hn.item_requests()) == 1
