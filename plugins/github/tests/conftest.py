"""A fake GitHub REST API, and a host whose requests for https://api.github.com go to it.

The fake is an aiohttp app on 127.0.0.1 serving recorded-style payloads
(shaped like GitHub's, extra fields and all). It checks the bearer token,
paginates lists with ``Link`` headers pointing at the *real* origin
https://api.github.com (the host's upstream override sends those next-page
requests to the fake too), records every request and what POSTs created,
and can be told to fail any path with a given status.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any
from urllib.parse import urlencode, urlsplit

import pytest
from aiohttp import web
from aiohttp.test_utils import TestServer

from apiary import EntryPointSource
from apiary.testing import host_with_upstreams, origin_of

API = "https://api.github.com"
TOKEN = "t0ken"
AUTH = {"auth_type": "PlatformOauth2", "credentials": {"access_token": TOKEN}}
USER_ID = 583231
REPO_ID = 1296269


# ---- recorded-style payloads --------------------------------------------------


def _user(login: str, user_id: int, kind: str = "User") -> dict[str, Any]:
    return {
        "login": login,
        "id": user_id,
        "node_id": "MDQ6VXNlcjE=",
        "avatar_url": f"https://avatars.githubusercontent.com/u/{user_id}?v=4",
        "gravatar_id": "",
        "url": f"{API}/users/{login}",
        "html_url": f"https://github.com/{login}",
        "type": kind,
        "site_admin": False,
    }


OCTOCAT = _user("octocat", USER_ID)
HUBOT = _user("hubot", 2)

PROFILE = {
    **OCTOCAT,
    "name": "Mona Lisa Octocat",
    "company": "@github",
    "blog": "https://github.blog",
    "location": "San Francisco",
    "email": "octocat@github.com",
    "bio": "There once was...",
    "public_repos": 8,
    "followers": 20,
    "following": 0,
    "created_at": "2011-01-25T18:44:36Z",
    "updated_at": "2024-03-01T09:00:00Z",
}


def _repo(owner: dict[str, Any], name: str, repo_id: int, **extra: Any) -> dict[str, Any]:
    full = f"{owner['login']}/{name}"
    return {
        "id": repo_id,
        "node_id": "MDEwOlJlcG9zaXRvcnkxMjk2MjY5",
        "name": name,
        "full_name": full,
        "owner": owner,
        "private": False,
        "html_url": f"https://github.com/{full}",
        "description": f"The {name} repository",
        "fork": False,
        "url": f"{API}/repos/{full}",
        "issues_url": f"{API}/repos/{full}/issues{{/number}}",
        "created_at": "2011-01-26T19:01:12Z",
        "updated_at": "2024-02-26T19:14:43Z",
        "pushed_at": "2024-02-26T19:06:43Z",
        "homepage": None,
        "size": 108,
        "stargazers_count": 80 + repo_id % 7,
        "watchers_count": 80,
        "language": "Python",
        "has_issues": True,
        "forks_count": 9,
        "archived": False,
        "disabled": False,
        "open_issues_count": 2,
        "license": {"key": "mit", "name": "MIT License", "spdx_id": "MIT"},
        "topics": ["octocat", "api"],
        "visibility": "public",
        "default_branch": "main",
        "permissions": {"admin": True, "push": True, "pull": True},
        **extra,
    }


LABELS = {
    "bug": {
        "id": 208045946,
        "node_id": "MDU6TGFiZWwyMDgwNDU5NDY=",
        "name": "bug",
        "color": "f29513",
        "default": True,
    },
    "docs": {
        "id": 208045947,
        "node_id": "MDU6TGFiZWwyMDgwNDU5NDc=",
        "name": "docs",
        "color": "0075ca",
        "default": False,
    },
}


def _issue(owner: str, repo: str, number: int, title: str, **extra: Any) -> dict[str, Any]:
    full = f"{owner}/{repo}"
    labels = [LABELS[name] for name in extra.pop("labels", [])]
    assignees = extra.pop("assignees", [])
    issue = {
        "id": 1000000 + number,
        "node_id": "MDU6SXNzdWUx",
        "url": f"{API}/repos/{full}/issues/{number}",
        "repository_url": f"{API}/repos/{full}",
        "labels_url": f"{API}/repos/{full}/issues/{number}/labels{{/name}}",
        "comments_url": f"{API}/repos/{full}/issues/{number}/comments",
        "html_url": f"https://github.com/{full}/issues/{number}",
        "number": number,
        "state": "open",
        "state_reason": None,
        "title": title,
        "body": f"Body of #{number}: {title}",
        "user": OCTOCAT,
        "labels": labels,
        "assignee": assignees[0] if assignees else None,
        "assignees": assignees,
        "milestone": None,
        "locked": False,
        "active_lock_reason": None,
        "comments": number % 3,
        "closed_at": None,
        "created_at": f"2024-01-{number:02d}T10:00:00Z",
        "updated_at": f"2024-02-{number:02d}T10:00:00Z",
        "closed_by": None,
        "author_association": "OWNER",
        "reactions": {"url": f"{API}/repos/{full}/issues/{number}/reactions", "total_count": 0, "+1": 0},
    }
    issue.update(extra)
    return issue


def _hello_world_issues() -> list[dict[str, Any]]:
    issues = []
    for number in range(1, 8):
        extra: dict[str, Any] = {}
        if number in (1, 3, 5):
            extra["labels"] = ["bug"]
        if number == 3:
            extra["labels"] = ["bug", "docs"]
            extra["assignees"] = [HUBOT]
            extra["milestone"] = {"id": 1002604, "number": 1, "title": "v1.0", "state": "open"}
        if number == 4:
            extra["pull_request"] = {"url": f"{API}/repos/octocat/hello-world/pulls/4", "merged_at": None}
        if number in (6, 7):
            extra.update(state="closed", state_reason="completed", closed_at=f"2024-03-{number:02d}T12:00:00Z")
        title = "Crash when the spoon bends" if number == 1 else f"Issue number {number}"
        issues.append(_issue("octocat", "hello-world", number, title, **extra))
    return issues


# ---- the fake -------------------------------------------------------------------


@dataclass
class Seen:
    method: str
    path: str
    query: dict[str, str]
    headers: dict[str, str]
    body: Any


@dataclass
class FakeGitHub:
    server: TestServer | None = None
    requests: list[Seen] = field(default_factory=list)
    user_repos: list[dict[str, Any]] = field(default_factory=list)
    owner_repos: dict[str, list[dict[str, Any]]] = field(default_factory=dict)
    issues: dict[tuple[str, str], list[dict[str, Any]]] = field(default_factory=dict)
    created_issues: list[dict[str, Any]] = field(default_factory=list)
    comments: list[dict[str, Any]] = field(default_factory=list)
    failures: dict[str, tuple[int, Any, dict[str, str]]] = field(default_factory=dict)
    # How Link headers are written: "github" as GitHub does, "loose" with
    # bare rel values, odd spacing and extra parameters holding commas.
    link_style: str = "github"
    # When set, rel="next" links point at this origin instead of GitHub's.
    next_origin: str = API

    def fail(self, path: str, status: int, body: Any = None, headers: dict[str, str] | None = None) -> None:
        """Answer every request for ``path`` with ``status``."""
        self.failures[path] = (status, body if body is not None else {"message": f"status {status}"}, headers or {})

    def seen(self, path: str, method: str | None = None) -> list[Seen]:
        return [r for r in self.requests if r.path == path and (method is None or r.method == method)]


def _error(status: int, message: str, **extra: Any) -> web.Response:
    body = {"message": message, "documentation_url": "https://docs.github.com/rest", "status": str(status), **extra}
    return web.json_response(body, status=status)


def _paginated(request: web.Request, fake: FakeGitHub, items: list[Any], link_path: str, wrap=None) -> web.Response:
    per_page = max(1, min(100, int(request.query.get("per_page", 30))))
    page = max(1, int(request.query.get("page", 1)))
    last = max(1, -(-len(items) // per_page))
    chunk = items[(page - 1) * per_page : page * per_page]

    def link(number: int, origin: str = API) -> str:
        query = {**request.query, "page": str(number)}
        return f"{origin}{link_path}?{urlencode(query)}"

    rels = []
    if page < last:
        rels += [(link(page + 1, fake.next_origin), "next"), (link(last), "last")]
    if page > 1:
        rels += [(link(1), "first"), (link(page - 1), "prev")]
    response = web.json_response(wrap(chunk) if wrap else chunk)
    if rels:
        if fake.link_style == "loose":
            response.headers["link"] = " ,".join(f"<{url}>;rel={rel}  ;  title=\"p, q\"" for url, rel in rels)
        else:
            response.headers["Link"] = ", ".join(f'<{url}>; rel="{rel}"' for url, rel in rels)
    return response


_JSON = web.RequestKey("json", object)


def _app(fake: FakeGitHub) -> web.Application:
    @web.middleware
    async def gatekeeper(request: web.Request, handler: Any) -> web.StreamResponse:
        body = None
        if request.can_read_body:
            text = await request.text()
            try:
                body = json.loads(text)
            except ValueError:
                body = text
        fake.requests.append(Seen(request.method, request.path, dict(request.query), dict(request.headers), body))
        if request.headers.get("Authorization") != f"Bearer {TOKEN}":
            return _error(401, "Bad credentials")
        if request.path in fake.failures:
            status, payload, headers = fake.failures[request.path]
            return web.json_response(payload, status=status, headers=headers)
        request[_JSON] = body
        return await handler(request)

    def repo_issues(owner: str, repo: str) -> list[dict[str, Any]] | None:
        return fake.issues.get((owner.lower(), repo.lower()))

    async def user(request: web.Request) -> web.Response:
        return web.json_response(PROFILE)

    async def user_repos(request: web.Request) -> web.Response:
        repos = fake.user_repos
        kind = request.query.get("type", "all")
        if kind == "private":
            repos = [r for r in repos if r["private"]]
        elif kind == "public":
            repos = [r for r in repos if not r["private"]]
        return _paginated(request, fake, repos, "/user/repos")

    async def owner_repos(request: web.Request) -> web.Response:
        owner = request.match_info["owner"]
        if owner not in fake.owner_repos:
            return _error(404, "Not Found")
        return _paginated(request, fake, fake.owner_repos[owner], f"/users/{owner}/repos")

    def filtered(request: web.Request, issues: list[dict[str, Any]]) -> list[dict[str, Any]]:
        state = request.query.get("state", "open")
        if state != "all":
            issues = [i for i in issues if i["state"] == state]
        for label in filter(None, request.query.get("labels", "").split(",")):
            issues = [i for i in issues if label in {each["name"] for each in i["labels"]}]
        return issues

    async def list_issues(request: web.Request) -> web.Response:
        issues = repo_issues(request.match_info["owner"], request.match_info["repo"])
        if issues is None:
            return _error(404, "Not Found")
        # Like GitHub, next links address the repository by id.
        return _paginated(request, fake, filtered(request, issues), f"/repositories/{REPO_ID}/issues")

    async def list_issues_by_id(request: web.Request) -> web.Response:
        if int(request.match_info["repo_id"]) != REPO_ID:
            return _error(404, "Not Found")
        issues = filtered(request, fake.issues[("octocat", "hello-world")])
        return _paginated(request, fake, issues, f"/repositories/{REPO_ID}/issues")

    async def get_issue(request: web.Request) -> web.Response:
        issues = repo_issues(request.match_info["owner"], request.match_info["repo"]) or []
        number = int(request.match_info["number"])
        for issue in issues:
            if issue["number"] == number:
                return web.json_response(issue)
        return _error(404, "Not Found")

    async def create_issue(request: web.Request) -> web.Response:
        owner, repo = request.match_info["owner"], request.match_info["repo"]
        issues = repo_issues(owner, repo)
        if issues is None:
            return _error(404, "Not Found")
        payload = request[_JSON]
        if not isinstance(payload, dict) or not payload.get("title"):
            return _error(
                422, "Validation Failed", errors=[{"resource": "Issue", "field": "title", "code": "missing_field"}]
            )
        for login in payload.get("assignees", []):
            if login not in ("octocat", "hubot"):
                return _error(
                    422,
                    "Validation Failed",
                    errors=[{"value": login, "resource": "Issue", "field": "assignees", "code": "invalid"}],
                )
        issue = _issue(
            owner,
            repo,
            len(issues) + 1,
            payload["title"],
            body=payload.get("body"),
            labels=[name for name in payload.get("labels", []) if name in LABELS],
            assignees=[_user(login, 9) for login in payload.get("assignees", [])],
            comments=0,
            created_at="2024-04-01T08:30:00Z",
            updated_at="2024-04-01T08:30:00Z",
        )
        issues.append(issue)
        fake.created_issues.append(payload)
        return web.json_response(issue, status=201)

    async def create_comment(request: web.Request) -> web.Response:
        owner, repo = request.match_info["owner"], request.match_info["repo"]
        number = int(request.match_info["number"])
        if not any(i["number"] == number for i in repo_issues(owner, repo) or []):
            return _error(404, "Not Found")
        payload = request[_JSON]
        if not isinstance(payload, dict) or not payload.get("body"):
            return _error(
                422,
                "Validation Failed",
                errors=[{"resource": "IssueComment", "field": "body", "code": "missing_field"}],
            )
        comment_id = 1200 + len(fake.comments)
        full = f"{owner}/{repo}"
        fake.comments.append(payload)
        return web.json_response(
            {
                "id": comment_id,
                "node_id": "MDEyOklzc3VlQ29tbWVudDE=",
                "url": f"{API}/repos/{full}/issues/comments/{comment_id}",
                "html_url": f"https://github.com/{full}/issues/{number}#issuecomment-{comment_id}",
                "issue_url": f"{API}/repos/{full}/issues/{number}",
                "body": payload["body"],
                "user": OCTOCAT,
                "created_at": "2024-04-02T09:15:00Z",
                "updated_at": "2024-04-02T09:15:00Z",
                "author_association": "OWNER",
            },
            status=201,
        )

    async def search(request: web.Request) -> web.Response:
        words, wanted_repo, kind = [], None, None
        for token in request.query.get("q", "").split():
            name, sep, value = token.partition(":")
            if not sep:
                words.append(token.lower())
            elif name == "repo":
                wanted_repo = value.lower()
            elif name == "is" and value in ("issue", "pr"):
                kind = value
            else:
                return _error(
                    422,
                    "Validation Failed",
                    errors=[
                        {
                            "message": f"The qualifier {name!r} is not supported.",
                            "resource": "Search",
                            "field": "q",
                            "code": "invalid",
                        }
                    ],
                )
        matches = []
        for (owner, repo), issues in fake.issues.items():
            if wanted_repo not in (None, f"{owner}/{repo}"):
                continue
            for issue in issues:
                if kind == "issue" and "pull_request" in issue or kind == "pr" and "pull_request" not in issue:
                    continue
                if all(word in issue["title"].lower() for word in words):
                    matches.append({**issue, "score": 1.0})
        wrap = lambda chunk: {"total_count": len(matches), "incomplete_results": False, "items": chunk}  # noqa: E731
        return _paginated(request, fake, matches, "/search/issues", wrap)

    app = web.Application(middlewares=[gatekeeper])
    app.router.add_get("/user", user)
    app.router.add_get("/user/repos", user_repos)
    app.router.add_get("/users/{owner}/repos", owner_repos)
    app.router.add_get("/repos/{owner}/{repo}/issues", list_issues)
    app.router.add_post("/repos/{owner}/{repo}/issues", create_issue)
    app.router.add_get("/repositories/{repo_id}/issues", list_issues_by_id)
    app.router.add_get("/repos/{owner}/{repo}/issues/{number:\\d+}", get_issue)
    app.router.add_post("/repos/{owner}/{repo}/issues/{number:\\d+}/comments", create_comment)
    app.router.add_get("/search/issues", search)
    return app


@pytest.fixture
async def github():
    """A started fake GitHub, loaded with octocat's data."""
    fake = FakeGitHub()
    fake.user_repos = [
        _repo(OCTOCAT, name, 1296260 + index, private=(name == "secret-plans"))
        for index, name in enumerate(["hello-world", "linguist", "octo-app", "secret-plans", "spoon-knife"])
    ]
    fake.owner_repos = {
        "octo-org": [_repo(_user("octo-org", 9919, "Organization"), f"repo-{i}", 2000 + i) for i in range(3)]
    }
    fake.issues = {("octocat", "hello-world"): _hello_world_issues(), ("octocat", "empty"): []}
    fake.server = TestServer(_app(fake), host="127.0.0.1")
    await fake.server.start_server()
    try:
        yield fake
    finally:
        await fake.server.close()


class _GitHubOnly:
    """The installed ``github`` entry point alone, so these tests do not
    depend on the state of other installed integrations."""

    def discover(self):
        return [found for found in EntryPointSource().discover() if found.id == "github"]


@pytest.fixture
def make_host(github):
    """``async with make_host(config) as host``: a real host (more host
    config optional) whose requests for https://api.github.com go to the fake."""

    def make(config: dict[str, Any] | None = None):
        return host_with_upstreams({API: origin_of(github.server)}, config=config, sources=[_GitHubOnly()])

    return make


@pytest.fixture
async def host(make_host):
    async with make_host() as entered:
        yield entered


@pytest.fixture
def auth():
    return {"auth_type": "PlatformOauth2", "credentials": {"access_token": TOKEN}}


@pytest.fixture
def call(host, auth):
    """``await call(action, inputs)`` through the host with the fake's token."""

    async def run(action: str, inputs: dict[str, Any], **kwargs: Any):
        kwargs.setdefault("auth", auth)
        return await host.call("github", action, inputs, **kwargs)

    return run


# ---- output schema conformance, formats included ------------------------------------


def _format_checker():
    from jsonschema import FormatChecker

    checker = FormatChecker(formats=())

    @checker.checks("date-time", raises=ValueError)
    def date_time(value: Any) -> bool:
        if not isinstance(value, str):
            return True
        if "T" not in value.upper():
            raise ValueError(f"{value!r} has no time part")
        return datetime.fromisoformat(value.replace("Z", "+00:00")).tzinfo is not None

    @checker.checks("uri")
    def uri(value: Any) -> bool:
        if not isinstance(value, str):
            return True
        parts = urlsplit(value)
        return bool(parts.scheme in ("http", "https") and parts.netloc)

    return checker


@pytest.fixture
def conforms(host):
    """``conforms(action, data)`` asserts ``data`` matches the action's output
    schema, checking the date-time and uri formats too."""
    from jsonschema import Draft7Validator

    config = host.registry.get("github").config
    checker = _format_checker()

    def check(action: str, data: Any) -> None:
        validator = Draft7Validator(config["actions"][action]["output_schema"], format_checker=checker)
        errors = [f"{list(e.absolute_path)}: {e.message}" for e in validator.iter_errors(data)]
        assert not errors, errors

    return check
