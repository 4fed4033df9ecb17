"""Credentials the host resolves: missing or invalid ones are a credentials
error (never an input validation error) on every face, and auth reaches
handlers in the production shape ``{"auth_type", "credentials": {...}}``
whatever its source, while handlers reading the flat shape keep working."""

from __future__ import annotations

import mcp_types as types

from apiary._calls.results import result_to_dict
from apiary._faces.outcomes import outcome_for
from apiary.hooks import hookimpl
from apiary.mcp.server import McpFace
from apiary.mcp.tools import build_tools
from autohive_integrations_sdk import ResultType

from .._support import simple_config

NOT_A_SECRET_BUT_A_VALUE = "zq9"  # too short for keyed's minLength of 4


async def whoami(host, fake_upstream, **kwargs):
    return await host.call("keyed", "whoami", {"url": fake_upstream.url("/whoami")}, **kwargs)


async def test_no_account_configured_is_a_credentials_error_on_every_face(make_host, fake_upstream):
    host = await make_host("keyed")
    result = await whoami(host, fake_upstream)
    assert result.type is ResultType.ERROR, result
    assert result.result["error"] == "credentials_unavailable"
    message = result.result["message"]
    assert "'keyed'" in message and "'default'" in message and "'api_key'" in message
    assert "integrations.keyed.accounts.default" in message
    assert fake_upstream.requests == []
    outcome = outcome_for(result_to_dict(result))
    assert (outcome.exit_code, outcome.http_status) == (4, 424)

    # Over MCP the model is told the operator must act, not to change its arguments.
    tools, _ = build_tools(host.registry)
    face = McpFace(host, tools)
    [tool] = [tool for tool in tools if tool.full_name == "keyed.whoami"]
    answer = await face.call_tool(None, types.CallToolRequestParams(name=tool.name, arguments={"url": "http://x"}))
    assert answer.is_error
    text = answer.content[0].text
    assert "credentials_unavailable" in text and "'api_key'" in text
    assert "operator" in text and "arguments" in text
    assert "Fix the arguments" not in text


async def test_connected_account_without_an_account_is_a_credentials_error(make_host):
    host = await make_host("keyed")
    result = await host.connected_account("keyed")
    assert result.type is ResultType.ERROR and result.result["error"] == "credentials_unavailable"


async def test_invalid_configured_credentials_name_the_account_and_field_never_the_value(
    make_host, fake_upstream, monkeypatch
):
    monkeypatch.setenv("APIARY_TEST_SHORT_KEY", NOT_A_SECRET_BUT_A_VALUE)
    config = {"integrations": {"keyed": {"accounts": {"work": {"api_key": {"env": "APIARY_TEST_SHORT_KEY"}}}}}}
    host = await make_host("keyed", config=config)
    result = await whoami(host, fake_upstream, account="work")
    assert result.type is ResultType.ERROR, result
    assert result.result["error"] == "credentials_unavailable"
    message = result.result["message"]
    assert "'keyed'" in message and "'work'" in message and "'api_key'" in message
    assert NOT_A_SECRET_BUT_A_VALUE not in repr(result.result)
    assert fake_upstream.requests == []


async def test_invalid_auth_from_the_caller_stays_a_validation_error(make_host, fake_upstream):
    host = await make_host("keyed")
    result = await whoami(host, fake_upstream, auth={"api_key": NOT_A_SECRET_BUT_A_VALUE})
    assert result.type is ResultType.VALIDATION_ERROR
    assert result.result["property"] == "api_key"


async def test_a_platform_integration_without_fields_needs_an_account(make_host, make_package):
    config = simple_config("plat", auth={"type": "platform", "provider": "example"})
    code = (
        "from autohive_integrations_sdk import ActionHandler, ActionResult, Integration\n"
        "integration = Integration.load()\n"
        "@integration.action('ping')\n"
        "class Ping(ActionHandler):\n"
        "    async def execute(self, inputs, context):\n"
        "        return ActionResult(data={'token': bool(context.auth['credentials']['access_token'])})\n"
    )
    module = make_package.make(config, code)
    host = await make_host(sources=[_Source([make_package.discovered("plat", module)])])
    result = await host.call("plat", "ping", {})
    assert result.type is ResultType.ERROR, result
    assert result.result["error"] == "credentials_unavailable"
    assert "'plat'" in result.result["message"]


# ---- the production shape ------------------------------------------------------------

SHAPE_CODE = '''
import hashlib
from autohive_integrations_sdk import ActionHandler, ActionResult, Integration

integration = Integration.load()


@integration.action("ping")
class Ping(ActionHandler):
    async def execute(self, inputs, context):
        auth = context.auth
        wrapped = auth["credentials"]["api_key"]
        return ActionResult(data={
            "keys": sorted(auth),
            "auth_type": auth.get("auth_type"),
            "digest": hashlib.sha256(wrapped.encode()).hexdigest()[:8],
            "flat_reads": [auth["api_key"] == wrapped, auth.get("api_key") == wrapped, "api_key" in auth],
        })
'''


def digest(value: str) -> str:
    import hashlib

    return hashlib.sha256(value.encode()).hexdigest()[:8]


class _Source:
    def __init__(self, found):
        self.found = found

    def discover(self):
        yield from self.found


class FlatVault:
    @hookimpl
    def apiary_resolve_credentials(self, integration, account, config):
        return {"api_key": "key-from-vault"} if account == "vault" else None


async def test_auth_reaches_handlers_in_the_production_shape_from_every_source(
    make_host, make_package, monkeypatch
):
    fields = {"type": "object", "properties": {"api_key": {"type": "string"}}, "required": ["api_key"]}
    module = make_package.make(simple_config("shape", auth={"type": "custom", "fields": fields}), SHAPE_CODE)
    monkeypatch.setenv("APIARY_TEST_SHAPE_KEY", "key-from-env")
    accounts = {
        "default": {"api_key": {"env": "APIARY_TEST_SHAPE_KEY"}},
        "wrapped": {"auth_type": "Custom", "credentials": {"api_key": {"env": "APIARY_TEST_SHAPE_KEY"}}},
    }
    host = await make_host(
        config={"integrations": {"shape": {"accounts": accounts}}},
        plugins=[FlatVault()],
        sources=[_Source([make_package.discovered("shape", module)])],
    )
    cases = [
        ({}, "key-from-env", None),  # a flat account of the config
        ({"account": "wrapped"}, "key-from-env", "Custom"),  # a wrapped one keeps its auth_type
        ({"account": "vault"}, "key-from-vault", None),  # a plugin answering flat
        ({"auth": {"api_key": "key-from-caller"}}, "key-from-caller", None),  # --auth, HTTP, Python
        ({"auth": {"auth_type": "Custom", "credentials": {"api_key": "key-wrapped"}}}, "key-wrapped", "Custom"),
    ]
    for kwargs, key, auth_type in cases:
        result = await host.call("shape", "ping", {}, **kwargs)
        assert result.type is ResultType.ACTION, (kwargs, result)
        expected_keys = ["auth_type", "credentials"] if auth_type else ["credentials"]
        assert result.result.data == {
            "keys": expected_keys,
            "auth_type": auth_type,
            "digest": digest(key),
            "flat_reads": [True, True, True],
        }, kwargs
