"""Integration.get_connected_account()."""

from unittest.mock import AsyncMock, MagicMock

import pytest

from autohive_integrations_sdk import (
    ConnectedAccountHandler,
    ConnectedAccountInfo,
    ExecutionContext,
    FetchResponse,
    IntegrationResult,
    ResultType,
    ValidationError,
    __version__,
)

from .conftest import VALID_AUTH

SECRET = "sk_live_TOPSECRET_0042"


def register(integration, returns):
    @integration.connected_account()
    class Account(ConnectedAccountHandler):
        calls = []

        async def get_account_info(self, context):
            Account.calls.append(context)
            return returns

    return Account


async def test_connected_account_result(integration):
    info = ConnectedAccountInfo(email="ann@example.com", first_name="Ann", user_id="u1")
    handler = register(integration, info)
    context = ExecutionContext(auth=VALID_AUTH)
    result = await integration.get_connected_account(context)
    assert result == IntegrationResult(__version__, ResultType.CONNECTED_ACCOUNT, info)
    assert handler.calls == [context]


def test_decorator_registers_handler(integration):
    handler = register(integration, ConnectedAccountInfo())
    assert integration._connected_account_handler is handler


async def test_no_handler(integration):
    with pytest.raises(ValidationError, match="No connected account handler"):
        await integration.get_connected_account(ExecutionContext(auth=VALID_AUTH))


@pytest.mark.parametrize("returned", [{"email": "ann@example.com"}, None, "ann"])
async def test_wrong_return_type(integration, returned):
    register(integration, returned)
    with pytest.raises(ValidationError) as caught:
        await integration.get_connected_account(ExecutionContext(auth=VALID_AUTH))
    assert "must return ConnectedAccountInfo" in caught.value.message
    assert caught.value.source == "output"


@pytest.mark.parametrize("auth", [{}, {"api_key": SECRET}])
async def test_auth_validated(integration, auth):
    handler = register(integration, ConnectedAccountInfo())
    with pytest.raises(ValidationError) as caught:
        await integration.get_connected_account(ExecutionContext(auth=auth))
    assert caught.value.source == "input"
    assert SECRET not in str(caught.value) and SECRET not in repr(vars(caught.value))
    assert handler.calls == []


async def test_wrapped_auth_validated_by_credentials(integration):
    register(integration, ConnectedAccountInfo(username="ann"))
    auth = {"auth_type": "Custom", "credentials": dict(VALID_AUTH)}
    result = await integration.get_connected_account(ExecutionContext(auth=auth))
    assert result.result.username == "ann"


async def test_no_auth_fields_means_no_auth_validation(config_dict, make_integration):
    config_dict["auth"] = {"type": "platform"}
    integration = make_integration(config_dict)
    register(integration, ConnectedAccountInfo(username="ann"))
    result = await integration.get_connected_account(ExecutionContext())
    assert result.type == ResultType.CONNECTED_ACCOUNT


async def test_mock_context(integration):
    @integration.connected_account()
    class Account(ConnectedAccountHandler):
        async def get_account_info(self, context):
            me = (await context.fetch("https://api.example.test/me")).data
            return ConnectedAccountInfo(email=me["email"])

    context = MagicMock()
    context.auth = dict(VALID_AUTH)
    context.fetch = AsyncMock(return_value=FetchResponse(200, {}, {"email": "ann@example.com"}))
    result = await integration.get_connected_account(context)
    assert result.result == ConnectedAccountInfo(email="ann@example.com")
