"""Base classes integrations subclass to implement actions, triggers and
connected-account lookups. One instance is created per execution."""

from __future__ import annotations

from abc import ABC, abstractmethod
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from ._context import ExecutionContext
    from ._results import ConnectedAccountInfo


class ActionHandler(ABC):
    """Implements one action; register it with ``@integration.action(name)``.

    ``execute`` receives inputs already validated against the action's input
    schema and returns an ``ActionResult`` (or an ``ActionError``).
    """

    @abstractmethod
    async def execute(self, inputs: dict[str, Any], context: ExecutionContext) -> Any:
        """Run the action."""


class PollingTriggerHandler(ABC):
    """Implements one polling trigger; register it with
    ``@integration.polling_trigger(name)``.

    ``poll`` returns the records that appeared since ``last_poll_ts``, each a
    dict with a stable ``id`` and ``data`` matching the trigger's output
    schema.
    """

    @abstractmethod
    async def poll(
        self,
        inputs: dict[str, Any],
        last_poll_ts: str | None,
        context: ExecutionContext,
    ) -> list[dict[str, Any]]:
        """Return the new records."""


class ConnectedAccountHandler(ABC):
    """Says whose account the credentials belong to; register it with
    ``@integration.connected_account()``."""

    @abstractmethod
    async def get_account_info(self, context: ExecutionContext) -> ConnectedAccountInfo:
        """Return the account's details."""
