"""The router: every way a call can go, and every failure as a result.

Each failure must come back as an ``IntegrationResult`` with a stable error
kind (or the SDK's ``VALIDATION_ERROR`` shape), never as an exception, and
never with a traceback in it.
"""

from __future__ import annotations

import json
import sys

import pytest

from apiary import result_to_dict
from autohive_integrations_sdk import (
    ActionError,
    ActionResult,
    ConnectedAccountInfo,
    IntegrationResult,
    ResultType,
)

from .._support import fixture_source


def error_of(result: IntegrationResult) -> dict:
    assert isinstance(result, IntegrationResult)
    assert result.type is ResultType.ERROR, result
    assert isinstance(result.result, dict)
    assert set(result.result) >= {"error", "message"}
    return result.result


def assert_no_traceback(result: IntegrationResult) -> None:
    text = json.dumps(result_to_dict(result), default=str)
    assert "Traceback" not in text
    assert 'File "' not in text


# ---- success ---------------------------------------------------------------


async def test_call_returns_the_action_result(make_host):
    host = await make_host("echo")
    result = await host.call("echo", "echo", {"x": 1, "message": "hi"})
    assert result.type is ResultType.ACTION
    assert isinstance(result.result, ActionResult)
    assert result.result.data == {"x": 1, "message": "hi"}
    assert result_to_dict(result)["result"]["data"] == {"x": 1, "message": "hi"}


async def test_inputs_none_is_treated_as_empty_object(make_host):
    host = await make_host("echo")
    result = await host.call("echo", "echo", None)
    assert result.type is ResultType.ACTION
    assert result.result.data == {}


async def test_action_error_is_passed_through(make_host):
    host = await make_host("echo")
    result = await host.call("echo", "action_error", {"message": "no such user"})
    assert result.type is ResultType.ACTION_ERROR
    assert isinstance(result.result, ActionError)
    assert result.result.message == "no such user"


async def test_fetch_through_the_pool_returns_upstream_data(make_host, fake_upstream):
    host = await make_host("echo")
    result = await host.call("echo", "fetch_json", {"url": fake_upstream.url("/json")})
    assert result.type is ResultType.ACTION
    assert result.result.data == {"status": 200, "data": {"hello": "world", "items": [1, 2, 3]}}
    assert len(fake_upstream.seen("/json")) == 1


# ---- the integration or action is not there ---------------------------------


async def test_unknown_integration(make_host):
    host = await make_host("echo")
    error = error_of(await host.call("nosuch", "echo", {}))
    assert error["error"] == "unknown_integration"
    assert "nosuch" in error["message"]


async def test_unknown_action_names_the_known_ones(make_host):
    host = await make_host("echo")
    error = error_of(await host.call("echo", "nosuch", {}))
    assert error["error"] == "unknown_action"
    assert "nosuch" in error["message"]
    assert "fetch_json" in error["message"] and "slow" in error["message"]


async def test_broken_integration_answers_with_its_reason(make_host):
    host = await make_host("echo", "broken")
    for _ in range(2):  # the second call answers from the record, same reason
        error = error_of(await host.call("broken", "anything", {}))
        assert error["error"] == "integration_broken"
        assert "ImportError" in error["message"]
        assert "library_that_is_not_installed" in error["message"]
    assert host.record("broken").state.value == "broken"
    assert (await host.call("echo", "echo", {"x": 2})).type is ResultType.ACTION


async def test_an_unimplemented_action_is_unavailable_not_the_integration(make_host):
    host = await make_host("nohandler")
    error = error_of(await host.call("nohandler", "forgotten", {}))
    assert error["error"] == "action_unavailable"
    assert "forgotten" in error["message"]
    assert (await host.call("nohandler", "implemented", {})).type is ResultType.ACTION


# ---- validation: the SDK's VALIDATION_ERROR shape ----------------------------


async def test_input_validation_error(make_host):
    host = await make_host("echo")
    result = await host.call("echo", "echo", {"x": "one"})
    assert result.type is ResultType.VALIDATION_ERROR
    assert set(result.result) == {"message", "property", "value", "source", "errors"}
    assert result.result["source"] == "input"
    assert result.result["property"] == "x"
    assert result.result["value"] == "one"
    assert "'one' is not of type 'integer'" in result.result["message"]
    assert result.result["errors"] == [{"property": "x", "message": "'one' is not of type 'integer'"}]


async def test_missing_required_input(make_host):
    host = await make_host("echo")
    result = await host.call("echo", "fetch_json", {})
    assert result.type is ResultType.VALIDATION_ERROR
    assert result.result["source"] == "input"
    assert result.result["property"] == "url"


async def test_auth_validation_error_never_echoes_the_credential(make_host, fake_upstream):
    host = await make_host("keyed")
    missing = await host.call("keyed", "whoami", {"url": fake_upstream.url("/whoami")}, auth={})
    assert missing.type is ResultType.VALIDATION_ERROR
    assert missing.result["source"] == "input"
    assert missing.result["property"] == "api_key"

    short = await host.call("keyed", "whoami", {"url": fake_upstream.url("/whoami")}, auth={"api_key": "zq7"})
    assert short.type is ResultType.VALIDATION_ERROR
    assert short.result["value"] is None
    assert "zq7" not in json.dumps(result_to_dict(short))
    assert fake_upstream.requests == []  # nothing was sent


async def test_output_validation_error(make_host):
    host = await make_host("echo")
    result = await host.call("echo", "bad_output", {})
    assert result.type is ResultType.VALIDATION_ERROR
    assert result.result["source"] == "output"
    assert result.result["property"] == "count"


# ---- the handler misbehaves ----------------------------------------------------


async def test_handler_exception_becomes_handler_error_without_traceback(make_host, logs):
    host = await make_host("echo")
    result = await host.call("echo", "boom", {"message": "kaboom 42"})
    error = error_of(result)
    assert error["error"] == "handler_error"
    assert error["exception"] == "RuntimeError"
    assert "kaboom 42" in error["message"]
    assert_no_traceback(result)
    # The traceback goes to the log, for the operator.
    raised = logs.events("handler_raised")
    assert raised and "RuntimeError: kaboom 42" in raised[0]["exception"]


async def test_timeout_cancels_the_action(make_host):
    host = await make_host("echo")
    result = await host.call("echo", "slow", {"seconds": 30, "marker": "t-explicit"}, timeout=0.2)
    error = error_of(result)
    assert error["error"] == "timeout"
    assert "slow" in error["message"]
    events = [event for marker, event in sys.modules["apiary_test_echo"].SLOW_EVENTS if marker == "t-explicit"]
    assert events == ["started", "cancelled", "finally"]


async def test_configured_call_timeout_per_integration(make_host):
    host = await make_host("echo", config={"integrations": {"echo": {"call_timeout": 0.2}}})
    error = error_of(await host.call("echo", "slow", {"seconds": 30, "marker": "t-config"}))
    assert error["error"] == "timeout"
    events = [event for marker, event in sys.modules["apiary_test_echo"].SLOW_EVENTS if marker == "t-config"]
    assert "completed" not in events and "cancelled" in events


async def test_an_action_within_its_timeout_completes(make_host):
    host = await make_host("echo")
    result = await host.call("echo", "slow", {"seconds": 0, "marker": "t-quick"}, timeout=5)
    assert result.type is ResultType.ACTION
    assert result.result.data == {"slept": 0}


# ---- the upstream fails ----------------------------------------------------------


@pytest.mark.parametrize("status", [404, 500])
async def test_upstream_http_error_becomes_upstream_error(make_host, fake_upstream, status):
    host = await make_host("echo")
    result = await host.call("echo", "fetch_json", {"url": fake_upstream.url(f"/status/{status}")})
    error = error_of(result)
    assert error["error"] == "upstream_error"
    assert error["status"] == status
    assert f"HTTP {status}" in error["message"]
    assert_no_traceback(result)


async def test_unreachable_upstream_becomes_upstream_error(make_host, refused_url):
    host = await make_host("echo")
    result = await host.call("echo", "fetch_json", {"url": refused_url, "retries": 0})
    error = error_of(result)
    assert error["error"] == "upstream_error"
    assert error["exception"] == "ClientConnectorError"
    assert "unreachable" in error["message"]
    assert_no_traceback(result)


# ---- connected account -------------------------------------------------------------


async def test_connected_account(make_host):
    host = await make_host("keyed")
    result = await host.connected_account("keyed", auth={"api_key": "key-abcdef"})
    assert result.type is ResultType.CONNECTED_ACCOUNT
    assert isinstance(result.result, ConnectedAccountInfo)
    assert result.result.username == "keyed-user"
    assert result_to_dict(result)["result"]["organization"] == "Keyed Test Org"


async def test_connected_account_without_a_handler_is_unsupported(make_host):
    host = await make_host("echo")
    error = error_of(await host.connected_account("echo"))
    assert error["error"] == "unsupported"
    assert "echo" in error["message"]


async def test_connected_account_failures_are_results(make_host):
    host = await make_host("keyed", "broken")
    assert error_of(await host.connected_account("nosuch"))["error"] == "unknown_integration"
    assert error_of(await host.connected_account("broken"))["error"] == "integration_broken"
    invalid = await host.connected_account("keyed", auth={})
    assert invalid.type is ResultType.VALIDATION_ERROR
    assert invalid.result["source"] == "input"


# ---- the host itself -----------------------------------------------------------------


async def test_calls_need_an_entered_host():
    from apiary import Host, parse_config

    host = Host(parse_config({}), sources=[fixture_source("echo")], load_plugin_entry_points=False)
    assert not host.is_open
    with pytest.raises(RuntimeError, match="async with"):
        await host.call("echo", "echo", {})


async def test_every_failure_kind_in_one_host_is_a_result(make_host, fake_upstream, refused_url):
    """A mixed batch, run concurrently: each answer is a result of the expected kind."""
    import asyncio

    host = await make_host("echo", "keyed", "broken")
    calls = {
        "unknown_integration": host.call("nosuch", "x", {}),
        "unknown_action": host.call("echo", "x", {}),
        "integration_broken": host.call("broken", "anything", {}),
        "handler_error": host.call("echo", "boom", {}),
        "timeout": host.call("echo", "slow", {"seconds": 30}, timeout=0.2),
        "upstream_error": host.call("echo", "fetch_json", {"url": fake_upstream.url("/status/503")}),
        "validation_error": host.call("echo", "echo", {"x": []}),
        "action": host.call("echo", "echo", {"x": 3}),
    }
    results = dict(zip(calls, await asyncio.gather(*calls.values()), strict=True))
    for kind, result in results.items():
        assert isinstance(result, IntegrationResult)
        if kind in ("action", "validation_error"):
            assert result.type.value == kind
        else:
            assert error_of(result)["error"] == kind


@pytest.mark.parametrize(
    "url, cause",
    [("http://[::1/x", "invalid upstream URL"), ("ftp://example.invalid/x", "invalid upstream URL")],
)
async def test_an_upstream_failure_names_its_cause(make_host, url, cause):
    """Not every failure is "unreachable": a bad URL says so (and is not retried)."""
    host = await make_host("echo")
    result = await host.call("echo", "fetch_json", {"url": url})
    assert result.result["error"] == "upstream_error"
    assert result.result["message"].startswith(f"{cause}: "), result.result["message"]
