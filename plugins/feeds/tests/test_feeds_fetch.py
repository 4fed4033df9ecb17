"""``fetch_feed`` through the real host, against the fake feed server."""

from __future__ import annotations

import hashlib
import re
from datetime import datetime

import pytest

from autohive_integrations_sdk import ResultType

URL = "https://feeds.example.com"
ISO_UTC = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}Z$")


def hashed_id(link: str, title: str) -> str:
    return "sha256:" + hashlib.sha256(f"{link}\n{title}".encode()).hexdigest()


async def fetch(host, path: str, **inputs):
    return await host.call("feeds", "fetch_feed", {"url": URL + path, **inputs})


def data_of(result):
    assert result.type is ResultType.ACTION, result.result
    return result.result.data


def assert_formats(data) -> None:
    """What the SDK cannot check (it does not validate formats): dates are
    RFC 3339 in UTC, links absolute http(s) URLs."""
    dates = [data["feed"]["updated"]]
    links = [data["feed"]["link"]]
    for item in data["items"]:
        dates += [item["published"], item["updated"]]
        links.append(item["link"])
    for value in dates:
        if value is not None:
            assert ISO_UTC.match(value), value
            datetime.fromisoformat(value)
    for value in links:
        if value is not None:
            assert value.startswith(("http://", "https://")), value


async def test_rss2_feed_is_normalised(feeds_host):
    data = data_of(await fetch(feeds_host, "/rss.xml"))
    assert_formats(data)

    assert data["feed"] == {
        "url": "https://feeds.example.com/rss.xml",
        "title": "Example News & Notes",
        "link": "https://news.example.com/",
        "description": "Daily notes from the hive & the newsroom",
        "kind": "rss",
        "version": "rss20",
        "updated": "2024-01-02T12:00:00Z",
    }
    assert data["total_items"] == 4
    first, second, third, undated = data["items"]

    assert first["id"] == "news-example-4711"  # guid, isPermaLink="false"
    assert first["title"] == "Bees & honey: a \u201csweet\u201d year"
    assert first["link"] == "https://news.example.com/2024/01/bees-and-honey"
    assert first["summary"] == "Hives produced more honey than ever \u2014 see the numbers."
    assert "<b>more</b>" in first["content"]
    assert "<script" not in first["content"]  # sanitised
    assert 'href="https://feeds.example.com/2024/01/numbers"' in first["content"]  # resolved against the feed
    assert first["author"] == "Ada Apiarist"  # dc:creator
    assert first["published"] == "2024-01-02T09:00:00Z"  # +0100 in the feed
    assert first["updated"] is None
    assert first["categories"] == ["Nature", "Food & Drink"]

    # A permalink guid is both the id and, with no <link>, the link.
    assert second["id"] == second["link"] == "https://news.example.com/2024/01/new-queen"
    assert second["author"] == "Jane Editor"  # "email (Name)"
    assert second["summary"] == "A plain-text description with an entity: 5 < 6."
    assert second["content"] is None
    assert second["published"] == "2024-01-01T08:30:00Z"
    assert second["categories"] == []

    # No guid: the id is the hash of link and title.
    assert third["id"] == hashed_id("https://news.example.com/2023/12/swarm-preview", "Swarm season preview")
    assert third["published"] == "2023-12-31T23:45:00Z"  # EST
    assert third["author"] is None

    assert undated["title"] == "Undated note from the archive & attic"  # CDATA
    assert undated["id"] == hashed_id("https://news.example.com/archive/note", undated["title"])
    assert undated["published"] is None and undated["updated"] is None
    assert undated["summary"] is None and undated["content"] is None


async def test_atom_feed_is_normalised(feeds_host):
    data = data_of(await fetch(feeds_host, "/atom.xml"))
    assert_formats(data)

    assert data["feed"] == {
        "url": "https://feeds.example.com/atom.xml",
        "title": "The Hive & Beyond",  # type="html", entity escaped twice
        "link": "https://blog.example.org/",
        "description": "Notes on bees, code & everything between",
        "kind": "atom",
        "version": "atom10",
        "updated": "2024-03-02T07:15:00Z",
    }
    waggle, winter = data["items"]
    assert waggle == {
        "id": "urn:uuid:1225c695-cfb8-4ebb-aaaa-80da344efa6a",
        "title": "Waggle dances, decoded",
        "link": "https://blog.example.org/posts/waggle",
        "summary": "How bees talk about flowers.",
        "content": "<p>The waggle run encodes <strong>direction</strong> and distance.</p>",
        "author": "Carl Comb",
        "published": "2024-03-01T12:00:00Z",
        "updated": "2024-03-02T07:15:00Z",
        "categories": ["science", "behaviour"],
    }
    assert winter["id"] == "tag:blog.example.org,2024:winter-cluster"
    assert winter["link"] == "https://blog.example.org/posts/winter-cluster"  # relative, xml:base
    assert winter["published"] is None
    assert winter["updated"] == "2024-02-20T13:00:00Z"  # .123-05:00, seconds kept
    assert winter["author"] == "Bea Keeper"  # inherited from the feed (RFC 4287)
    assert winter["content"] == "Plain text content: the cluster stays near 35 \u00b0C."
    assert winter["categories"] == []
    assert winter["summary"] == winter["content"]  # no summary: the content's text


async def test_rss1_rdf_feed_is_normalised(feeds_host):
    data = data_of(await fetch(feeds_host, "/rdf.xml"))
    assert_formats(data)

    feed = data["feed"]
    assert (feed["kind"], feed["version"]) == ("rss", "rss10")
    assert feed["title"] == "Pollination Journal"
    assert feed["description"] == "Peer-reviewed papers on pollinators & plants"
    assert feed["updated"] == "2024-04-04T21:07:08Z"  # dc:date, +09:00
    clover, nectar = data["items"]
    assert clover["id"] == "https://journal.example.net/papers/42"  # rdf:about
    assert clover["title"] == "Clover & bumblebees"
    assert clover["author"] == "R. Meadow"
    assert clover["categories"] == ["Ecology"]  # dc:subject
    assert clover["updated"] == "2024-04-04T21:07:08Z"
    assert nectar["id"] == "https://journal.example.net/papers/41"
    assert nectar["updated"] == "2024-03-28T00:00:00Z"  # a bare date
    assert nectar["summary"] is None and nectar["author"] is None


async def test_charset_from_the_response_is_honoured(feeds_host):
    data = data_of(await fetch(feeds_host, "/latin1.xml"))
    assert data["feed"]["title"] == "Caf\u00e9 des Abeilles"
    assert data["feed"]["description"] == "Miel, pollen & gel\u00e9e royale"
    [item] = data["items"]
    assert item["title"] == "Cr\u00e8me br\u00fbl\u00e9e au miel"
    assert item["summary"] == "Une recette tr\u00e8s simple, \u00e0 d\u00e9guster froide."


async def test_ids_are_the_same_on_every_fetch(feeds_host):
    for path in ("/rss.xml", "/atom.xml", "/rdf.xml"):
        first = data_of(await fetch(feeds_host, path))
        again = data_of(await fetch(feeds_host, path))
        assert [item["id"] for item in first["items"]] == [item["id"] for item in again["items"]]
        assert len({item["id"] for item in first["items"]}) == len(first["items"])


async def test_limit_bounds_the_items(feeds_host):
    default = data_of(await fetch(feeds_host, "/many.xml"))
    assert default["total_items"] == 250
    assert [item["id"] for item in default["items"]] == [f"many-{n:03d}" for n in range(20)]

    assert [item["id"] for item in data_of(await fetch(feeds_host, "/many.xml", limit=1))["items"]] == ["many-000"]
    most = data_of(await fetch(feeds_host, "/many.xml", limit=200))
    assert len(most["items"]) == 200 and most["total_items"] == 250
    assert data_of(await fetch(feeds_host, "/rss.xml", limit=200))["total_items"] == 4


async def test_request_asks_for_feeds(feeds_host, feeds):
    data_of(await fetch(feeds_host, "/rss.xml"))
    [request] = feeds.requests
    assert request["path"] == "/rss.xml"
    assert "application/rss+xml" in request["headers"]["Accept"]
    assert request["headers"]["User-Agent"].startswith("apiary-feeds/")


async def test_a_feed_with_the_wrong_content_type_is_read(feeds_host):
    served_as_html = data_of(await fetch(feeds_host, "/rss-as-html"))
    assert served_as_html["items"] == data_of(await fetch(feeds_host, "/rss.xml"))["items"]


@pytest.mark.parametrize(
    ("path", "reason"),
    [
        ("/page.html", "returned an HTML page (text/html; charset=utf-8), not a feed"),
        ("/garbage", "did not return well-formed XML"),
        ("/sitemap.xml", "root element is not <rss>, <rdf:RDF> or <feed>"),
        ("/empty", "returned an empty body"),
        ("/json", "returned JSON (application/json; charset=utf-8), not XML"),
    ],
)
async def test_not_a_feed_is_an_action_error(feeds_host, path, reason):
    result = await fetch(feeds_host, path)
    assert result.type is ResultType.ACTION_ERROR, result.result
    message = result.result.message
    assert message.startswith(f"not an RSS or Atom feed: https://feeds.example.com{path} ")
    assert reason in message


@pytest.mark.parametrize("status", [404, 500])
async def test_upstream_failure_is_an_upstream_error(feeds_host, status):
    path = {404: "/missing", 500: "/broken"}[status]
    result = await fetch(feeds_host, path)
    assert result.type is ResultType.ERROR
    assert result.result["error"] == "upstream_error"
    assert result.result["status"] == status
    assert result.result["exception"] == "HTTPError"


async def test_rate_limit_is_an_upstream_error_with_retry_after(feeds_host):
    result = await fetch(feeds_host, "/limited")
    assert result.type is ResultType.ERROR
    assert result.result["error"] == "upstream_error"
    assert (result.result["status"], result.result["retry_after"]) == (429, 120)


@pytest.mark.parametrize(
    ("inputs", "property_"),
    [
        ({}, "url"),
        ({"url": "feeds.example.com/rss.xml"}, "url"),
        ({"url": "ftp://feeds.example.com/rss.xml"}, "url"),
        ({"url": 42}, "url"),
        ({"url": URL + "/rss.xml", "limit": 0}, "limit"),
        ({"url": URL + "/rss.xml", "limit": 201}, "limit"),
        ({"url": URL + "/rss.xml", "limit": "5"}, "limit"),
        ({"url": URL + "/rss.xml", "since": "yesterday"}, None),
    ],
)
async def test_invalid_inputs_are_validation_errors(feeds_host, feeds, inputs, property_):
    result = await feeds_host.call("feeds", "fetch_feed", inputs)
    assert result.type is ResultType.VALIDATION_ERROR
    assert result.result["source"] == "input"
    assert result.result["property"] == property_
    if property_ == "url" and not inputs:
        assert "'url' is a required property" in result.result["message"]
    assert feeds.requests == []  # nothing was fetched
