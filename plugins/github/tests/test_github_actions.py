"""Every action of the GitHub integration, through the host, against the fake:
success, schema-conformant output, and what went over the wire."""

from __future__ import annotations


async def test_list_repositories_of_authenticated_user(call, github, conforms):
    result = await call("list_repositories", {"sort": "full_name", "direction": "asc"})

    assert result.type.value == "action", result.result
    data = result.result.data
    conforms("list_repositories", data)
    assert data["count"] == 5 and data["has_more"] is False
    first = data["repositories"][0]
    assert first == {
        "id": 1296260,
        "name": "hello-world",
        "full_name": "octocat/hello-world",
        "owner": "octocat",
        "private": False,
        "fork": False,
        "archived": False,
        "description": "The hello-world repository",
        "language": "Python",
        "topics": ["octocat", "api"],
        "default_branch": "main",
        "stargazers_count": 80 + 1296260 % 7,
        "forks_count": 9,
        "open_issues_count": 2,
        "html_url": "https://github.com/octocat/hello-world",
        "created_at": "2011-01-26T19:01:12Z",
        "updated_at": "2024-02-26T19:14:43Z",
        "pushed_at": "2024-02-26T19:06:43Z",
    }
    (seen,) = github.seen("/user/repos")
    assert seen.query == {"sort": "full_name", "direction": "asc", "per_page": "30"}
    assert seen.headers["Accept"] == "application/vnd.github+json"
    assert seen.headers["X-GitHub-Api-Version"] == "2022-11-28"
    assert seen.headers["Authorization"] == "Bearer t0ken"


async def test_list_repositories_type_filter_is_sent(call, github):
    result = await call("list_repositories", {"type": "private"})

    assert result.type.value == "action", result.result
    assert [repo["full_name"] for repo in result.result.data["repositories"]] == ["octocat/secret-plans"]
    assert result.result.data["repositories"][0]["private"] is True
    assert github.seen("/user/repos")[0].query["type"] == "private"


async def test_list_repositories_of_an_owner(call, github, conforms):
    result = await call("list_repositories", {"owner": "octo-org", "type": "member"})

    assert result.type.value == "action", result.result
    conforms("list_repositories", result.result.data)
    assert [repo["full_name"] for repo in result.result.data["repositories"]] == [
        "octo-org/repo-0",
        "octo-org/repo-1",
        "octo-org/repo-2",
    ]
    assert github.seen("/users/octo-org/repos")[0].query["type"] == "member"


async def test_get_issue(call, github, conforms):
    result = await call("get_issue", {"owner": "octocat", "repo": "hello-world", "issue_number": 3})

    assert result.type.value == "action", result.result
    data = result.result.data
    conforms("get_issue", data)
    assert data == {
        "id": 1000003,
        "number": 3,
        "title": "Issue number 3",
        "state": "open",
        "state_reason": None,
        "locked": False,
        "user": "octocat",
        "labels": ["bug", "docs"],
        "assignees": ["hubot"],
        "milestone": "v1.0",
        "comments": 0,
        "is_pull_request": False,
        "repository": "octocat/hello-world",
        "html_url": "https://github.com/octocat/hello-world/issues/3",
        "created_at": "2024-01-03T10:00:00Z",
        "updated_at": "2024-02-03T10:00:00Z",
        "closed_at": None,
        "body": "Body of #3: Issue number 3",
    }
    assert [seen.path for seen in github.requests] == ["/repos/octocat/hello-world/issues/3"]


async def test_get_issue_flags_a_pull_request_and_closed_state(call, conforms):
    pull = await call("get_issue", {"owner": "octocat", "repo": "hello-world", "issue_number": 4})
    closed = await call("get_issue", {"owner": "octocat", "repo": "hello-world", "issue_number": 7})

    assert pull.result.data["is_pull_request"] is True
    assert closed.result.data["state"] == "closed"
    assert closed.result.data["state_reason"] == "completed"
    assert closed.result.data["closed_at"] == "2024-03-07T12:00:00Z"
    conforms("get_issue", closed.result.data)


async def test_list_issues_defaults_to_open_issues_without_pull_requests(call, github, conforms):
    result = await call("list_issues", {"owner": "octocat", "repo": "hello-world"})

    assert result.type.value == "action", result.result
    data = result.result.data
    conforms("list_issues", data)
    assert [issue["number"] for issue in data["issues"]] == [1, 2, 3, 5]
    assert data["count"] == 4 and data["has_more"] is False
    assert "body" not in data["issues"][0]
    assert github.seen("/repos/octocat/hello-world/issues")[0].query == {"state": "open", "per_page": "30"}


async def test_list_issues_filters(call, github, conforms):
    result = await call(
        "list_issues",
        {
            "owner": "octocat",
            "repo": "hello-world",
            "state": "all",
            "labels": ["bug", "docs"],
            "sort": "updated",
            "direction": "asc",
            "since": "2024-01-01T00:00:00Z",
            "assignee": "hubot",
            "creator": "octocat",
        },
    )

    assert result.type.value == "action", result.result
    conforms("list_issues", result.result.data)
    assert [issue["number"] for issue in result.result.data["issues"]] == [3]
    assert github.seen("/repos/octocat/hello-world/issues")[0].query == {
        "state": "all",
        "labels": "bug,docs",
        "sort": "updated",
        "direction": "asc",
        "since": "2024-01-01T00:00:00Z",
        "assignee": "hubot",
        "creator": "octocat",
        "per_page": "30",
    }


async def test_list_issues_can_include_pull_requests(call):
    result = await call(
        "list_issues", {"owner": "octocat", "repo": "hello-world", "state": "all", "include_pull_requests": True}
    )

    issues = result.result.data["issues"]
    assert [issue["number"] for issue in issues] == [1, 2, 3, 4, 5, 6, 7]
    assert [issue["number"] for issue in issues if issue["is_pull_request"]] == [4]


async def test_list_issues_of_an_empty_repository(call, conforms):
    result = await call("list_issues", {"owner": "octocat", "repo": "empty"})

    assert result.type.value == "action", result.result
    assert result.result.data == {"issues": [], "count": 0, "has_more": False}
    conforms("list_issues", result.result.data)


async def test_create_issue_sends_the_body_and_returns_the_issue(call, github, conforms):
    inputs = {
        "owner": "octocat",
        "repo": "hello-world",
        "title": "Found a bug",
        "body": "I'm having a problem with this.",
        "labels": ["bug"],
        "assignees": ["octocat"],
        "milestone": 1,
    }
    result = await call("create_issue", inputs)

    assert result.type.value == "action", result.result
    data = result.result.data
    conforms("create_issue", data)
    assert github.created_issues == [
        {
            "title": "Found a bug",
            "body": "I'm having a problem with this.",
            "labels": ["bug"],
            "assignees": ["octocat"],
            "milestone": 1,
        }
    ]
    (seen,) = github.seen("/repos/octocat/hello-world/issues", "POST")
    assert seen.headers["Content-Type"].startswith("application/json")
    assert seen.headers["Authorization"] == "Bearer t0ken"
    assert data["number"] == 8
    assert data["title"] == "Found a bug"
    assert data["body"] == "I'm having a problem with this."
    assert data["labels"] == ["bug"] and data["assignees"] == ["octocat"]
    assert data["state"] == "open" and data["html_url"] == "https://github.com/octocat/hello-world/issues/8"


async def test_create_issue_with_a_title_only_sends_only_the_title(call, github):
    result = await call("create_issue", {"owner": "octocat", "repo": "hello-world", "title": "Just a title"})

    assert result.type.value == "action", result.result
    assert github.created_issues == [{"title": "Just a title"}]
    assert result.result.data["body"] is None


async def test_comment_on_issue(call, github, conforms):
    result = await call(
        "comment_on_issue", {"owner": "octocat", "repo": "hello-world", "issue_number": 2, "body": "Me too :+1:"}
    )

    assert result.type.value == "action", result.result
    conforms("comment_on_issue", result.result.data)
    assert github.comments == [{"body": "Me too :+1:"}]
    assert len(github.seen("/repos/octocat/hello-world/issues/2/comments", "POST")) == 1
    assert result.result.data == {
        "id": 1200,
        "issue_number": 2,
        "body": "Me too :+1:",
        "user": "octocat",
        "html_url": "https://github.com/octocat/hello-world/issues/2#issuecomment-1200",
        "created_at": "2024-04-02T09:15:00Z",
        "updated_at": "2024-04-02T09:15:00Z",
    }


async def test_search_issues(call, github, conforms):
    result = await call(
        "search_issues",
        {"q": "crash repo:octocat/hello-world is:issue", "sort": "created", "order": "asc"},
    )

    assert result.type.value == "action", result.result
    data = result.result.data
    conforms("search_issues", data)
    assert data["total_count"] == 1 and data["incomplete_results"] is False
    assert data["count"] == 1 and data["has_more"] is False
    assert data["items"][0]["title"] == "Crash when the spoon bends"
    assert data["items"][0]["repository"] == "octocat/hello-world"
    assert github.seen("/search/issues")[0].query == {
        "q": "crash repo:octocat/hello-world is:issue",
        "sort": "created",
        "order": "asc",
        "per_page": "30",
    }


async def test_connected_account(host, auth, github):
    result = await host.connected_account("github", auth=auth)

    assert result.type.value == "connected_account", result.result
    info = result.result
    assert (info.username, info.user_id, info.email) == ("octocat", "583231", "octocat@github.com")
    assert (info.first_name, info.last_name) == ("Mona", "Lisa Octocat")
    assert info.avatar_url == "https://avatars.githubusercontent.com/u/583231?v=4"
    assert info.organization == "@github"
    assert [seen.path for seen in github.requests] == ["/user"]


async def test_flat_auth_is_accepted_and_sent_as_bearer(call, github):
    result = await call(
        "get_issue", {"owner": "octocat", "repo": "hello-world", "issue_number": 1}, auth={"access_token": "t0ken"}
    )

    assert result.type.value == "action", result.result
    assert github.requests[0].headers["Authorization"] == "Bearer t0ken"


async def test_host_config_account_supplies_the_token(make_host, monkeypatch):
    monkeypatch.setenv("APIARY_TEST_GITHUB_TOKEN", "t0ken")
    config = {
        "integrations": {
            "github": {
                "accounts": {
                    "default": {
                        "auth_type": "PlatformOauth2",
                        "credentials": {"access_token": {"env": "APIARY_TEST_GITHUB_TOKEN"}},
                    }
                }
            }
        }
    }
    async with make_host(config) as host:
        result = await host.call("github", "get_issue", {"owner": "octocat", "repo": "hello-world", "issue_number": 2})

    assert result.type.value == "action", result.result
    assert result.result.data["number"] == 2
