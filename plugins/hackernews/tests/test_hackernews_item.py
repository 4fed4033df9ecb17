"""get_item through the host: the item, its comment tree and its bounds."""

from __future__ import annotations

import pytest

import apiary_hackernews

STORY = 40213401


def ids(comments):
    return [comment["id"] for comment in comments]


def tree(comments):
    """The tree as {id: subtree}, to compare shapes at a glance."""
    return {comment["id"]: tree(comment["comments"]) for comment in comments}


async def get_item(host, **inputs):
    result = await host.call("hackernews", "get_item", inputs)
    assert result.type.value == "action", result.result
    return result.result.data


async def test_story_with_default_bounds(host, hn, conforms):
    item = await get_item(host, id=STORY)
    conforms("get_item", item)
    assert {key: item[key] for key in ("id", "type", "by", "time", "title", "url", "score", "comment_count")} == {
        "id": STORY,
        "type": "story",
        "by": "mrkurtz",
        "time": "2024-05-01T14:03:12Z",
        "title": "Show HN: A job queue in 300 lines on top of SQLite",
        "url": "https://github.com/mrkurtz/litequeue",
        "score": 412,
        "comment_count": 11,
    }
    assert item["text"] is None and item["parent"] is None and item["poll"] is None and item["parts"] == []
    assert item["reply_count"] == 6
    assert item["hn_url"] == "https://news.ycombinator.com/item?id=40213401"
    # Depth 2: deleted 40213520 (with its reply) and dead 40213530 and 40213650 left out.
    assert tree(item["comments"]) == {
        40213500: {40213620: {}, 40213640: {}},
        40213510: {},
        40213540: {},
        40213550: {},
    }
    assert item["comments_returned"] == 6
    assert item["comments_truncated"] is True  # 40213620 has replies below depth 2
    first = item["comments"][0]
    assert first["by"] == "tptacek_fan" and first["parent"] == STORY and first["reply_count"] == 2
    assert first["text"] == (
        "How do you deal with two workers claiming the same job? I'd expect BEGIN IMMEDIATE to be needed here."
    )
    assert first["time"] == "2024-05-01T14:16:50Z"
    assert first["hn_url"] == "https://news.ycombinator.com/item?id=40213500"
    assert first["comments"][0]["reply_count"] == 1 and first["comments"][0]["comments"] == []
    assert item["comments"][1]["reply_count"] == 1  # its only reply is dead
    assert 40213660 not in hn.item_requests() and 40213700 not in hn.item_requests()


async def test_full_depth_reads_the_whole_live_tree(host, conforms):
    item = await get_item(host, id=STORY, max_depth=5, max_comments=200)
    conforms("get_item", item)
    assert tree(item["comments"]) == {
        40213500: {40213620: {40213700: {40213800: {}}}, 40213640: {}},
        40213510: {},
        40213540: {},
        40213550: {},
    }
    assert item["comments_returned"] == 8
    assert item["comments_truncated"] is False


async def test_depth_one_gives_direct_replies_only(host, hn):
    item = await get_item(host, id=STORY, max_depth=1)
    assert tree(item["comments"]) == {40213500: {}, 40213510: {}, 40213540: {}, 40213550: {}}
    assert item["comments_truncated"] is True
    assert sorted(hn.item_requests()) == [STORY, *range(40213500, 40213551, 10)]


async def test_depth_zero_fetches_no_comments(host, hn):
    item = await get_item(host, id=STORY, max_depth=0)
    assert item["comments"] == [] and item["comments_returned"] == 0
    assert item["comments_truncated"] is True
    assert hn.item_requests() == [STORY]


async def test_count_bound_stops_fetching(host, hn, conforms):
    item = await get_item(host, id=STORY, max_depth=5, max_comments=3)
    conforms("get_item", item)
    # Breadth-first: the first three live direct replies, nothing deeper.
    assert tree(item["comments"]) == {40213500: {}, 40213510: {}, 40213540: {}}
    assert item["comments_returned"] == 3 and item["comments_truncated"] is True
    # Rounds of what is missing: 3 (one deleted), 1 (dead), 1; 40213550 never fetched.
    assert sorted(hn.item_requests()) == [STORY, 40213500, 40213510, 40213520, 40213530, 40213540]


async def test_count_bound_across_levels(host, hn):
    item = await get_item(host, id=STORY, max_depth=5, max_comments=5)
    assert tree(item["comments"]) == {40213500: {40213620: {}}, 40213510: {}, 40213540: {}, 40213550: {}}
    assert item["comments_returned"] == 5 and item["comments_truncated"] is True
    assert 40213640 not in hn.item_requests() and 40213700 not in hn.item_requests()
    assert len(hn.item_requests()) == 1 + 6 + 1


async def test_comment_html_as_text_and_as_html(host):
    text_item = await get_item(host, id=40213550, max_depth=0)
    assert text_item["type"] == "comment" and text_item["parent"] == STORY
    assert text_item["score"] is None and text_item["title"] is None and text_item["comment_count"] is None
    assert text_item["text"] == (
        "Two nits:\n\n1. fsync per job is slow & avoidable.\n\n"
        "2. See this write-up (https://example.org/queues) on visibility timeouts.\n\n"
        "  PRAGMA journal_mode=WAL;"
    )
    html_item = await get_item(host, id=40213550, max_depth=0, text_format="html")
    assert html_item["text"].startswith("Two nits:<p>1. <code>fsync</code> per job is slow &amp; avoidable.")
    # A link HN shortened with "..." becomes its full URL.
    link = await get_item(host, id=40213640)
    assert link["text"] == (
        "SQLite docs cover this: "
        "https://www.sqlite.org/lang_transaction.html#deferred_immediate_and_exclusive_transactions"
    )


async def test_comment_as_root_with_its_replies(host, conforms):
    item = await get_item(host, id=40213620, max_depth=5)
    conforms("get_item", item)
    assert item["type"] == "comment" and item["parent"] == 40213500
    assert item["text"] == (
        "Exactly that: the claim is an UPDATE ... RETURNING inside an immediate transaction.\n\n"
        "The busy timeout does the rest."
    )
    assert tree(item["comments"]) == {40213700: {40213800: {}}}
    assert item["comments_truncated"] is False


async def test_ask_hn_text_post(host, conforms):
    item = await get_item(host, id=40211877)
    conforms("get_item", item)
    assert item["url"] is None
    assert item["text"] == (
        "I have been a backend engineer for 8 years and I am burnt out.\n\nWhat did you do when you hit this point?"
    )
    assert ids(item["comments"]) == [40212001] and item["comments_truncated"] is False


async def test_poll_and_poll_option(host, conforms):
    poll = await get_item(host, id=40208765)
    conforms("get_item", poll)
    assert poll["type"] == "poll" and poll["parts"] == [40208766, 40208767, 40208768]
    assert ids(poll["comments"]) == [40208900]
    option = await get_item(host, id=40208768)
    conforms("get_item", option)
    assert option["type"] == "pollopt" and option["poll"] == 40208765 and option["score"] == 12
    assert option["text"] == "Postgres & SKIP LOCKED"


async def test_job_without_comments(host, conforms):
    job = await get_item(host, id=40212950)
    conforms("get_item", job)
    assert job["type"] == "job" and job["comments"] == [] and job["comments_truncated"] is False
    assert job["comment_count"] is None and job["reply_count"] == 0


async def test_unknown_item_is_an_action_error(host):
    result = await host.call("hackernews", "get_item", {"id": 99999999999})
    assert result.type.value == "action_error"
    assert result.result.message == "Hacker News item 99999999999 not found"


@pytest.mark.parametrize(("item_id", "why"), [(40209999, "was deleted"), (40210002, "is dead")])
async def test_deleted_or_dead_item_is_an_action_error(host, item_id, why):
    result = await host.call("hackernews", "get_item", {"id": item_id})
    assert result.type.value == "action_error"
    assert why in result.result.message


def test_html_to_text_edge_cases():
    convert = apiary_hackernews.html_to_text
    assert convert("plain &gt; text") == "plain > text"
    assert convert('<a href="https://x.example/a">https://x.example/a</a>') == "https://x.example/a"
    assert convert('see <a href="https://x.example/a">') == "see https://x.example/a"
    assert convert("a<br>b<p>c") == "a\nb\n\nc"
