"""Upstream failures and invalid inputs, for every action, through the host."""

from __future__ import annotations

import pytest

# (action, inputs, a path that action requests)
CALLS = [
    ("top_stories", {"limit": 3}, "/v0/topstories.json"),
    ("new_stories", {}, "/v0/newstories.json"),
    ("best_stories", {"limit": 2}, "/v0/item/40213401.json"),  # an item of the list
    ("get_item", {"id": 40213401}, "/v0/item/40213401.json"),
    ("get_item", {"id": 40213401, "max_depth": 3}, "/v0/item/40213700.json"),  # deep in the tree
    ("get_user", {"username": "mrkurtz"}, "/v0/user/mrkurtz.json"),
]
CALL_IDS = ["top", "new", "best-item", "item", "item-comment", "user"]


def assert_upstream_error(result, status):
    assert result.type.value == "error", result.result
    assert result.result["error"] == "upstream_error"
    assert result.result["status"] == status
    assert f"HTTP {status}" in result.result["message"]


@pytest.mark.parametrize(("action", "inputs", "path"), CALLS, ids=CALL_IDS)
@pytest.mark.parametrize(
    ("status", "body"),
    [(404, "Not Found"), (401, {"error": "Permission denied"}), (500, {"error": "Internal server error"})],
)
async def test_upstream_http_errors(host, hn, action, inputs, path, status, body):
    hn.fail(path, status, body)
    result = await host.call("hackernews", action, inputs)
    assert_upstream_error(result, status)
    assert path in hn.requests


@pytest.mark.parametrize(("action", "inputs", "path"), CALLS, ids=CALL_IDS)
async def test_upstream_rate_limit_gives_retry_after(host, hn, action, inputs, path):
    hn.fail(path, 429, {"error": "Too many requests"}, headers={"Retry-After": "120"})
    result = await host.call("hackernews", action, inputs)
    assert_upstream_error(result, 429)
    assert result.result["retry_after"] == 120
    assert result.result["exception"] == "RateLimitError"


async def test_a_failure_mid_list_leaves_no_request_running(host, hn):
    hn.fail("/v0/item/40212950.json", 500)
    result = await host.call("hackernews", "top_stories", {"limit": 5})
    assert_upstream_error(result, 500)
    assert hn.in_flight == 0  # every sibling request finished before the call returned


async def test_unexpected_payload_is_an_action_error(host, hn):
    hn.fail("/v0/topstories.json", 200, {"not": "a list"})
    result = await host.call("hackernews", "top_stories", {})
    assert result.type.value == "action_error"
    assert "topstories.json" in result.result.message


@pytest.mark.parametrize(
    ("action", "inputs", "prop"),
    [
        ("top_stories", {"limit": 0}, "limit"),
        ("new_stories", {"limit": 101}, "limit"),
        ("best_stories", {"limit": "5"}, "limit"),
        ("top_stories", {"count": 5}, None),
        ("get_item", {}, "id"),
        ("get_item", {"id": "40213401"}, "id"),
        ("get_item", {"id": 0}, "id"),
        ("get_item", {"id": 1, "max_depth": 6}, "max_depth"),
        ("get_item", {"id": 1, "max_comments": 0}, "max_comments"),
        ("get_item", {"id": 1, "max_comments": 201}, "max_comments"),
        ("get_item", {"id": 1, "text_format": "markdown"}, "text_format"),
        ("get_user", {}, "username"),
        ("get_user", {"username": "../item/1"}, "username"),
        ("get_user", {"username": ""}, "username"),
        ("get_user", {"username": "pg", "max_submissions": 101}, "max_submissions"),
        ("get_user", {"username": "pg", "extra": True}, None),
    ],
)
async def test_invalid_inputs_are_validation_errors(host, hn, action, inputs, prop):
    result = await host.call("hackernews", action, inputs)
    assert result.type.value == "validation_error", result.result
    assert result.result["source"] == "input"
    if prop is not None:
        assert result.result["property"] == prop
    else:
        assert "Additional properties are not allowed" in result.result["message"]
    assert hn.requests == []  # nothing was sent upstream
