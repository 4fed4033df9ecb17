"""Pagination through ``Link: <...>; rel="next"`` headers, bounded by ``limit``
and ``max_pages``, through the host against the fake, plus the Link parser."""

from __future__ import annotations

import pytest

from apiary_github.api import HARD_MAX_PAGES, header, paginate, parse_link_header
from autohive_integrations_sdk import FetchResponse

HELLO = {"owner": "octocat", "repo": "hello-world"}


async def test_list_issues_follows_next_links_across_three_pages(call, github, conforms):
    result = await call("list_issues", {**HELLO, "state": "all", "per_page": 3, "include_pull_requests": True})

    assert result.type.value == "action", result.result
    data = result.result.data
    conforms("list_issues", data)
    assert [issue["number"] for issue in data["issues"]] == [1, 2, 3, 4, 5, 6, 7]
    assert data["count"] == 7 and data["has_more"] is False
    # The first page by name, the next ones by the URLs GitHub's Link header
    # gave (under https://api.github.com, sent to the fake by the override).
    assert [(seen.path, seen.query.get("page")) for seen in github.requests] == [
        ("/repos/octocat/hello-world/issues", None),
        ("/repositories/1296269/issues", "2"),
        ("/repositories/1296269/issues", "3"),
    ]
    assert all(seen.query["state"] == "all" and seen.query["per_page"] == "3" for seen in github.requests)
    assert all(seen.headers["Authorization"] == "Bearer t0ken" for seen in github.requests)


async def test_limit_stops_reading_early(call, github):
    result = await call(
        "list_issues", {**HELLO, "state": "all", "per_page": 2, "limit": 3, "include_pull_requests": True}
    )

    data = result.result.data
    assert [issue["number"] for issue in data["issues"]] == [1, 2, 3]
    assert data["count"] == 3 and data["has_more"] is True
    assert len(github.requests) == 2  # pages 3 and 4 were never asked for


async def test_limit_smaller_than_a_page_asks_for_a_smaller_page(call, github):
    result = await call("list_repositories", {"limit": 2})

    data = result.result.data
    assert [repo["name"] for repo in data["repositories"]] == ["hello-world", "linguist"]
    assert data["has_more"] is True
    (seen,) = github.requests
    assert seen.query["per_page"] == "2"


async def test_limit_exactly_reached_at_the_end_of_the_list(call, github):
    result = await call("list_repositories", {"per_page": 5, "limit": 5})

    assert result.result.data["count"] == 5
    assert result.result.data["has_more"] is False
    assert len(github.requests) == 1


async def test_max_pages_bounds_the_pages_read(call, github):
    result = await call("list_repositories", {"per_page": 1, "limit": 100, "max_pages": 2})

    data = result.result.data
    assert [repo["name"] for repo in data["repositories"]] == ["hello-world", "linguist"]
    assert data["has_more"] is True
    assert len(github.requests) == 2


async def test_the_hard_page_cap_holds_whatever_the_limit(call, github):
    github.user_repos = github.user_repos * 3  # 15 repositories, one per page

    result = await call("list_repositories", {"per_page": 1, "limit": 1000, "max_pages": 10})

    assert result.result.data["count"] == HARD_MAX_PAGES == 10
    assert result.result.data["has_more"] is True
    assert len(github.requests) == HARD_MAX_PAGES


async def test_pull_requests_filtered_out_do_not_count_towards_the_limit(call, github):
    result = await call("list_issues", {**HELLO, "state": "all", "per_page": 2, "limit": 4})

    assert [issue["number"] for issue in result.result.data["issues"]] == [1, 2, 3, 5]
    assert result.result.data["has_more"] is True
    assert len(github.requests) == 3


async def test_search_paginates_and_keeps_the_total_of_the_first_page(call, github, conforms):
    result = await call("search_issues", {"q": "repo:octocat/hello-world", "per_page": 3})

    data = result.result.data
    conforms("search_issues", data)
    assert data["total_count"] == 7
    assert [item["number"] for item in data["items"]] == [1, 2, 3, 4, 5, 6, 7]
    assert [seen.query.get("page") for seen in github.seen("/search/issues")] == [None, "2", "3"]


async def test_search_limit(call, github):
    result = await call("search_issues", {"q": "issue number", "per_page": 2, "limit": 3})

    data = result.result.data
    assert data["total_count"] == 6 and data["count"] == 3 and data["has_more"] is True
    assert len(github.requests) == 2


async def test_loosely_written_link_header_is_followed(call, github):
    github.link_style = "loose"

    result = await call("list_repositories", {"per_page": 2})

    assert result.result.data["count"] == 5
    assert len(github.requests) == 3


async def test_next_link_to_another_origin_is_not_followed(call, github):
    github.next_origin = "https://evil.example"

    result = await call("list_repositories", {"per_page": 2})

    assert result.result.data["count"] == 2
    assert result.result.data["has_more"] is True
    assert len(github.requests) == 1  # and the token never went to evil.example


@pytest.mark.parametrize(
    "value, expected",
    [
        (
            '<https://api.github.com/repositories/1/issues?page=2>; rel="next", '
            '<https://api.github.com/repositories/1/issues?page=5>; rel="last"',
            {
                "next": "https://api.github.com/repositories/1/issues?page=2",
                "last": "https://api.github.com/repositories/1/issues?page=5",
            },
        ),
        ("<https://x.test/a?page=2>;rel=next", {"next": "https://x.test/a?page=2"}),
        ('<https://x.test/a?q=a,b&page=2> ; REL = "Next"', {"next": "https://x.test/a?q=a,b&page=2"}),
        ('<https://x.test/2>; title="a, b; c"; rel="next last"', {"next": "https://x.test/2", "last": "https://x.test/2"}),
        ('<https://x.test/1>; rel="prev",<https://x.test/3>;  rel="next"', {"prev": "https://x.test/1", "next": "https://x.test/3"}),
        ("<https://x.test/2>", {}),
        ("", {}),
        (None, {}),
        ("garbage, more garbage", {}),
    ],
)
def test_parse_link_header(value, expected):
    assert parse_link_header(value) == expected


def test_header_lookup_ignores_case():
    assert header({"link": "a"}, "Link") == "a"
    assert header({"LINK": "b"}, "link") == "b"
    assert header({"Content-Type": "x"}, "Link") is None
    assert header(None, "Link") is None


class _ScriptedContext:
    """Stands in for ExecutionContext the way SDK unit tests do: ``fetch``
    answers from a script, with header names in whatever case it likes."""

    def __init__(self, pages):
        self.auth = {"auth_type": "PlatformOauth2", "credentials": {"access_token": "t0ken"}}
        self.pages = pages
        self.urls = []

    async def fetch(self, url, method="GET", params=None, json=None, headers=None, **_):
        self.urls.append((url, params, headers["Authorization"]))
        return self.pages[len(self.urls) - 1]


async def test_paginate_reads_link_headers_in_any_case():
    context = _ScriptedContext(
        [
            FetchResponse(200, {"link": '<https://api.github.com/x?page=2>; rel="next"'}, [{"n": 1}]),
            FetchResponse(200, {"LINK": '<https://api.github.com/x?page=3>; rel="next"'}, [{"n": 2}]),
            FetchResponse(200, {"Link": '<https://api.github.com/x?page=1>; rel="first"'}, [{"n": 3}]),
        ]
    )

    items, has_more, _ = await paginate(context, "https://api.github.com/x", {"per_page": 1}, limit=10, max_pages=10)

    assert [item["n"] for item in items] == [1, 2, 3] and has_more is False
    assert context.urls == [
        ("https://api.github.com/x", {"per_page": 1}, "Bearer t0ken"),
        ("https://api.github.com/x?page=2", None, "Bearer t0ken"),
        ("https://api.github.com/x?page=3", None, "Bearer t0ken"),
    ]


async def test_paginate_never_follows_a_link_twice():
    loop = FetchResponse(200, {"Link": '<https://api.github.com/x?page=2>; rel="next"'}, [{"n": 1}])
    context = _ScriptedContext([loop, loop, loop])

    items, has_more, _ = await paginate(context, "https://api.github.com/x", {}, limit=10, max_pages=10)

    assert len(context.urls) == 2 and len(items) == 2 and has_more is True
