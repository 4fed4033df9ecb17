"""Structured logs: one event per call and per upstream request, integration
logs in the same stream with the call's ids, and no credential anywhere.

The ``logs`` fixture (conftest) points the host's pipeline at a buffer as
JSON lines at debug level, so every level is captured.
"""

from __future__ import annotations

import io
import json
import logging

import pytest

from apiary import LoggingConfig
from apiary._observe import logs as apiary_logs
from apiary._observe.redaction import REDACTED, bind_secrets, redact, reset_secrets, scrub_text, secret_values
from autohive_integrations_sdk import ResultType

CANARY = "canary-7Hq2Zx9Lw4Pv"  # passed as auth by the caller
ENV_CANARY = "canary-env-3Kd8Rt1Ys6"  # resolved from the host config's environment


@pytest.fixture
def canary_env(monkeypatch):
    monkeypatch.setenv("APIARY_TEST_CANARY", ENV_CANARY)
    return {
        "integrations": {
            "keyed": {"accounts": {"default": {"api_key": {"env": "APIARY_TEST_CANARY"}}}},
            "echo": {
                "accounts": {
                    "default": {
                        "auth_type": "PlatformOauth2",
                        "credentials": {"access_token": {"env": "APIARY_TEST_CANARY"}},
                    }
                }
            },
        }
    }


@pytest.fixture
def no_backoff(monkeypatch):
    """The SDK's retry back-off sleeps cost nothing."""
    import autohive_integrations_sdk._context as sdk_context

    real_sleep = sdk_context.asyncio.sleep

    async def sleep(seconds, *args, **kwargs):
        await real_sleep(0)

    monkeypatch.setattr(sdk_context.asyncio, "sleep", sleep)


async def test_no_credential_in_any_log_line(make_host, fake_upstream, logs, canary_env, refused_url, no_backoff):
    host = await make_host("echo", "keyed", config=canary_env)
    oauth = {"auth_type": "PlatformOauth2", "credentials": {"access_token": CANARY}}
    results = [
        # Careless integration logging, at every level, of auth passed by the caller.
        await host.call("echo", "log_auth", {"note": "caller auth"}, auth=oauth),
        await host.call("echo", "log_auth", {"note": "flat auth"}, auth={"api_key": CANARY}),
        # ... and of auth resolved from the config's environment.
        await host.call("echo", "log_auth", {"note": "config auth"}),
        # The secret in a query parameter and an Authorization header (and the
        # platform OAuth bearer added by fetch).
        await host.call(
            "echo",
            "fetch_json",
            {
                "url": fake_upstream.url(f"/json?token={CANARY}&page=2"),
                "headers": {"Authorization": f"Bearer {CANARY}"},
            },
            auth=oauth,
        ),
        await host.call("echo", "fetch_json", {"url": fake_upstream.url(f"/json?access_token={ENV_CANARY}")}),
        await host.call("echo", "fetch_json", {"url": fake_upstream.url(f"/status/404?key={CANARY}")}, auth=oauth),
        await host.call("echo", "fetch_json", {"url": f"{refused_url}?token={CANARY}", "retries": 1}, auth=oauth),
        # An exception whose message carries the secret.
        await host.call("echo", "boom", {"message": f"upstream refused {CANARY}"}, auth=oauth),
        await host.call("keyed", "whoami", {"url": fake_upstream.url("/whoami")}, auth={"api_key": CANARY}),
        await host.call("keyed", "whoami", {"url": fake_upstream.url("/whoami")}),
        await host.connected_account("keyed", auth={"api_key": CANARY}),
        await host.connected_account("keyed"),
    ]
    assert [result.type for result in results] == [ResultType.ACTION] * 5 + [ResultType.ERROR] * 3 + [
        ResultType.ACTION
    ] * 2 + [ResultType.CONNECTED_ACCOUNT] * 2
    # The secrets did travel where they had to.
    assert fake_upstream.seen("/json")[0].query["token"] == CANARY
    assert fake_upstream.seen("/json")[0].headers["Authorization"] == f"Bearer {CANARY}"
    assert fake_upstream.seen("/json")[1].headers["Authorization"] == f"Bearer {ENV_CANARY}"
    assert [r.headers["X-Api-Key"] for r in fake_upstream.seen("/whoami")] == [CANARY, ENV_CANARY]
    # The handler error's message, returned to the caller, is scrubbed too.
    assert CANARY not in results[7].result["message"]

    text = logs.text()
    lines = logs.lines()
    levels = {line["level"] for line in lines}
    assert {"debug", "info", "warning", "error"} <= levels
    assert len(logs.events("call")) == len(results)
    assert REDACTED in text  # the pipeline did see the secrets, and removed them
    for line in text.splitlines():
        assert CANARY not in line
        assert ENV_CANARY not in line


async def test_call_event_fields(make_host, fake_upstream, logs):
    host = await make_host("echo")
    result = await host.call(
        "echo", "set_cookie", {"url": fake_upstream.url("/set-cookie"), "then_read": fake_upstream.url("/read-cookie")}
    )
    assert result.type is ResultType.ACTION
    [call] = logs.events("call")
    assert call["integration"] == "echo"
    assert call["action"] == "set_cookie"
    assert call["outcome"] == "action"
    assert call["upstream_requests"] == 2
    assert isinstance(call["duration_ms"], (int, float)) and call["duration_ms"] >= 0
    assert isinstance(call["call_id"], str) and call["call_id"]
    assert call["level"] == "info"
    assert "timestamp" in call

    upstream = logs.events("upstream_request")
    assert [event["path"] for event in upstream] == ["/set-cookie", "/read-cookie"]
    for event in upstream:
        assert event["method"] == "GET"
        assert event["origin"] == f"http://127.0.0.1:{fake_upstream.server.port}"
        assert event["status"] == 200
        assert event["retry_count"] == 0
        assert isinstance(event["duration_ms"], (int, float))
        assert event["call_id"] == call["call_id"]


async def test_failed_call_event_carries_the_error_kind(make_host, logs):
    host = await make_host("echo")
    await host.call("echo", "nosuch", {})
    [call] = logs.events("call")
    assert call["outcome"] == "error"
    assert call["error"] == "unknown_action"
    assert call["upstream_requests"] == 0


async def test_upstream_event_for_retries_and_failures(make_host, refused_url, logs, no_backoff):
    host = await make_host("echo")
    result = await host.call("echo", "fetch_json", {"url": refused_url, "retries": 2})
    assert result.result["error"] == "upstream_error"
    upstream = logs.events("upstream_request")
    assert [event["retry_count"] for event in upstream] == [0, 1, 2]
    assert all(event["status"] is None and event["error"] == "ClientConnectorError" for event in upstream)
    [call] = logs.events("call")
    assert call["upstream_requests"] == 3


async def test_integration_logs_carry_the_call_ids(make_host, logs):
    host = await make_host("echo")
    await host.call("echo", "log_auth", {"note": "ids"})
    [call] = logs.events("call")
    integration_lines = [
        line for line in logs.lines() if line.get("logger", "").startswith(("apiary.integration", "apiary_test_echo"))
    ]
    assert {line["logger"] for line in integration_lines} == {"apiary.integration.echo", "apiary_test_echo"}
    assert len(integration_lines) == 10
    for line in integration_lines:
        assert line["call_id"] == call["call_id"]
        assert line["integration"] == "echo"
        assert line["action"] == "log_auth"
    # Outside a call nothing is bound.
    logging.getLogger("apiary.integration.echo").warning("after the call")
    assert "call_id" not in logs.lines()[-1]


async def test_concurrent_calls_keep_their_own_ids(make_host, logs):
    import asyncio

    host = await make_host("echo")
    await asyncio.gather(*(host.call("echo", "log_auth", {"n": n}) for n in range(3)))
    calls = logs.events("call")
    assert len({call["call_id"] for call in calls}) == 3
    for call in calls:
        mine = [
            line
            for line in logs.lines()
            if line.get("logger") == "apiary.integration.echo" and line.get("call_id") == call["call_id"]
        ]
        assert len(mine) == 7


def test_console_format_for_a_terminal_and_json_otherwise():
    class Terminal(io.StringIO):
        def isatty(self):
            return True

    terminal, pipe = Terminal(), io.StringIO()
    root = logging.getLogger()
    try:
        apiary_logs.configure(LoggingConfig(format="auto", level="info"), stream=terminal)
        apiary_logs.get_logger("apiary.test").info("hello_console", token="t0ps3cret-value")
        apiary_logs.configure(LoggingConfig(format="auto", level="info"), stream=pipe)
        apiary_logs.get_logger("apiary.test").info("hello_json", token="t0ps3cret-value")
        apiary_logs.get_logger("apiary.test").debug("not_at_info")
    finally:
        for handler in [h for h in root.handlers if h.get_name() == "apiary"]:
            root.removeHandler(handler)
    assert "hello_console" in terminal.getvalue()
    with pytest.raises(ValueError):
        json.loads(terminal.getvalue().splitlines()[0])
    [line] = [json.loads(text) for text in pipe.getvalue().splitlines()]
    assert line["event"] == "hello_json" and line["token"] == REDACTED
    assert "t0ps3cret-value" not in terminal.getvalue() + pipe.getvalue()


def test_configure_replaces_the_previous_handler(logs):
    root = logging.getLogger()
    apiary_logs.configure(LoggingConfig(format="json", level="info"), stream=logs.stream)
    apiary_logs.configure(LoggingConfig(format="json", level="info"), stream=logs.stream)
    assert len([h for h in root.handlers if h.get_name() == "apiary"]) == 1
    logging.getLogger("x").info("once")
    assert len([line for line in logs.lines() if line["event"] == "once"]) == 1


# ---- the redaction processor ------------------------------------------------------


def run(event):
    return redact(None, "info", dict(event))


def test_redacts_credential_headers_in_nested_dicts():
    event = run(
        {
            "event": "request",
            "headers": {
                "Authorization": "Bearer abc.def",
                "X-Api-Key": "k-123456",
                "x-auth-token": "t-123456",
                "Cookie": "sid=1",
                "Set-Cookie": "sid=2; Path=/",
                "Proxy-Authorization": "Basic dXNlcjpwYXNz",
                "Accept": "application/json",
                "Content-Length": 12,
            },
        }
    )
    headers = event["headers"]
    for name in ("Authorization", "X-Api-Key", "x-auth-token", "Cookie", "Set-Cookie", "Proxy-Authorization"):
        assert headers[name] == REDACTED, name
    assert headers["Accept"] == "application/json"
    assert headers["Content-Length"] == 12


def test_redacts_auth_structures_at_any_depth():
    event = run(
        {
            "event": "x",
            "auth": {"api_key": "k-123456"},
            "password": "hunter22",
            "context": {"credentials": {"access_token": "a-123456"}, "auth_type": "PlatformOauth2"},
            "items": [{"client_secret": "s-123456", "name": "kept"}],
            "count": 3,
        }
    )
    assert event["auth"] == REDACTED
    assert event["password"] == REDACTED
    assert event["context"] == {"credentials": REDACTED, "auth_type": "PlatformOauth2"}
    assert event["items"] == [{"client_secret": REDACTED, "name": "kept"}]
    assert event["count"] == 3


@pytest.mark.parametrize(
    "url, kept",
    [
        ("https://api.example.com/v1/items?token=abc123&key=def456&page=2", ["page=2", "/v1/items"]),
        ("https://x.test/?access_token=abc123", []),
        ("https://x.test/cb?client_secret=abc123&state=ok", ["state=ok"]),
        ("https://x.test/s3?X-Amz-Signature=abc123&X-Amz-Date=20240101", ["X-Amz-Date=20240101"]),
        ("https://x.test/login?user=bob&password=abc123", ["user=bob"]),
        ("https://x.test/hook?api_key=abc123#frag", ["#frag"]),
    ],
)
def test_redacts_secret_query_parameters(url, kept):
    event = run({"event": f"GET {url} failed", "url": url})
    for value in (event["event"], event["url"]):
        assert "abc123" not in value
        assert REDACTED in value
        for part in kept:
            assert part in value


@pytest.mark.parametrize(
    "text, secret",
    [
        ("Authorization: Bearer eyJhbGciOi.payload.sig", "eyJhbGciOi.payload.sig"),
        ("sent bearer abc_DEF-123~xyz", "abc_DEF-123~xyz"),
        ("header Basic dXNlcjpwYXNzd29yZA==", "dXNlcjpwYXNzd29yZA=="),
    ],
)
def test_redacts_bearer_and_basic_credentials_in_text(text, secret):
    event = run({"event": text})
    assert secret not in event["event"]
    assert REDACTED in event["event"]


def test_redacts_the_bound_secrets_of_the_call_anywhere():
    token = bind_secrets(secret_values({"auth_type": "Custom", "credentials": {"api_key": "zz-secret-42"}}))
    try:
        event = run(
            {
                "event": "failed with zz-secret-42 inside",
                "detail": {"body": "echo: zz-secret-42"},
                "list": ["zz-secret-42"],
            }
        )
        assert "zz-secret-42" not in json.dumps(event)
        assert event["event"] == f"failed with {REDACTED} inside"
    finally:
        reset_secrets(token)
    assert run({"event": "zz-secret-42"})["event"] == "zz-secret-42"  # unbound again


def test_secret_values():
    values = secret_values(
        {"auth_type": "PlatformOauth2", "credentials": {"access_token": "long-token-value", "pin": "123", "id": 987654}}
    )
    assert values == ("long-token-value", "987654")
    assert secret_values(None) == ()


def test_scrub_text_leaves_ordinary_text_alone():
    text = "GET https://api.example.com/v1/items?page=2&sort=asc -> 200 (keyword=bees)"
    assert scrub_text(text) == text


def test_bound_secret_inside_a_non_string_value_is_redacted(logs):
    """Values that are not text (an exception, bytes) are rendered as text by
    the JSON renderer: the secret must not survive that either."""
    token = bind_secrets(["zz-object-secret-77"])
    try:
        logging.getLogger("apiary.integration.test").warning(
            "upstream call failed",
            extra={"error": ValueError("rejected key zz-object-secret-77"), "body": b"key=zz-object-secret-77"},
        )
    finally:
        reset_secrets(token)
    assert "upstream call failed" in logs.text()
    assert "zz-object-secret-77" not in logs.text()
