"""The public API surface integrations and their tests are written against."""

import dataclasses
import subprocess
import sys
from datetime import timedelta

import pytest

import autohive_integrations_sdk
import autohive_integrations_sdk.integration as integration_module
from autohive_integrations_sdk.integration import (
    Action,
    ActionError,
    ActionResult,
    AuthType,
    ConfigurationError,
    ConnectedAccountInfo,
    ExecutionContext,
    FetchResponse,
    HTTPError,
    IntegrationConfig,
    IntegrationResult,
    Parameter,
    PollingTrigger,
    RateLimitError,
    ResultType,
    SchemaDefinition,
    ValidationError,
)

PACKAGE_NAMES = [
    "Integration",
    "ExecutionContext",
    "ActionHandler",
    "PollingTriggerHandler",
    "ConnectedAccountHandler",
    "ConnectedAccountInfo",
    "ValidationError",
    "HTTPError",
    "RateLimitError",
    "ActionResult",
    "ActionError",
    "IntegrationResult",
    "ResultType",
    "FetchResponse",
    "__version__",
]
MODULE_ONLY_NAMES = [
    "AuthType",
    "ConfigurationError",
    "Parameter",
    "SchemaDefinition",
    "Action",
    "PollingTrigger",
    "IntegrationConfig",
]


# ours, beyond the reference's surface
PACKAGE_ADDITIONS = ["PerCallCookieJar", "ResponseTooLargeError", "UpstreamAttempt"]


def test_package_all_is_exactly_the_surface():
    """The whole ``__all__``, not a subset: a name added or lost is a decision."""
    assert sorted(autohive_integrations_sdk.__all__) == sorted(PACKAGE_NAMES + PACKAGE_ADDITIONS)


def test_integration_module_all_is_exactly_the_surface():
    assert sorted(integration_module.__all__) == sorted(PACKAGE_NAMES + MODULE_ONLY_NAMES)


def test_typed_package():
    """PEP 561: integrations type-check against the SDK's annotations."""
    from importlib.resources import files

    assert files("autohive_integrations_sdk").joinpath("py.typed").is_file()


@pytest.mark.parametrize("name", PACKAGE_NAMES)
def test_package_exports(name):
    assert hasattr(autohive_integrations_sdk, name)
    assert name in autohive_integrations_sdk.__all__


@pytest.mark.parametrize("name", PACKAGE_NAMES + MODULE_ONLY_NAMES)
def test_integration_module_exports(name):
    assert hasattr(integration_module, name)
    assert name in integration_module.__all__


@pytest.mark.parametrize("name", PACKAGE_NAMES)
def test_same_objects_in_package_and_module(name):
    assert getattr(autohive_integrations_sdk, name) is getattr(integration_module, name)


def test_star_import():
    namespace = {}
    exec("from autohive_integrations_sdk import *", namespace)
    assert set(PACKAGE_NAMES) <= set(namespace)
    namespace = {}
    exec("from autohive_integrations_sdk.integration import *", namespace)
    assert set(PACKAGE_NAMES + MODULE_ONLY_NAMES) <= set(namespace)


def test_version_is_2x():
    assert autohive_integrations_sdk.__version__.split(".")[0] == "2"


# ---- dataclasses and enums ---------------------------------------------------


@pytest.mark.parametrize(
    "cls, fields",
    [
        (FetchResponse, ["status", "headers", "data"]),
        (ActionResult, ["data", "cost_usd"]),
        (ActionError, ["message", "cost_usd"]),
        (
            ConnectedAccountInfo,
            ["email", "first_name", "last_name", "username", "user_id", "avatar_url", "organization"],
        ),
        (IntegrationResult, ["version", "type", "result"]),
        (Parameter, ["name", "type", "description", "enum", "required", "default"]),
        (SchemaDefinition, ["name", "description", "input_schema", "output_schema"]),
        (Action, ["name", "description", "input_schema", "output_schema"]),
        (PollingTrigger, ["name", "description", "input_schema", "output_schema", "polling_interval"]),
        (IntegrationConfig, ["name", "version", "description", "auth", "actions", "polling_triggers"]),
    ],
)
def test_dataclass_fields_in_order(cls, fields):
    assert dataclasses.is_dataclass(cls)
    assert [field.name for field in dataclasses.fields(cls)] == fields


def test_dataclass_defaults():
    assert ActionResult(data=1).cost_usd is None
    assert ActionError(message="m").cost_usd is None
    assert ConnectedAccountInfo() == ConnectedAccountInfo(*[None] * 7)
    assert Parameter("n", "string", "d") == Parameter("n", "string", "d", None, True, None)
    assert Action("a", "d", {}).output_schema is None
    assert PollingTrigger("t", "d", {}).polling_interval == timedelta(0)
    assert issubclass(Action, SchemaDefinition) and issubclass(PollingTrigger, SchemaDefinition)


def test_results_serialise_with_asdict():
    result = IntegrationResult("2.0.0", ResultType.ACTION, ActionResult(data={"a": 1}, cost_usd=0.5))
    assert dataclasses.asdict(result) == {
        "version": "2.0.0",
        "type": ResultType.ACTION,
        "result": {"data": {"a": 1}, "cost_usd": 0.5},
    }


def test_result_type_values():
    assert {member.name: member.value for member in ResultType} == {
        "ACTION": "action",
        "ACTION_ERROR": "action_error",
        "CONNECTED_ACCOUNT": "connected_account",
        "ERROR": "error",
        "VALIDATION_ERROR": "validation_error",
    }


def test_auth_type_values():
    assert {member.name: member.value for member in AuthType} == {
        "PlatformOauth2": "PlatformOauth2",
        "PlatformTeams": "PlatformTeams",
        "ApiKey": "ApiKey",
        "Basic": "Basic",
        "Custom": "Custom",
    }


def test_fetch_response_positional_and_keyword():
    positional = FetchResponse(200, {"X": "1"}, {"a": 1})
    keyword = FetchResponse(status=200, headers={"X": "1"}, data={"a": 1})
    assert positional == keyword
    assert (positional.status, positional.headers, positional.data) == (200, {"X": "1"}, {"a": 1})


# ---- exceptions --------------------------------------------------------------


def test_rate_limit_error_positional():
    error = RateLimitError(30, 429, "Rate limit exceeded", {"detail": "slow"})
    assert (error.retry_after, error.status, error.message, error.response_data) == (
        30, 429, "Rate limit exceeded", {"detail": "slow"}
    )
    assert isinstance(error, HTTPError)
    assert str(error) == "HTTP 429: Rate limit exceeded"


def test_rate_limit_error_keyword():
    error = RateLimitError(retry_after=5, status=429, message="slow down", response_data="text")
    assert (error.retry_after, error.status, error.message, error.response_data) == (5, 429, "slow down", "text")


def test_rate_limit_error_without_response_data():
    error = RateLimitError(60, 429, "x")
    assert error.response_data is None


def test_http_error_attributes():
    error = HTTPError(404, "not found", {"error": "nope"})
    assert (error.status, error.message, error.response_data) == (404, "not found", {"error": "nope"})
    assert str(error) == "HTTP 404: not found"
    assert HTTPError(500, "x").response_data is None
    assert HTTPError(status=500, message="y", response_data=1).response_data == 1


def test_validation_error_attributes():
    error = ValidationError("bad", {"type": "object"}, {"a": 1}, "input")
    assert (error.message, error.schema, error.inputs, error.source) == ("bad", {"type": "object"}, {"a": 1}, "input")
    assert str(error) == "bad"


def test_validation_error_defaults():
    error = ValidationError("bad")
    assert (error.schema, error.inputs, error.source) == (None, None, "legacy")


def test_validation_error_keywords():
    error = ValidationError(message="m", schema={}, inputs=[], source="output")
    assert (error.message, error.schema, error.inputs, error.source) == ("m", {}, [], "output")


def test_exceptions_are_exceptions():
    assert issubclass(ValidationError, Exception)
    assert issubclass(ConfigurationError, Exception)
    assert issubclass(HTTPError, Exception)
    assert not issubclass(ValidationError, HTTPError)


# ---- ExecutionContext --------------------------------------------------------


def test_execution_context_default_auth_is_fresh_per_instance():
    first, second = ExecutionContext(), ExecutionContext()
    assert first.auth == {} and second.auth == {}
    first.auth["api_key"] = "leaked?"
    assert second.auth == {}
    assert ExecutionContext().auth == {}


def test_execution_context_positional_arguments():
    import logging

    logger = logging.getLogger("x")
    context = ExecutionContext({"a": 1}, {"timeout": 5}, {"m": 2}, logger)
    assert context.auth == {"a": 1}
    assert context.config["timeout"] == 5
    assert context.metadata == {"m": 2}
    assert context.logger is logger


def test_execution_context_defaults():
    context = ExecutionContext()
    assert context.metadata == {}
    assert context.config == {"max_retries": 3, "timeout": 30}
    assert context.logger is not None
    assert context._session is None


def test_handler_base_classes_are_abstract():
    for cls in (
        autohive_integrations_sdk.ActionHandler,
        autohive_integrations_sdk.PollingTriggerHandler,
        autohive_integrations_sdk.ConnectedAccountHandler,
    ):
        with pytest.raises(TypeError):
            cls()


def test_integration_private_surface():
    assert callable(autohive_integrations_sdk.Integration._parse_interval)
    assert callable(autohive_integrations_sdk.Integration._parse_actions)
    assert callable(autohive_integrations_sdk.Integration._parse_polling_triggers)
    assert hasattr(autohive_integrations_sdk.Integration.load, "__func__")


# ---- import cost -------------------------------------------------------------


def test_import_does_not_load_jsonschema():
    code = "import sys, autohive_integrations_sdk; print('jsonschema' in sys.modules)"
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "False"
