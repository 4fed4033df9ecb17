"""Parsing and normalising feeds: pure functions, no I/O.

``parse_feed`` turns the text of an HTTP response into a ``Feed``: the
feed's own fields and its items, each normalised to the same shape whatever
the format (RSS 0.9x, 1.0 or 2.0, Atom 0.3 or 1.0). Parsing is feedparser's;
it is always handed an in-memory byte stream, never a string, because
``feedparser.parse(str)`` treats a string that looks like a URL or a file
path as one and would fetch or open it.
"""

from __future__ import annotations

import calendar
import hashlib
import io
import time
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from html.parser import HTMLParser
from typing import Any
from urllib.parse import urlsplit

import feedparser
from feedparser.urls import make_safe_absolute_uri, resolve_relative_uris

ItemData = dict[str, Any]

# Media types feedparser reports for markup; anything else is plain text.
_MARKUP_TYPES = frozenset({"text/html", "application/xhtml+xml", "html", "xhtml"})

# Elements after which extracted text gets a space, so "<p>a</p><p>b</p>" reads "a b".
_BLOCK_TAGS = frozenset(
    "address article aside blockquote br dd div dl dt figcaption figure footer h1 h2 h3 h4 h5 h6 "
    "header hr li main nav ol p pre section table td th tr ul".split()
)


class NotAFeed(ValueError):
    """The response is not an RSS or Atom feed; the message says why."""

    def __init__(self, reason: str) -> None:
        self.reason = reason
        super().__init__(f"not an RSS or Atom feed: {reason}")


@dataclass
class Feed:
    """A parsed feed: ``info`` is the feed's own fields, ``items`` its entries
    (in document order, duplicates of an id dropped), ``timestamps`` the
    moment each item counts as new at (published, else updated; ``None``)."""

    info: dict[str, Any]
    items: list[ItemData]
    timestamps: list[datetime | None]
    updated_at: datetime | None


def _get(container: Any, key: str) -> Any:
    """``container[key]`` as stored, or ``None``.

    feedparser's dicts alias keys on lookup (``updated_parsed`` falls back to
    ``published_parsed``, with a DeprecationWarning); reading the plain dict
    keeps each field what the feed says.
    """
    return dict.get(container, key) if isinstance(container, dict) else None


def _string(container: Any, key: str) -> str | None:
    """``container[key]`` with whitespace squashed, when it is a non-blank string."""
    value = _get(container, key)
    return squash(value) if isinstance(value, str) else None


# ---- text -----------------------------------------------------------------


class _TextExtractor(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []

    def handle_starttag(self, tag: str, attrs: Any) -> None:
        if tag in _BLOCK_TAGS:
            self.parts.append(" ")

    def handle_endtag(self, tag: str) -> None:
        if tag in _BLOCK_TAGS:
            self.parts.append(" ")

    def handle_data(self, data: str) -> None:
        self.parts.append(data)


def squash(text: str | None) -> str | None:
    """``text`` with runs of whitespace as single spaces; ``None`` when blank."""
    if text is None:
        return None
    squashed = " ".join(text.split())
    return squashed or None


def html_to_text(markup: str | None) -> str | None:
    """The text of an HTML fragment: tags dropped, entities decoded, whitespace squashed."""
    if not markup:
        return None
    extractor = _TextExtractor()
    extractor.feed(markup)
    extractor.close()
    return squash("".join(extractor.parts))


def _text_of(container: Mapping[str, Any], key: str) -> str | None:
    """``container[key]`` as plain text, using ``<key>_detail.type`` to tell markup from text."""
    value = _get(container, key)
    if not isinstance(value, str):
        return None
    if _get(_get(container, f"{key}_detail"), "type") in _MARKUP_TYPES:
        return html_to_text(value)
    return squash(value)


# ---- dates ----------------------------------------------------------------


def _moment(parsed: Any) -> datetime | None:
    """feedparser's ``*_parsed`` (a UTC ``struct_time``) as an aware datetime."""
    if not isinstance(parsed, time.struct_time):
        return None
    try:
        return datetime.fromtimestamp(calendar.timegm(parsed), tz=UTC)
    except (OverflowError, OSError, ValueError):
        return None


def iso(moment: datetime | None) -> str | None:
    """``moment`` as RFC 3339 / ISO 8601 in UTC (``2024-01-02T09:00:00Z``)."""
    return moment.strftime("%Y-%m-%dT%H:%M:%SZ") if moment is not None else None


def parse_timestamp(value: str) -> datetime:
    """An ISO 8601 date-time (``Z`` or an offset; none means UTC) as an aware datetime.

    Raises ``ValueError`` when ``value`` is not one.
    """
    moment = datetime.fromisoformat(value.strip())
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return moment.astimezone(UTC)


# ---- items ----------------------------------------------------------------


def item_id(entry: Mapping[str, Any], link: str | None, title: str | None) -> str:
    """The item's stable id.

    The entry's own identifier, as written in the feed, when it has one:
    ``<guid>`` (RSS 2.0), ``<id>`` (Atom), ``rdf:about`` (RSS 1.0).
    Otherwise ``"sha256:"`` and the hex SHA-256 of ``link + "\\n" + title``
    (the link as written in the feed, the plain-text title; each empty when
    missing), so the same item gets the same id on every fetch.
    """
    own = _get(entry, "id")
    if isinstance(own, str) and own.strip():
        return own.strip()
    key = f"{link or ''}\n{title or ''}"
    return "sha256:" + hashlib.sha256(key.encode("utf-8")).hexdigest()


def _author(entry: Mapping[str, Any]) -> str | None:
    names = []
    for person in _get(entry, "authors") or []:
        name = _string(person, "name") or _string(person, "email")
        if name and name not in names:
            names.append(name)
    if names:
        return ", ".join(names)
    return _string(entry, "author")


def _categories(entry: Mapping[str, Any]) -> list[str]:
    found: list[str] = []
    for tag in _get(entry, "tags") or []:
        name = _string(tag, "term") or _string(tag, "label")
        if name and name not in found:
            found.append(name)
    return found


def _content(entry: Mapping[str, Any], base: str) -> str | None:
    """The first non-blank content; in HTML, relative URLs made absolute
    against the content's ``xml:base`` (if any) and the feed's URL."""
    for part in _get(entry, "content") or []:
        value = _get(part, "value")
        if not isinstance(value, str) or not value.strip():
            continue
        kind = _get(part, "type")
        if kind in _MARKUP_TYPES:
            part_base = make_safe_absolute_uri(base, _get(part, "base") or "") or base
            value = resolve_relative_uris(value, part_base, "utf-8", kind)
        return value.strip()
    return None


def _absolute(base: str, link: str | None) -> str | None:
    """``link`` resolved against ``base``; ``None`` when there is none or its
    scheme is not one feedparser deems safe (``javascript:``, ``data:``...)."""
    return (make_safe_absolute_uri(base, link) or None) if link else None


def _is_link_like(value: str) -> bool:
    return urlsplit(value).scheme.lower() in ("http", "https") or value.startswith("/")


def _link(entry: Mapping[str, Any], base: str) -> str | None:
    """The item's link, absolute; ``None`` for none, for a scheme that is
    not safe (``javascript:``), and for a guid that only claims to be a link
    (RSS 2.0 guids are permalinks unless ``isPermaLink="false"``, and many
    feeds forget to say so of guids like ``12345``)."""
    link = _string(entry, "link")
    if link is None:
        return None
    if _get(entry, "guidislink") and link == _string(entry, "id") and not _is_link_like(link):
        return None
    return _absolute(base, link)


def normalise_item(entry: Mapping[str, Any], base: str, inherited_author: str | None) -> ItemData:
    """One feed entry in the shape of the ``item`` schema; ``base`` is the feed's URL."""
    title = _text_of(entry, "title")
    return {
        "id": item_id(entry, _string(entry, "link"), title),
        "title": title,
        "link": _link(entry, base),
        "summary": _text_of(entry, "summary"),
        "content": _content(entry, base),
        "author": _author(entry) or inherited_author,
        "published": iso(_moment(_get(entry, "published_parsed"))),
        "updated": iso(_moment(_get(entry, "updated_parsed"))),
        "categories": _categories(entry),
    }


# ---- the feed ---------------------------------------------------------------


def _looks_like_html(text: str) -> bool:
    head = text[:1024].lower()
    return "<!doctype html" in head or "<html" in head


def _kind(version: str) -> str | None:
    if version.startswith("atom"):
        return "atom"
    if version.startswith("rss"):
        return "rss"
    return None


def parse_feed(body: Any, url: str, content_type: str = "") -> Feed:
    """Parse the body of a response from ``url`` into a ``Feed``.

    ``body`` is what ``ExecutionContext.fetch`` returned as ``data``: text,
    ``None`` for an empty body, or parsed JSON. Raises ``NotAFeed`` when it
    is not an RSS or Atom document.
    """
    if body is None or (isinstance(body, str) and not body.strip()):
        raise NotAFeed(f"{url} returned an empty body")
    if not isinstance(body, str):
        raise NotAFeed(f"{url} returned JSON ({content_type or 'no Content-Type'}), not XML")

    # fetch() has already decoded the body (with the charset of the response,
    # UTF-8 by default), so feedparser gets UTF-8 bytes and is told so: the
    # charset it would read from the XML declaration no longer holds.
    # No Content-Location: given a base URL, feedparser would also resolve
    # RSS guids against it (a guid "12345" would become ".../12345"), and ids
    # must be the feed's own. Links are made absolute here instead.
    parsed = feedparser.parse(
        io.BytesIO(body.encode("utf-8")),
        response_headers={"content-type": "application/xml; charset=utf-8"},
    )
    version = _get(parsed, "version") or ""
    kind = _kind(version)
    if kind is None:
        if version:
            raise NotAFeed(f"{url} is a {version!r} document, which this integration does not read")
        if _looks_like_html(body):
            raise NotAFeed(f"{url} returned an HTML page ({content_type or 'no Content-Type'}), not a feed")
        if _get(parsed, "bozo"):
            problem = _get(parsed, "bozo_exception")
            raise NotAFeed(f"{url} did not return well-formed XML ({problem})")
        raise NotAFeed(f"{url} returned XML whose root element is not <rss>, <rdf:RDF> or <feed>")

    channel = _get(parsed, "feed") or {}
    updated_at = _moment(_get(channel, "updated_parsed")) or _moment(_get(channel, "published_parsed"))
    inherited = _author(channel) if kind == "atom" else None  # RFC 4287 4.2.1: entries inherit the feed's author

    items: list[ItemData] = []
    timestamps: list[datetime | None] = []
    seen = set()
    for entry in _get(parsed, "entries") or []:
        item = normalise_item(entry, url, inherited)
        if item["id"] in seen:
            continue
        seen.add(item["id"])
        items.append(item)
        timestamps.append(_moment(_get(entry, "published_parsed")) or _moment(_get(entry, "updated_parsed")))

    info = {
        "url": url,
        "title": _text_of(channel, "title"),
        "link": _absolute(url, _string(channel, "link")),
        "description": _text_of(channel, "subtitle"),
        "kind": kind,
        "version": version,
        "updated": iso(updated_at),
    }
    return Feed(info=info, items=items, timestamps=timestamps, updated_at=updated_at)
