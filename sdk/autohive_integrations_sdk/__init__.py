"""Apiary's drop-in implementation of the Autohive Integrations SDK 2.x API.

An integration is a ``config.json`` plus handlers registered on the
``Integration`` loaded from it::

    from autohive_integrations_sdk import Integration, ActionHandler, ActionResult

    integration = Integration.load()

    @integration.action("get_thing")
    class GetThing(ActionHandler):
        async def execute(self, inputs, context):
            response = await context.fetch(f"https://api.example.com/things/{inputs['id']}")
            return ActionResult(data=response.data)
"""

from ._context import UpstreamAttempt
from ._cookies import PerCallCookieJar
from ._errors import ResponseTooLargeError
from ._version import __version__
from .integration import (
    ActionError,
    ActionHandler,
    ActionResult,
    ConnectedAccountHandler,
    ConnectedAccountInfo,
    ExecutionContext,
    FetchResponse,
    HTTPError,
    Integration,
    IntegrationResult,
    PollingTriggerHandler,
    RateLimitError,
    ResultType,
    ValidationError,
)

# Apiary's mark: `apiary` reads this line (without importing the package) to
# tell our SDK from the reference one pip may have installed over it.
__apiary_sdk__ = True

__all__ = [
    "ActionError",
    "ActionHandler",
    "ActionResult",
    "ConnectedAccountHandler",
    "ConnectedAccountInfo",
    "ExecutionContext",
    "FetchResponse",
    "HTTPError",
    "Integration",
    "IntegrationResult",
    "PerCallCookieJar",
    "PollingTriggerHandler",
    "RateLimitError",
    "ResponseTooLargeError",
    "ResultType",
    "UpstreamAttempt",
    "ValidationError",
    "__version__",
]
