"""The values handlers return and the SDK hands back to its caller.

Field names and order, enum names and values are public API: results are
serialised with ``dataclasses.asdict`` and compared by value in tests.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import Enum
from typing import Any


class AuthType(Enum):
    """How an integration authenticates.

    Only ``PlatformOauth2`` changes what ``fetch()`` does: it adds
    ``Authorization: Bearer <access_token>``. The other kinds leave the
    integration to read its fields from ``context.auth``.
    """

    PlatformOauth2 = "PlatformOauth2"
    PlatformTeams = "PlatformTeams"
    ApiKey = "ApiKey"
    Basic = "Basic"
    Custom = "Custom"


class ResultType(Enum):
    """What an ``IntegrationResult`` carries."""

    ACTION = "action"
    ACTION_ERROR = "action_error"
    CONNECTED_ACCOUNT = "connected_account"
    ERROR = "error"
    VALIDATION_ERROR = "validation_error"


@dataclass
class FetchResponse:
    """An upstream response as ``fetch()`` returns it.

    ``data`` is the parsed JSON when the response says it is JSON, the text
    otherwise, and ``None`` when a 200/201/204 response has no body.
    """

    status: int
    headers: dict[str, str]
    data: Any


@dataclass
class ActionResult:
    """What an action handler returns on success; ``data`` must match the
    action's output schema. ``cost_usd`` is optional billing information."""

    data: Any
    cost_usd: float | None = None


@dataclass
class ActionError:
    """What an action handler returns for an expected failure ("user not
    found"). It reaches the caller as ``ACTION_ERROR`` without output schema
    validation."""

    message: str
    cost_usd: float | None = None


@dataclass
class ConnectedAccountInfo:
    """Who the credentials belong to; every field is optional."""

    email: str | None = None
    first_name: str | None = None
    last_name: str | None = None
    username: str | None = None
    user_id: str | None = None
    avatar_url: str | None = None
    organization: str | None = None


@dataclass
class IntegrationResult:
    """The envelope every execution returns: SDK version, kind, payload.

    ``result`` is an ``ActionResult``, ``ActionError`` or
    ``ConnectedAccountInfo``; for ``VALIDATION_ERROR`` (and the host's
    ``ERROR``) it is a plain dict describing the problem.
    """

    version: str
    type: ResultType
    result: ActionResult | ActionError | ConnectedAccountInfo | dict[str, Any]
