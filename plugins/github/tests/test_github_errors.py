"""Upstream failures, bad credentials and bad inputs, through the host."""

from __future__ import annotations

import pytest

HELLO = {"owner": "octocat", "repo": "hello-world"}


def _error(result):
    assert result.type.value == "error", result.result
    return result.result


# ---- upstream 404 / 422: expected outcomes, returned as action errors -------------


async def test_missing_issue_is_an_action_error(call, github):
    result = await call("get_issue", {**HELLO, "issue_number": 999})

    assert result.type.value == "action_error", result.result
    assert "octocat/hello-world#999" in result.result.message
    assert "not found" in result.result.message
    assert github.requests[0].path == "/repos/octocat/hello-world/issues/999"


async def test_comment_on_missing_issue_is_an_action_error(call, github):
    result = await call("comment_on_issue", {**HELLO, "issue_number": 999, "body": "hello?"})

    assert result.type.value == "action_error", result.result
    assert "octocat/hello-world#999" in result.result.message
    assert github.comments == []


@pytest.mark.parametrize(
    "action, inputs, named",
    [
        ("list_issues", {"owner": "octocat", "repo": "nope"}, "octocat/nope"),
        ("create_issue", {"owner": "octocat", "repo": "nope", "title": "x"}, "octocat/nope"),
        ("list_repositories", {"owner": "nobody-here"}, "nobody-here"),
    ],
)
async def test_missing_repository_or_owner_is_an_action_error(call, action, inputs, named):
    result = await call(action, inputs)

    assert result.type.value == "action_error", result.result
    assert named in result.result.message


async def test_gone_issue_is_an_action_error(call, github):
    github.fail("/repos/octocat/hello-world/issues/5", 410, {"message": "This issue was deleted"})

    result = await call("get_issue", {**HELLO, "issue_number": 5})

    assert result.type.value == "action_error", result.result
    assert "HTTP 410" in result.result.message


async def test_rejected_create_issue_reports_githubs_reasons(call, github):
    result = await call("create_issue", {**HELLO, "title": "x", "assignees": ["stranger"]})

    assert result.type.value == "action_error", result.result
    assert result.result.message == "GitHub rejected the request: Validation Failed (Issue assignees invalid)"
    assert github.created_issues == []


async def test_invalid_search_query_is_an_action_error(call):
    result = await call("search_issues", {"q": "frobnicate:yes"})

    assert result.type.value == "action_error", result.result
    assert "The qualifier 'frobnicate' is not supported." in result.result.message


# ---- upstream failures: upstream_error with the status ---------------------------------


@pytest.mark.parametrize(
    "action, inputs, path",
    [
        ("list_repositories", {}, "/user/repos"),
        ("search_issues", {"q": "bug"}, "/search/issues"),
    ],
)
async def test_404_where_the_inputs_name_no_resource_is_upstream_error(call, github, action, inputs, path):
    github.fail(path, 404, {"message": "Not Found"})

    error = _error(await call(action, inputs))

    assert (error["error"], error["status"]) == ("upstream_error", 404)


async def test_wrong_token_is_upstream_401(call, github):
    wrong = {"auth_type": "PlatformOauth2", "credentials": {"access_token": "wrong"}}

    error = _error(await call("list_issues", HELLO, auth=wrong))

    assert error["error"] == "upstream_error" and error["status"] == 401
    assert "Bad credentials" in error["message"]
    assert "wrong" not in error["message"]
    assert github.requests[0].headers["Authorization"] == "Bearer wrong"


async def test_wrong_token_on_connected_account_is_upstream_401(host):
    wrong = {"auth_type": "PlatformOauth2", "credentials": {"access_token": "wrong"}}

    error = _error(await host.connected_account("github", auth=wrong))

    assert error["error"] == "upstream_error" and error["status"] == 401


async def test_rate_limit_429_reports_retry_after(call, github):
    github.fail("/repos/octocat/hello-world/issues", 429, {"message": "slow down"}, {"Retry-After": "7"})

    error = _error(await call("list_issues", HELLO))

    assert error["error"] == "upstream_error"
    assert (error["status"], error["retry_after"], error["exception"]) == (429, 7, "RateLimitError")
    assert len(github.requests) == 1  # not retried


async def test_rate_limit_on_a_later_page_fails_the_call(call, github):
    github.fail("/repositories/1296269/issues", 429, {"message": "slow down"}, {"Retry-After": "30"})

    error = _error(await call("list_issues", {**HELLO, "per_page": 2}))

    assert (error["status"], error["retry_after"]) == (429, 30)
    assert len(github.requests) == 2


async def test_primary_rate_limit_403_is_a_rate_limit_error(call, github):
    github.fail(
        "/search/issues",
        403,
        {"message": "API rate limit exceeded for user ID 583231.", "documentation_url": "https://docs.github.com/rest"},
        {"X-RateLimit-Remaining": "0", "X-RateLimit-Reset": "1700000000"},
    )

    error = _error(await call("search_issues", {"q": "bug"}))

    assert (error["error"], error["status"], error["exception"]) == ("upstream_error", 403, "RateLimitError")
    assert error["retry_after"] == 60


async def test_forbidden_403_is_upstream_error(call, github):
    github.fail("/repos/octocat/hello-world/issues", 403, {"message": "Resource not accessible by integration"})

    error = _error(await call("create_issue", {**HELLO, "title": "x"}))

    assert (error["error"], error["status"], error["exception"]) == ("upstream_error", 403, "HTTPError")
    assert "Resource not accessible" in error["message"]


@pytest.mark.parametrize(
    "action, inputs, path",
    [
        ("list_repositories", {}, "/user/repos"),
        ("get_issue", {**HELLO, "issue_number": 1}, "/repos/octocat/hello-world/issues/1"),
        ("list_issues", HELLO, "/repos/octocat/hello-world/issues"),
        ("create_issue", {**HELLO, "title": "x"}, "/repos/octocat/hello-world/issues"),
        ("comment_on_issue", {**HELLO, "issue_number": 1, "body": "x"}, "/repos/octocat/hello-world/issues/1/comments"),
        ("search_issues", {"q": "bug"}, "/search/issues"),
    ],
)
async def test_server_error_500_is_upstream_error(call, github, action, inputs, path):
    github.fail(path, 500, {"message": "Server Error"})

    error = _error(await call(action, inputs))

    assert (error["error"], error["status"]) == ("upstream_error", 500)
    assert len(github.requests) == 1


async def test_server_error_on_connected_account(host, auth, github):
    github.fail("/user", 502, {"message": "Bad Gateway"})

    error = _error(await host.connected_account("github", auth=auth))

    assert (error["error"], error["status"]) == ("upstream_error", 502)


# ---- credentials ---------------------------------------------------------------------


@pytest.mark.parametrize(
    "auth",
    [
        {},
        {"auth_type": "PlatformOauth2", "credentials": {}},
        {"auth_type": "PlatformOauth2", "credentials": {"access_token": ""}},
        {"auth_type": "PlatformOauth2", "credentials": {"access_token": 42}},
        {"token": "t0ken"},
    ],
)
async def test_missing_or_invalid_auth_is_a_validation_error(host, github, auth):
    result = await host.call("github", "list_issues", HELLO, auth=auth)

    assert result.type.value == "validation_error", result.result
    assert result.result["source"] == "input"
    assert github.requests == []


async def test_no_configured_account_is_a_credentials_error(host, github):
    result = await host.call("github", "list_issues", HELLO)

    assert result.type.value == "error", result.result
    assert result.result["error"] == "credentials_unavailable"
    assert "'access_token'" in result.result["message"]
    assert github.requests == []


async def test_missing_auth_on_connected_account_is_a_validation_error(host, github):
    result = await host.connected_account("github", auth={"auth_type": "PlatformOauth2", "credentials": {}})

    assert result.type.value == "validation_error", result.result
    assert "access_token" in result.result["message"]
    assert github.requests == []


async def test_auth_validation_error_never_shows_the_token(host):
    result = await host.call("github", "list_issues", HELLO, auth={"credentials": {"access_token": ["s3cr3t-value"]}})

    assert result.type.value == "validation_error", result.result
    assert "s3cr3t-value" not in str(result.result)


# ---- inputs --------------------------------------------------------------------------


@pytest.mark.parametrize(
    "action, inputs, needle",
    [
        ("get_issue", {"owner": "octocat", "repo": "hello-world"}, "'issue_number' is a required property"),
        ("get_issue", {**HELLO, "issue_number": 0}, "0 is less than the minimum of 1"),
        ("get_issue", {**HELLO, "issue_number": "3"}, "'3' is not of type 'integer'"),
        ("get_issue", {**HELLO, "issue_number": 1, "extra": True}, "Additional properties are not allowed"),
        ("get_issue", {"owner": "octo/cat", "repo": "hello-world", "issue_number": 1}, "does not match"),
        ("get_issue", {"owner": "octocat", "repo": "..", "issue_number": 1}, "does not match"),
        ("list_issues", {**HELLO, "state": "merged"}, "'merged' is not one of ['open', 'closed', 'all']"),
        ("list_issues", {**HELLO, "per_page": 101}, "101 is greater than the maximum of 100"),
        ("list_issues", {**HELLO, "limit": 0}, "0 is less than the minimum of 1"),
        ("list_issues", {**HELLO, "max_pages": 11}, "11 is greater than the maximum of 10"),
        ("list_issues", {**HELLO, "labels": []}, "should be non-empty"),
        ("list_issues", {**HELLO, "labels": ["a,b"]}, "does not match"),
        ("list_repositories", {"type": "forks"}, "'forks' is not one of"),
        (
            "list_repositories",
            {"owner": "octo-org", "type": "private"},
            "'private' is not one of ['all', 'owner', 'member']",
        ),
        ("list_repositories", {"sort": "stars"}, "'stars' is not one of"),
        ("create_issue", {**HELLO}, "'title' is a required property"),
        ("create_issue", {**HELLO, "title": ""}, "should be non-empty"),
        ("create_issue", {**HELLO, "title": "x" * 257}, "is too long"),
        ("create_issue", {**HELLO, "title": "x", "assignees": [f"user{i}" for i in range(11)]}, "is too long"),
        ("create_issue", {**HELLO, "title": "x", "labels": ["bug", "bug"]}, "has non-unique elements"),
        ("comment_on_issue", {**HELLO, "issue_number": 1}, "'body' is a required property"),
        ("comment_on_issue", {**HELLO, "issue_number": 1, "body": ""}, "should be non-empty"),
        ("search_issues", {}, "'q' is a required property"),
        ("search_issues", {"q": "bug", "order": "up"}, "'up' is not one of ['asc', 'desc']"),
        ("search_issues", {"q": "bug", "sort": "stars"}, "'stars' is not one of"),
    ],
)
async def test_invalid_inputs_are_validation_errors(call, github, action, inputs, needle):
    result = await call(action, inputs)

    assert result.type.value == "validation_error", result.result
    assert result.result["source"] == "input"
    assert needle in result.result["message"]
    assert github.requests == []


async def test_unknown_action(call):
    error = _error(await call("delete_repository", {}))

    assert error["error"] == "unknown_action"
