"""The core module: ``Integration`` and, re-exported, everything it works with.

Integrations import from here or from the package; both surfaces hold the
same names as the reference SDK's ``autohive_integrations_sdk.integration``.
"""

from __future__ import annotations

import sys
from collections.abc import Callable, Mapping
from datetime import timedelta
from pathlib import Path
from types import FrameType, MappingProxyType
from typing import Any, TypeVar

from . import _config, _validation
from ._config import (
    Action,
    IntegrationConfig,
    Parameter,
    PollingTrigger,
    SchemaDefinition,
)
from ._context import ExecutionContext
from ._errors import ConfigurationError, HTTPError, RateLimitError, ValidationError
from ._handlers import ActionHandler, ConnectedAccountHandler, PollingTriggerHandler
from ._results import (
    ActionError,
    ActionResult,
    AuthType,
    ConnectedAccountInfo,
    FetchResponse,
    IntegrationResult,
    ResultType,
)
from ._version import __version__

__all__ = [
    "Action",
    "ActionError",
    "ActionHandler",
    "ActionResult",
    "AuthType",
    "ConfigurationError",
    "ConnectedAccountHandler",
    "ConnectedAccountInfo",
    "ExecutionContext",
    "FetchResponse",
    "HTTPError",
    "Integration",
    "IntegrationConfig",
    "IntegrationResult",
    "Parameter",
    "PollingTrigger",
    "PollingTriggerHandler",
    "RateLimitError",
    "ResultType",
    "SchemaDefinition",
    "ValidationError",
    "__version__",
]

H = TypeVar("H", bound=type)

_SDK_PACKAGE = __name__.rpartition(".")[0]


def _in_sdk(module_name: str) -> bool:
    return module_name == _SDK_PACKAGE or module_name.startswith(_SDK_PACKAGE + ".")


def _caller_file() -> str | None:
    """``__file__`` of the first frame outside this SDK, if it has one."""
    frame: FrameType | None = sys._getframe(1)
    while frame is not None and _in_sdk(frame.f_globals.get("__name__", "")):
        frame = frame.f_back
    return frame.f_globals.get("__file__") if frame is not None else None


def _is_wrapped_auth(auth: Any, fields_schema: Any) -> bool:
    """Whether ``auth`` is the platform's ``{"auth_type", "credentials"}`` form.

    An integration whose own auth fields include ``credentials`` is taken at
    its word and validated flat.
    """
    if not isinstance(auth, Mapping) or not isinstance(auth.get("credentials"), Mapping):
        return False
    if not set(auth) <= {"auth_type", "credentials"}:
        return False
    declared = fields_schema.get("properties", {}) if isinstance(fields_schema, Mapping) else {}
    return "credentials" not in declared


class Integration:
    """An integration: its parsed ``config.json`` and its registered handlers.

    Build one with ``Integration.load()``, register handlers with the
    ``action``, ``polling_trigger`` and ``connected_account`` decorators, run
    them with ``execute_action``, ``execute_polling_trigger`` and
    ``get_connected_account``. Every JSON Schema is compiled on first use
    and reused for the life of the integration.
    """

    def __init__(self, config: IntegrationConfig) -> None:
        self.config = config
        self._action_handlers: dict[str, type[ActionHandler]] = {}
        self._polling_handlers: dict[str, type[PollingTriggerHandler]] = {}
        self._connected_account_handler: type[ConnectedAccountHandler] | None = None
        self._schemas: dict[tuple[Any, ...], _validation.CompiledSchema] = {}

    # ---- loading -----------------------------------------------------------

    @classmethod
    def load(cls, config_path: str | Path | None = None) -> Integration:
        """Load an integration from its ``config.json``.

        Without a path, the ``config.json`` beside the calling module is
        used (or above it, through the packages it sits in), then the one of
        the vendored layout. Raises ``ConfigurationError`` when no file is
        found or it is not a valid configuration.
        """
        if config_path is None:
            candidates = _config.config_candidates(_caller_file(), __file__)
            config_path = next((path for path in candidates if path.is_file()), None)
            if config_path is None:
                tried = ", ".join(str(path) for path in candidates)
                raise ConfigurationError(f"Configuration file not found; looked for config.json at: {tried}")
        return cls(_config.read_config(config_path))

    @staticmethod
    def _parse_interval(interval_str: str) -> timedelta:
        return _config.parse_interval(interval_str)

    @classmethod
    def _parse_actions(cls, actions_config: dict[str, Any]) -> dict[str, Action]:
        return _config.parse_actions(actions_config)

    @classmethod
    def _parse_polling_triggers(cls, triggers_config: dict[str, Any]) -> dict[str, PollingTrigger]:
        return _config.parse_polling_triggers(triggers_config)

    # ---- registration ------------------------------------------------------

    def action(self, name: str) -> Callable[[H], H]:
        """Register the decorated ``ActionHandler`` for action ``name``."""

        def register(handler_class: H) -> H:
            if name not in self.config.actions:
                raise ConfigurationError(f"Action '{name}' not defined in config")
            self._action_handlers[name] = handler_class
            return handler_class

        return register

    def polling_trigger(self, name: str) -> Callable[[H], H]:
        """Register the decorated ``PollingTriggerHandler`` for trigger ``name``."""

        def register(handler_class: H) -> H:
            if name not in self.config.polling_triggers:
                raise ConfigurationError(f"Polling trigger '{name}' not defined in config")
            self._polling_handlers[name] = handler_class
            return handler_class

        return register

    def connected_account(self) -> Callable[[H], H]:
        """Register the decorated ``ConnectedAccountHandler``."""

        def register(handler_class: H) -> H:
            self._connected_account_handler = handler_class
            return handler_class

        return register

    # ---- what is registered (an addition to the reference API) ---------------
    #
    # Read-only views for hosts and checks, so they need not read the private
    # attributes the reference keeps (which integrations' own tests still use).

    @property
    def action_handlers(self) -> Mapping[str, type[ActionHandler]]:
        """The registered ``ActionHandler`` classes by action name (read-only)."""
        return MappingProxyType(self._action_handlers)

    @property
    def polling_trigger_handlers(self) -> Mapping[str, type[PollingTriggerHandler]]:
        """The registered ``PollingTriggerHandler`` classes by trigger name (read-only)."""
        return MappingProxyType(self._polling_handlers)

    @property
    def connected_account_handler(self) -> type[ConnectedAccountHandler] | None:
        """The registered ``ConnectedAccountHandler`` class, or ``None``."""
        return self._connected_account_handler

    # ---- validation --------------------------------------------------------

    def _schema(self, key: tuple[Any, ...], schema: Any, label: Callable[[], str]) -> _validation.CompiledSchema:
        """The compiled ``schema`` cached under ``key``; ``label`` names it in errors."""
        compiled = self._schemas.get(key)
        if compiled is None:
            compiled = self._schemas[key] = _validation.compile_schema(schema, label())
        return compiled

    def _definition_schema(self, definition: SchemaDefinition, role: str) -> _validation.CompiledSchema:
        def label() -> str:
            kind = "polling trigger" if isinstance(definition, PollingTrigger) else "action"
            return f"{role} of {kind} {definition.name!r}"

        return self._schema((type(definition), definition.name, role), getattr(definition, role), label)

    def compile_schemas(self) -> None:
        """Compile every schema now rather than on first use.

        Raises ``ConfigurationError`` naming the first schema that is not
        valid JSON Schema. Hosts call this when loading an integration, so a
        broken schema is reported before any call reaches it.
        """
        if self._auth_fields():
            self._auth_schema(self._auth_fields())
        for definition in (*self.config.actions.values(), *self.config.polling_triggers.values()):
            self._definition_schema(definition, "input_schema")
            if definition.output_schema is not None:
                self._definition_schema(definition, "output_schema")

    def _auth_schema(self, fields: Any) -> _validation.CompiledSchema:
        return self._schema(("auth",), fields, lambda: "auth fields of config.json")

    def _auth_fields(self) -> Any:
        return self.config.auth.get("fields") if isinstance(self.config.auth, Mapping) else None

    def _check_auth(self, auth: Any) -> None:
        fields = self._auth_fields()
        if not fields:
            return
        if _is_wrapped_auth(auth, fields):
            auth = auth["credentials"]
        _validation.check(self._auth_schema(fields), auth, source="input", secret=True)

    def check_auth(self, auth: Any) -> None:
        """Raise ``ValidationError`` when ``auth`` fails ``auth.fields`` (an
        addition: hosts check the credentials they resolved before a call,
        with the same rules and secret-safe messages as ``execute_action``)."""
        self._check_auth(auth)

    def _check_inputs(self, definition: SchemaDefinition, inputs: Any) -> None:
        _validation.check(self._definition_schema(definition, "input_schema"), inputs, source="input")

    def _check_output(self, definition: SchemaDefinition, data: Any) -> None:
        if definition.output_schema is not None:
            _validation.check(self._definition_schema(definition, "output_schema"), data, source="output")

    # ---- execution ---------------------------------------------------------

    async def execute_action(self, name: str, inputs: dict[str, Any], context: ExecutionContext) -> IntegrationResult:
        """Validate, run and check one action.

        Returns ``ACTION`` with the handler's ``ActionResult``,
        ``ACTION_ERROR`` with its ``ActionError``, or ``VALIDATION_ERROR``
        with ``{"message", "property", "value", "source", "errors"}``. An exception
        raised by the handler propagates unchanged.
        """
        try:
            handler_class = self._action_handlers.get(name)
            if handler_class is None:
                raise ValidationError(f"Action '{name}' not registered")
            action = self.config.actions[name]
            self._check_inputs(action, inputs)
            self._check_auth(context.auth)

            result = await handler_class().execute(inputs, context)

            if isinstance(result, ActionError):
                return IntegrationResult(version=__version__, type=ResultType.ACTION_ERROR, result=result)
            if not isinstance(result, ActionResult):
                raise ValidationError(
                    f"Action handler '{name}' must return ActionResult or ActionError, got {type(result).__name__}",
                    source="output",
                )
            self._check_output(action, result.data)
            return IntegrationResult(version=__version__, type=ResultType.ACTION, result=result)
        except ValidationError as error:
            return IntegrationResult(
                version=__version__,
                type=ResultType.VALIDATION_ERROR,
                result={
                    "message": str(error),
                    "property": error.property,
                    "value": error.value,
                    "source": error.source,
                    "errors": error.errors,  # an addition: every schema error, {"property", "message"}
                },
            )

    async def execute_polling_trigger(
        self,
        name: str,
        inputs: dict[str, Any],
        last_poll_ts: str | None,
        context: ExecutionContext,
    ) -> list[dict[str, Any]]:
        """Validate and run one polling trigger; return its records.

        Inputs and auth are validated exactly as for actions. Each record
        must be an object with ``id`` and ``data``, and ``data`` must match
        the trigger's output schema. Any failure raises ``ValidationError``.
        """
        handler_class = self._polling_handlers.get(name)
        if handler_class is None:
            raise ValidationError(f"Polling trigger '{name}' not registered")
        trigger = self.config.polling_triggers[name]
        self._check_inputs(trigger, inputs)
        self._check_auth(context.auth)

        records = await handler_class().poll(inputs, last_poll_ts, context)

        if not isinstance(records, list):
            raise ValidationError(
                f"Polling trigger '{name}' must return a list of records, got {type(records).__name__}",
                source="output",
            )
        for index, record in enumerate(records):
            for key in ("id", "data"):
                if not isinstance(record, Mapping) or key not in record:
                    raise ValidationError(
                        f"Polling trigger '{name}' returned record without required '{key}' field",
                        source="output",
                        property=f"[{index}].{key}",
                    )
            self._check_output(trigger, record["data"])
        return records

    async def get_connected_account(self, context: ExecutionContext) -> IntegrationResult:
        """Run the connected-account handler; return ``CONNECTED_ACCOUNT``.

        Raises ``ValidationError`` when no handler is registered, the auth
        fails its schema, or the handler returns something other than a
        ``ConnectedAccountInfo``.
        """
        if self._connected_account_handler is None:
            raise ValidationError("No connected account handler registered")
        self._check_auth(context.auth)
        info = await self._connected_account_handler().get_account_info(context)
        if not isinstance(info, ConnectedAccountInfo):
            raise ValidationError(
                f"Connected account handler must return ConnectedAccountInfo, got {type(info).__name__}",
                source="output",
            )
        return IntegrationResult(version=__version__, type=ResultType.CONNECTED_ACCOUNT, result=info)
