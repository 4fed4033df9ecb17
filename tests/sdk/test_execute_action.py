"""Integration.execute_action() and handler registration."""

from unittest.mock import AsyncMock, MagicMock

import pytest

from autohive_integrations_sdk import (
    ActionError,
    ActionHandler,
    ActionResult,
    ConnectedAccountHandler,
    ConnectedAccountInfo,
    ExecutionContext,
    FetchResponse,
    HTTPError,
    IntegrationResult,
    PollingTriggerHandler,
    ResultType,
    __version__,
)
from autohive_integrations_sdk.integration import ConfigurationError

from .conftest import VALID_AUTH

SECRET = "sk_live_TOPSECRET_0042"


def register(integration, returns=None, raises=None, name="greet"):
    """Register a handler for ``name`` returning (or raising) a fixed value;
    the inputs and context it saw are appended to ``handler.calls``."""

    @integration.action(name)
    class Handler(ActionHandler):
        calls = []

        async def execute(self, inputs, context):
            Handler.calls.append((inputs, context))
            if raises is not None:
                raise raises
            return returns

    return Handler


def assert_validation_error(result, source):
    assert isinstance(result, IntegrationResult)
    assert result.type == ResultType.VALIDATION_ERROR
    assert result.version == __version__
    # The reference's keys, and ours: "errors" (every schema error).
    assert set(result.result) == {"message", "property", "value", "source", "errors"}
    assert result.result["source"] == source
    return result.result


# ---- success and expected errors ---------------------------------------------


async def test_action_result(integration):
    handler = register(integration, ActionResult(data={"greeting": "hi Ann"}, cost_usd=0.01))
    async with ExecutionContext(auth=VALID_AUTH) as context:
        result = await integration.execute_action("greet", {"name": "Ann"}, context)
    assert result == IntegrationResult(__version__, ResultType.ACTION, ActionResult({"greeting": "hi Ann"}, 0.01))
    assert handler.calls == [({"name": "Ann"}, context)]


async def test_new_handler_instance_per_execution(integration):
    instances = []

    @integration.action("greet")
    class Greet(ActionHandler):
        async def execute(self, inputs, context):
            instances.append(self)
            return ActionResult(data={"greeting": "hi"})

    context = ExecutionContext(auth=VALID_AUTH)
    await integration.execute_action("greet", {"name": "a"}, context)
    await integration.execute_action("greet", {"name": "b"}, context)
    assert len(instances) == 2 and instances[0] is not instances[1]


async def test_action_error_skips_output_validation(integration):
    register(integration, ActionError(message="user not found", cost_usd=0.5))
    result = await integration.execute_action("greet", {"name": "Ann"}, ExecutionContext(auth=VALID_AUTH))
    assert result.type == ResultType.ACTION_ERROR
    assert result.result == ActionError("user not found", 0.5)


async def test_action_without_output_schema_accepts_any_data(config_dict, make_integration):
    del config_dict["actions"]["greet"]["output_schema"]
    integration = make_integration(config_dict)
    register(integration, ActionResult(data=[1, "anything"]))
    result = await integration.execute_action("greet", {"name": "Ann"}, ExecutionContext(auth=VALID_AUTH))
    assert result.type == ResultType.ACTION
    assert result.result.data == [1, "anything"]


# ---- validation errors -------------------------------------------------------


async def test_unregistered_action(integration):
    result = await integration.execute_action("greet", {"name": "Ann"}, ExecutionContext(auth=VALID_AUTH))
    error = assert_validation_error(result, "legacy")
    assert "greet" in error["message"] and "not registered" in error["message"]


async def test_unknown_action_name(integration):
    register(integration, ActionResult(data={"greeting": "x"}))
    result = await integration.execute_action("nope", {}, ExecutionContext(auth=VALID_AUTH))
    assert "'nope' not registered" in assert_validation_error(result, "legacy")["message"]


async def test_missing_required_input(integration):
    handler = register(integration, ActionResult(data={"greeting": "x"}))
    result = await integration.execute_action("greet", {}, ExecutionContext(auth=VALID_AUTH))
    error = assert_validation_error(result, "input")
    assert "'name' is a required property" in error["message"]
    assert error["property"] == "name"
    assert error["value"] is None
    assert handler.calls == []


async def test_input_of_wrong_type(integration):
    register(integration, ActionResult(data={"greeting": "x"}))
    result = await integration.execute_action("greet", {"name": 42}, ExecutionContext(auth=VALID_AUTH))
    error = assert_validation_error(result, "input")
    assert "42 is not of type 'string'" in error["message"]
    assert error["property"] == "name"
    assert error["value"] == 42


async def test_every_input_error_listed_in_reference_format(integration):
    register(integration, ActionResult(data={"greeting": "x"}))
    result = await integration.execute_action("greet", {"times": 0}, ExecutionContext(auth=VALID_AUTH))
    message = assert_validation_error(result, "input")["message"]
    assert "['required'], 'name' is a required property,\n " in message
    assert "['properties', 'times', 'minimum'], 0 is less than the minimum of 1,\n " in message


async def test_every_input_error_also_listed_as_property_and_message(integration):
    register(integration, ActionResult(data={"greeting": "x"}))
    result = await integration.execute_action("greet", {"times": 0}, ExecutionContext(auth=VALID_AUTH))
    error = assert_validation_error(result, "input")
    assert error["errors"] == [
        {"property": "name", "message": "'name' is a required property"},
        {"property": "times", "message": "0 is less than the minimum of 1"},
    ]
    assert error["message"].startswith("['required'], 'name' is a required property,\n ")  # the reference's, unchanged


async def test_a_rule_broken_by_no_schema_lists_no_schema_error(integration):
    result = await integration.execute_action("nope", {}, ExecutionContext(auth=VALID_AUTH))
    assert assert_validation_error(result, "legacy")["errors"] == []


async def test_handler_returning_wrong_type(integration):
    register(integration, {"greeting": "a dict, not an ActionResult"})
    result = await integration.execute_action("greet", {"name": "Ann"}, ExecutionContext(auth=VALID_AUTH))
    error = assert_validation_error(result, "output")
    assert "must return ActionResult or ActionError, got dict" in error["message"]


async def test_handler_returning_none(integration):
    register(integration, None)
    result = await integration.execute_action("greet", {"name": "Ann"}, ExecutionContext(auth=VALID_AUTH))
    assert "got NoneType" in assert_validation_error(result, "output")["message"]


async def test_output_failing_schema(integration):
    register(integration, ActionResult(data={"greeting": 7}))
    result = await integration.execute_action("greet", {"name": "Ann"}, ExecutionContext(auth=VALID_AUTH))
    error = assert_validation_error(result, "output")
    assert "7 is not of type 'string'" in error["message"]
    assert error["property"] == "greeting"
    assert error["value"] == 7


async def test_output_missing_required_property(integration):
    register(integration, ActionResult(data={}))
    result = await integration.execute_action("greet", {"name": "Ann"}, ExecutionContext(auth=VALID_AUTH))
    error = assert_validation_error(result, "output")
    assert "'greeting' is a required property" in error["message"]
    assert error["property"] == "greeting"


# ---- auth --------------------------------------------------------------------


@pytest.mark.parametrize(
    "auth, named",
    [
        ({}, "'api_key' is a required property"),
        ({"api_key": SECRET}, "api_key"),
        ({"api_key": 12345678}, "api_key"),
        (SECRET, "auth"),
    ],
)
async def test_auth_failing_fields_never_reveals_value(integration, auth, named):
    handler = register(integration, ActionResult(data={"greeting": "x"}))
    result = await integration.execute_action("greet", {"name": "Ann"}, ExecutionContext(auth=auth))
    error = assert_validation_error(result, "input")
    assert named in error["message"]
    assert error["value"] is None
    for text in (SECRET, "12345678"):
        assert text not in repr(result)
    assert handler.calls == []


async def test_auth_additional_property_value_not_revealed(config_dict, make_integration):
    config_dict["auth"]["fields"]["additionalProperties"] = False
    integration = make_integration(config_dict)
    register(integration, ActionResult(data={"greeting": "x"}))
    auth = {"api_key": "key_ok", "stray": SECRET}
    result = await integration.execute_action("greet", {"name": "Ann"}, ExecutionContext(auth=auth))
    error = assert_validation_error(result, "input")
    assert "stray" in error["message"]
    assert SECRET not in repr(result)


async def test_auth_validation_error_carries_no_credentials(integration):
    """The exception behind the result must not hold the auth either."""
    from autohive_integrations_sdk.integration import ValidationError

    with pytest.raises(ValidationError) as caught:
        integration._check_auth({"api_key": SECRET})
    error = caught.value
    assert error.inputs is None and error.value is None
    assert SECRET not in str(error) and SECRET not in repr(vars(error))


async def test_wrapped_auth_validated_by_credentials(integration):
    register(integration, ActionResult(data={"greeting": "x"}))
    auth = {"auth_type": "Custom", "credentials": {"api_key": "key_wrapped"}}
    result = await integration.execute_action("greet", {"name": "Ann"}, ExecutionContext(auth=auth))
    assert result.type == ResultType.ACTION


async def test_wrapped_auth_with_bad_credentials_rejected(integration):
    register(integration, ActionResult(data={"greeting": "x"}))
    auth = {"auth_type": "Custom", "credentials": {"api_key": SECRET}}
    result = await integration.execute_action("greet", {"name": "Ann"}, ExecutionContext(auth=auth))
    assert_validation_error(result, "input")
    assert SECRET not in repr(result)


async def test_wrapped_auth_missing_credentials_field_rejected(integration):
    register(integration, ActionResult(data={"greeting": "x"}))
    auth = {"auth_type": "Custom", "credentials": {}}
    result = await integration.execute_action("greet", {"name": "Ann"}, ExecutionContext(auth=auth))
    assert "'api_key' is a required property" in assert_validation_error(result, "input")["message"]


async def test_auth_declaring_credentials_field_validated_flat(config_dict, make_integration):
    config_dict["auth"]["fields"] = {
        "type": "object",
        "properties": {"auth_type": {"type": "string"}, "credentials": {"type": "object"}},
        "required": ["auth_type", "credentials"],
    }
    integration = make_integration(config_dict)
    register(integration, ActionResult(data={"greeting": "x"}))
    auth = {"auth_type": "Custom", "credentials": {"anything": 1}}
    result = await integration.execute_action("greet", {"name": "Ann"}, ExecutionContext(auth=auth))
    assert result.type == ResultType.ACTION


async def test_no_auth_fields_means_no_auth_validation(config_dict, make_integration):
    config_dict["auth"] = {"type": "platform", "provider": "x"}
    integration = make_integration(config_dict)
    register(integration, ActionResult(data={"greeting": "x"}))
    result = await integration.execute_action("greet", {"name": "Ann"}, ExecutionContext())
    assert result.type == ResultType.ACTION


# ---- exceptions --------------------------------------------------------------


async def test_handler_exception_propagates(integration):
    register(integration, raises=RuntimeError("boom"))
    with pytest.raises(RuntimeError, match="boom"):
        await integration.execute_action("greet", {"name": "Ann"}, ExecutionContext(auth=VALID_AUTH))


async def test_http_error_from_handler_propagates(integration):
    register(integration, raises=HTTPError(503, "unavailable", {"retry": True}))
    with pytest.raises(HTTPError) as caught:
        await integration.execute_action("greet", {"name": "Ann"}, ExecutionContext(auth=VALID_AUTH))
    assert caught.value.status == 503


# ---- the way existing integrations' tests call it -----------------------------


async def test_mock_context_with_async_fetch(integration):
    @integration.action("greet")
    class Greet(ActionHandler):
        async def execute(self, inputs, context):
            response = await context.fetch("https://api.example.test/hello", params={"name": inputs["name"]})
            return ActionResult(data={"greeting": response.data["text"]})

    context = MagicMock(name="ExecutionContext")
    context.fetch = AsyncMock(return_value=FetchResponse(status=200, headers={}, data={"text": "hi Ann"}))
    context.auth = dict(VALID_AUTH)
    result = await integration.execute_action("greet", {"name": "Ann"}, context)
    assert result.type == ResultType.ACTION
    assert result.result.data == {"greeting": "hi Ann"}
    context.fetch.assert_awaited_once_with("https://api.example.test/hello", params={"name": "Ann"})


async def test_mock_context_with_spec(integration):
    register(integration, ActionResult(data={"greeting": "x"}))
    context = MagicMock(spec=ExecutionContext)
    context.auth = dict(VALID_AUTH)
    result = await integration.execute_action("greet", {"name": "Ann"}, context)
    assert result.type == ResultType.ACTION


async def test_mock_context_auth_still_validated(integration):
    register(integration, ActionResult(data={"greeting": "x"}))
    context = MagicMock()
    context.auth = {"wrong": "shape"}
    result = await integration.execute_action("greet", {"name": "Ann"}, context)
    assert "'api_key' is a required property" in assert_validation_error(result, "input")["message"]


# ---- registration ------------------------------------------------------------


def test_action_decorator_registers_by_name(integration):
    handler = register(integration, ActionResult(data={}))
    assert integration._action_handlers == {"greet": handler}


def test_action_decorator_returns_class_unchanged(integration):
    class Greet(ActionHandler):
        async def execute(self, inputs, context):
            return ActionResult(data={})

    assert integration.action("greet")(Greet) is Greet


def test_undeclared_action_is_configuration_error(integration):
    with pytest.raises(ConfigurationError, match="'missing'"):
        register(integration, ActionResult(data={}), name="missing")
    assert integration._action_handlers == {}


def test_undeclared_polling_trigger_is_configuration_error(integration):
    with pytest.raises(ConfigurationError, match="'missing'"):

        @integration.polling_trigger("missing")
        class Missing:
            pass

    assert integration._polling_handlers == {}


def test_action_name_is_not_a_trigger_name(integration):
    with pytest.raises(ConfigurationError):

        @integration.polling_trigger("greet")
        class Wrong:
            pass


def test_fresh_integration_has_no_handlers(integration):
    assert integration._action_handlers == {}
    assert integration._polling_handlers == {}
    assert integration._connected_account_handler is None


# ---- the public views of what is registered (an addition to the reference) ----


def test_handler_views_follow_registration(integration):
    assert dict(integration.action_handlers) == {}
    assert dict(integration.polling_trigger_handlers) == {}
    assert integration.connected_account_handler is None

    action = register(integration, ActionResult(data={}))

    @integration.polling_trigger("new_items")
    class NewItems(PollingTriggerHandler):
        async def poll(self, inputs, last_poll_ts, context):
            return []

    @integration.connected_account()
    class Account(ConnectedAccountHandler):
        async def get_account_info(self, context):
            return ConnectedAccountInfo(email="a@example.com")

    assert dict(integration.action_handlers) == {"greet": action}
    assert dict(integration.polling_trigger_handlers) == {"new_items": NewItems}
    assert integration.connected_account_handler is Account


def test_handler_views_are_read_only(integration):
    handler = register(integration, ActionResult(data={}))
    with pytest.raises(TypeError):
        integration.action_handlers["other"] = handler  # type: ignore[index]
    with pytest.raises(TypeError):
        integration.polling_trigger_handlers["other"] = handler  # type: ignore[index]
    with pytest.raises(AttributeError):
        integration.connected_account_handler = handler  # type: ignore[misc]
    assert dict(integration.action_handlers) == {"greet": handler}
