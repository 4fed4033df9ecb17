"""Integration.execute_polling_trigger(): records checked, inputs and auth
validated exactly as for actions."""

import pytest

from autohive_integrations_sdk import ExecutionContext, PollingTriggerHandler, ValidationError

from .conftest import VALID_AUTH

SECRET = "sk_live_TOPSECRET_0042"
INPUTS = {"folder": "inbox"}


def register(integration, returns=None, raises=None):
    @integration.polling_trigger("new_items")
    class Poll(PollingTriggerHandler):
        calls = []

        async def poll(self, inputs, last_poll_ts, context):
            Poll.calls.append((inputs, last_poll_ts, context))
            if raises is not None:
                raise raises
            return returns

    return Poll


async def poll(integration, inputs=INPUTS, auth=VALID_AUTH, last_poll_ts="2024-01-01T00:00:00Z"):
    return await integration.execute_polling_trigger("new_items", inputs, last_poll_ts, ExecutionContext(auth=auth))


# ---- records -----------------------------------------------------------------


async def test_records_returned(integration):
    records = [{"id": "1", "data": {"title": "a"}}, {"id": "2", "data": {"title": "b"}, "extra": True}]
    handler = register(integration, records)
    assert await poll(integration) == records
    ((inputs, last_poll_ts, _),) = handler.calls
    assert inputs == INPUTS
    assert last_poll_ts == "2024-01-01T00:00:00Z"


async def test_no_records(integration):
    register(integration, [])
    assert await poll(integration, last_poll_ts=None) == []


async def test_registered_by_name(integration):
    handler = register(integration, [])
    assert integration._polling_handlers == {"new_items": handler}


@pytest.mark.parametrize(
    "records, missing",
    [
        ([{"data": {"title": "a"}}], "id"),
        ([{"id": "1"}], "data"),
        ([{"id": "1", "data": {"title": "a"}}, {"id": "2"}], "data"),
    ],
)
async def test_record_without_id_or_data(integration, records, missing):
    register(integration, records)
    with pytest.raises(ValidationError) as caught:
        await poll(integration)
    assert caught.value.source == "output"
    assert f"'{missing}'" in caught.value.message


@pytest.mark.parametrize("record", ["a string", 7, None, ["id", "data"]])
async def test_non_dict_record(integration, record):
    register(integration, [record])
    with pytest.raises(ValidationError) as caught:
        await poll(integration)
    assert caught.value.source == "output"


@pytest.mark.parametrize("returned", [None, {"id": "1", "data": {}}, "records", ({"id": "1", "data": {"title": "a"}},)])
async def test_non_list_return(integration, returned):
    register(integration, returned)
    with pytest.raises(ValidationError) as caught:
        await poll(integration)
    assert caught.value.source == "output"
    assert "list" in caught.value.message


async def test_record_data_failing_output_schema(integration):
    register(integration, [{"id": "1", "data": {"title": "ok"}}, {"id": "2", "data": {"title": 5}}])
    with pytest.raises(ValidationError) as caught:
        await poll(integration)
    error = caught.value
    assert error.source == "output"
    assert "5 is not of type 'string'" in error.message
    assert error.property == "title"


async def test_record_data_missing_required(integration):
    register(integration, [{"id": "1", "data": {}}])
    with pytest.raises(ValidationError, match="'title' is a required property"):
        await poll(integration)


async def test_trigger_without_output_schema_accepts_any_data(config_dict, make_integration):
    del config_dict["polling_triggers"]["new_items"]["output_schema"]
    integration = make_integration(config_dict)
    register(integration, [{"id": "1", "data": [1, 2]}])
    assert await poll(integration) == [{"id": "1", "data": [1, 2]}]


# ---- inputs ------------------------------------------------------------------


async def test_unregistered_trigger(integration):
    with pytest.raises(ValidationError, match="not registered"):
        await poll(integration)


async def test_invalid_inputs(integration):
    handler = register(integration, [])
    with pytest.raises(ValidationError) as caught:
        await poll(integration, inputs={})
    error = caught.value
    assert error.source == "input"
    assert "'folder' is a required property" in error.message
    assert error.property == "folder"
    assert handler.calls == []


async def test_input_of_wrong_type(integration):
    register(integration, [])
    with pytest.raises(ValidationError) as caught:
        await poll(integration, inputs={"folder": 3})
    assert caught.value.source == "input"
    assert caught.value.value == 3
    assert "3 is not of type 'string'" in caught.value.message


async def test_inputs_error_message_has_action_format(integration):
    """Same message shape as an action's VALIDATION_ERROR."""
    register(integration, [])
    with pytest.raises(ValidationError) as caught:
        await poll(integration, inputs={})
    assert caught.value.message == "['required'], 'folder' is a required property,\n "


# ---- auth --------------------------------------------------------------------


@pytest.mark.parametrize("auth", [{}, {"api_key": SECRET}, {"auth_type": "Custom", "credentials": {"api_key": SECRET}}])
async def test_invalid_auth(integration, auth):
    handler = register(integration, [])
    with pytest.raises(ValidationError) as caught:
        await poll(integration, auth=auth)
    error = caught.value
    assert error.source == "input"
    assert SECRET not in str(error) and SECRET not in repr(vars(error))
    assert handler.calls == []


async def test_wrapped_auth_accepted(integration):
    register(integration, [{"id": "1", "data": {"title": "a"}}])
    auth = {"auth_type": "Custom", "credentials": dict(VALID_AUTH)}
    assert len(await poll(integration, auth=auth)) == 1


@pytest.mark.parametrize("auth_section", [{}, {"type": "platform"}, {"type": "custom", "fields": {}}])
async def test_no_auth_fields_in_config(config_dict, make_integration, auth_section):
    """The reference crashed here (KeyError, then AttributeError)."""
    config_dict["auth"] = auth_section
    integration = make_integration(config_dict)
    register(integration, [{"id": "1", "data": {"title": "a"}}])
    assert await poll(integration, auth={}) == [{"id": "1", "data": {"title": "a"}}]


async def test_no_auth_section_still_validates_inputs(config_dict, make_integration):
    del config_dict["auth"]
    integration = make_integration(config_dict)
    register(integration, [])
    with pytest.raises(ValidationError, match="'folder' is a required property"):
        await poll(integration, inputs={}, auth={})


# ---- exceptions --------------------------------------------------------------


async def test_handler_exception_propagates(integration):
    register(integration, raises=ConnectionError("upstream down"))
    with pytest.raises(ConnectionError, match="upstream down"):
        await poll(integration)
