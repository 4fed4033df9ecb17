"""The GitHub integration: action handlers and the connected-account handler.

Failure policy (also in the README):

- 404/410 on the resource an action names (the repository, the issue, the
  owner) and 422 (GitHub rejected the request, e.g. an invalid search
  query or assignee) are expected outcomes of the inputs: the action
  returns an ``ActionError`` saying what was not found or what GitHub said.
- 401, 403, 5xx, and 404 where the inputs name no resource, propagate as
  ``HTTPError``: the host reports ``upstream_error`` with the status.
- 429, and 403 whose message says "rate limit", raise ``RateLimitError``
  (``upstream_error`` with ``retry_after``).
"""

from __future__ import annotations

from typing import Any

from autohive_integrations_sdk import (
    ActionHandler,
    ActionResult,
    ConnectedAccountHandler,
    ConnectedAccountInfo,
    ExecutionContext,
    HTTPError,
    Integration,
)

from . import normalize
from .api import expected_failure, github_fetch, paginate, path

integration = Integration.load()

DEFAULT_LIMIT = 30
DEFAULT_PER_PAGE = 30
DEFAULT_MAX_PAGES = 10


def _paging(inputs: dict[str, Any]) -> dict[str, int]:
    limit = inputs.get("limit", DEFAULT_LIMIT)
    return {
        "limit": limit,
        "per_page": min(inputs.get("per_page", DEFAULT_PER_PAGE), limit),
        "max_pages": inputs.get("max_pages", DEFAULT_MAX_PAGES),
    }


def _pick(inputs: dict[str, Any], *names: str) -> dict[str, Any]:
    return {name: inputs[name] for name in names if name in inputs}


def _listing(key: str, items: list, has_more: bool) -> dict[str, Any]:
    return {key: items, "count": len(items), "has_more": has_more}


@integration.action("list_repositories")
class ListRepositories(ActionHandler):
    async def execute(self, inputs: dict[str, Any], context: ExecutionContext):
        paging = _paging(inputs)
        owner = inputs.get("owner")
        url = path("users", owner, "repos") if owner else path("user", "repos")
        params = {**_pick(inputs, "type", "sort", "direction"), "per_page": paging["per_page"]}
        try:
            items, has_more, _ = await paginate(
                context, url, params, limit=paging["limit"], max_pages=paging["max_pages"]
            )
        except HTTPError as error:
            return expected_failure(error, f"The user or organization {owner!r}" if owner else None)
        return ActionResult(data=_listing("repositories", [normalize.repository(item) for item in items], has_more))


@integration.action("list_issues")
class ListIssues(ActionHandler):
    async def execute(self, inputs: dict[str, Any], context: ExecutionContext):
        paging = _paging(inputs)
        owner, repo = inputs["owner"], inputs["repo"]
        params: dict[str, Any] = {
            "state": inputs.get("state", "open"),
            **_pick(inputs, "assignee", "creator", "since", "sort", "direction"),
            "per_page": paging["per_page"],
        }
        if inputs.get("labels"):
            params["labels"] = ",".join(inputs["labels"])
        include_pulls = inputs.get("include_pull_requests", False)
        if not include_pulls:
            # Pull requests are filtered out page by page: ask for full pages.
            params["per_page"] = inputs.get("per_page", DEFAULT_PER_PAGE)
        try:
            items, has_more, _ = await paginate(
                context,
                path("repos", owner, repo, "issues"),
                params,
                limit=paging["limit"],
                max_pages=paging["max_pages"],
                keep=lambda item: include_pulls or "pull_request" not in item,
            )
        except HTTPError as error:
            return expected_failure(error, f"The repository {owner}/{repo}")
        return ActionResult(data=_listing("issues", [normalize.issue(item) for item in items], has_more))


@integration.action("get_issue")
class GetIssue(ActionHandler):
    async def execute(self, inputs: dict[str, Any], context: ExecutionContext):
        owner, repo, number = inputs["owner"], inputs["repo"], inputs["issue_number"]
        try:
            response = await github_fetch(context, path("repos", owner, repo, "issues", number))
        except HTTPError as error:
            return expected_failure(error, f"Issue {owner}/{repo}#{number}")
        return ActionResult(data=normalize.issue(response.data, with_body=True))


@integration.action("create_issue")
class CreateIssue(ActionHandler):
    async def execute(self, inputs: dict[str, Any], context: ExecutionContext):
        owner, repo = inputs["owner"], inputs["repo"]
        body = _pick(inputs, "title", "body", "labels", "assignees", "milestone")
        try:
            response = await github_fetch(context, path("repos", owner, repo, "issues"), method="POST", json=body)
        except HTTPError as error:
            return expected_failure(error, f"The repository {owner}/{repo}")
        return ActionResult(data=normalize.issue(response.data, with_body=True))


@integration.action("comment_on_issue")
class CommentOnIssue(ActionHandler):
    async def execute(self, inputs: dict[str, Any], context: ExecutionContext):
        owner, repo, number = inputs["owner"], inputs["repo"], inputs["issue_number"]
        url = path("repos", owner, repo, "issues", number, "comments")
        try:
            response = await github_fetch(context, url, method="POST", json={"body": inputs["body"]})
        except HTTPError as error:
            return expected_failure(error, f"Issue {owner}/{repo}#{number}")
        return ActionResult(data=normalize.comment(response.data, number))


@integration.action("search_issues")
class SearchIssues(ActionHandler):
    async def execute(self, inputs: dict[str, Any], context: ExecutionContext):
        paging = _paging(inputs)
        params = {"q": inputs["q"], **_pick(inputs, "sort", "order"), "per_page": paging["per_page"]}
        try:
            items, has_more, first = await paginate(
                context,
                path("search", "issues"),
                params,
                limit=paging["limit"],
                max_pages=paging["max_pages"],
                items_of=lambda data: data.get("items", []) if isinstance(data, dict) else [],
            )
        except HTTPError as error:
            return expected_failure(error, None)
        first = first if isinstance(first, dict) else {}
        return ActionResult(
            data={
                "total_count": first.get("total_count", len(items)),
                "incomplete_results": bool(first.get("incomplete_results", False)),
                **_listing("items", [normalize.issue(item) for item in items], has_more),
            }
        )


@integration.connected_account()
class GitHubAccount(ConnectedAccountHandler):
    async def get_account_info(self, context: ExecutionContext) -> ConnectedAccountInfo:
        response = await github_fetch(context, path("user"))
        user = response.data if isinstance(response.data, dict) else {}
        first_name, last_name = normalize.split_name(user.get("name"))
        user_id = user.get("id")
        return ConnectedAccountInfo(
            email=user.get("email") or None,
            first_name=first_name,
            last_name=last_name,
            username=user.get("login"),
            user_id=str(user_id) if user_id is not None else None,
            avatar_url=user.get("avatar_url") or None,
            organization=user.get("company") or None,
        )
