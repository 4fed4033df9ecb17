"""``apiary_feeds.feed`` on its own: the rules behind the normalised shape,
the quirks feeds have in the wild, and the config.json that describes them."""

from __future__ import annotations

import hashlib
import json
from datetime import UTC, datetime
from pathlib import Path

import feedparser
import pytest

import apiary_feeds
from apiary_feeds.feed import NotAFeed, html_to_text, item_id, parse_feed, parse_timestamp

URL = "https://feeds.example.com/feed.xml"
CONFIG = json.loads((Path(apiary_feeds.__file__).parent / "config.json").read_text(encoding="utf-8"))


def test_a_body_that_is_a_path_is_not_opened(tmp_path):
    # feedparser.parse(str) opens a string naming a file; a body never is one.
    local = tmp_path / "local.xml"
    local.write_text('<rss version="2.0"><channel><title>Local file</title></channel></rss>', encoding="utf-8")
    with pytest.raises(NotAFeed, match="did not return well-formed XML"):
        parse_feed(str(local), URL)


def test_a_body_that_is_a_url_is_not_fetched(monkeypatch):
    def refuse(*args, **kwargs):
        raise AssertionError("feedparser tried to fetch a URL")

    monkeypatch.setattr(feedparser.http, "get", refuse)
    with pytest.raises(NotAFeed):
        parse_feed("https://feeds.example.com/other.xml", URL)


def test_html_entities_without_a_dtd_are_read_anyway():
    # Not well-formed XML (&nbsp; and &hellip; are HTML entities): feedparser
    # falls back to its lenient parser, and the feed is still read.
    feed = parse_feed(
        '<rss version="2.0"><channel><title>Bees&nbsp;&amp;&nbsp;Co</title>'
        "<item><title>More soon&hellip;</title><guid>g-1</guid></item></channel></rss>",
        URL,
    )
    assert feed.info["title"] == "Bees & Co"
    assert feed.info["kind"] == "rss"
    assert [item["title"] for item in feed.items] == ["More soon\u2026"]


def test_a_stray_ampersand_does_not_lose_the_feed():
    feed = parse_feed(
        '<rss version="2.0"><channel><title>Tom & Jerry</title>'
        "<item><title>Cats & mice</title><guid>g-1</guid></item></channel></rss>",
        URL,
    )
    assert feed.info["title"] == "Tom & Jerry"
    assert [item["title"] for item in feed.items] == ["Cats & mice"]


def test_external_entities_are_not_resolved(tmp_path):
    secret = tmp_path / "secret.txt"
    secret.write_text("TOP-SECRET", encoding="utf-8")
    feed = parse_feed(
        f'<?xml version="1.0"?><!DOCTYPE rss [<!ENTITY xxe SYSTEM "file://{secret}">]>'
        '<rss version="2.0"><channel><title>T &xxe;</title>'
        "<item><title>&xxe;</title><guid>g-1</guid></item></channel></rss>",
        URL,
    )
    assert feed.info["kind"] == "rss" and [item["id"] for item in feed.items] == ["g-1"]
    assert "TOP-SECRET" not in repr(feed)


def test_a_leading_byte_order_mark_is_fine():
    feed = parse_feed('\ufeff<?xml version="1.0"?><rss version="2.0"><channel><title>T</title></channel></rss>', URL)
    assert feed.info["title"] == "T" and feed.items == []


def test_rss_091_and_atom_03_are_read():
    rss091 = parse_feed(
        '<rss version="0.91"><channel><title>Old</title><link>http://old.example.com/</link>'
        "<item><title>Item</title><link>http://old.example.com/1</link></item></channel></rss>",
        URL,
    )
    assert (rss091.info["kind"], rss091.info["version"]) == ("rss", "rss091u")
    atom03 = parse_feed(
        '<feed version="0.3" xmlns="http://purl.org/atom/ns#"><title>Older</title>'
        "<entry><title>E</title><id>tag:e</id><issued>2004-05-01T10:00:00Z</issued></entry></feed>",
        URL,
    )
    assert (atom03.info["kind"], atom03.info["version"]) == ("atom", "atom03")
    assert atom03.items[0]["published"] == "2004-05-01T10:00:00Z"


def test_a_repeated_id_is_kept_once():
    feed = parse_feed(
        '<rss version="2.0"><channel><title>T</title>'
        "<item><title>First</title><guid>same</guid></item>"
        "<item><title>Again</title><guid>same</guid></item>"
        "<item><title>Other</title><guid>other</guid></item></channel></rss>",
        URL,
    )
    assert [(item["id"], item["title"]) for item in feed.items] == [("same", "First"), ("other", "Other")]


def test_guids_stay_as_written_and_links_are_absolute():
    feed = parse_feed(
        '<rss version="2.0"><channel><title>T</title><link>/</link>'
        # isPermaLink defaults to true, but "12345" is no link
        "<item><title>A</title><guid>12345</guid></item>"
        "<item><title>B</title><guid>/posts/b</guid></item>"
        "<item><title>C</title><link>posts/c</link><guid>12345-c</guid>"
        '<content:encoded xmlns:content="http://purl.org/rss/1.0/modules/content/">'
        '<![CDATA[<a href="../d">d</a> <img src="/e.png">]]></content:encoded></item>'
        "<item><title>D</title><link>javascript:alert(1)</link></item>"
        "</channel></rss>",
        "https://feeds.example.com/blog/feed.xml",
    )
    assert feed.info["link"] == "https://feeds.example.com/"
    a, b, c, d = feed.items
    assert (a["id"], a["link"]) == ("12345", None)
    assert (b["id"], b["link"]) == ("/posts/b", "https://feeds.example.com/posts/b")
    assert (c["id"], c["link"]) == ("12345-c", "https://feeds.example.com/blog/posts/c")
    assert 'href="https://feeds.example.com/d"' in c["content"]
    assert 'src="https://feeds.example.com/e.png"' in c["content"]
    assert d["link"] is None
    # No guid: the hash covers the link as written.
    assert d["id"] == "sha256:" + hashlib.sha256(b"javascript:alert(1)\nD").hexdigest()


def test_item_id_rules():
    assert item_id({"id": "  guid-1 "}, "https://x.example/1", "T") == "guid-1"
    expected = "sha256:" + hashlib.sha256("https://x.example/1\nT\u00e9".encode("utf-8")).hexdigest()
    assert item_id({}, "https://x.example/1", "T\u00e9") == expected
    assert item_id({"id": "   "}, "https://x.example/1", "T\u00e9") == expected
    assert item_id({}, None, None) == "sha256:" + hashlib.sha256(b"\n").hexdigest()


def test_html_to_text():
    assert html_to_text("<p>One</p><p>two &amp; <em>three</em></p>") == "One two & three"
    assert html_to_text("a<br>b&nbsp;c &#8212; d") == "a b c \u2014 d"
    assert html_to_text("   ") is None
    assert html_to_text(None) is None


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("2024-05-01T12:30:00Z", datetime(2024, 5, 1, 12, 30, tzinfo=UTC)),
        ("2024-05-01T14:30:00+02:00", datetime(2024, 5, 1, 12, 30, tzinfo=UTC)),
        ("2024-05-01T12:30:00.250000Z", datetime(2024, 5, 1, 12, 30, 0, 250000, tzinfo=UTC)),
        ("2024-05-01T12:30:00", datetime(2024, 5, 1, 12, 30, tzinfo=UTC)),
        ("2024-05-01", datetime(2024, 5, 1, tzinfo=UTC)),
    ],
)
def test_parse_timestamp(text, expected):
    assert parse_timestamp(text) == expected


def test_parse_timestamp_refuses_what_is_not_iso():
    with pytest.raises(ValueError):
        parse_timestamp("Wed, 01 May 2024 12:30:00 GMT")


def test_config_describes_one_item_shape():
    action = CONFIG["actions"]["fetch_feed"]
    trigger = CONFIG["polling_triggers"]["new_items"]
    assert trigger["output_schema"] == action["output_schema"]["properties"]["items"]["items"]
    assert trigger["input_schema"]["properties"]["url"] == action["input_schema"]["properties"]["url"]
    assert trigger["polling_interval"] == "15m"
    item = trigger["output_schema"]
    assert set(item["required"]) == set(item["properties"])
    assert CONFIG["version"] == apiary_feeds.__version__
