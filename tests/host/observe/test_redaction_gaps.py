"""Redaction where it used to have gaps:

- logs written from threads (an executor, a thread the integration starts)
  carry no credential, and those of the loop's executor carry the call's ids;
- an embedding application that configured structlog and logging before the
  host still gets no credential from the host's events or its integrations'
  loggers (a raising handler's traceback included);
- results never hand a host-resolved credential to a caller who did not
  supply it (messages and data, over HTTP too); caller-supplied auth is the
  caller's own and is left alone.
"""

from __future__ import annotations

import io
import json
import logging
from pathlib import Path

import pytest
import structlog

from apiary import parse_config
from apiary._observe import logs as apiary_logs
from autohive_integrations_sdk import ResultType

from .._support import StaticSource, simple_config

SECRET = "host-secret-Vb83Kq1Zr7"  # resolved by the host from its config
CALLER_SECRET = "caller-secret-Tn26Wd4Hs9"  # passed by the caller as auth

CODE = '''
import asyncio
import logging
import threading

from autohive_integrations_sdk import (
    ActionError, ActionHandler, ActionResult, ConnectedAccountHandler, ConnectedAccountInfo, Integration,
)

integration = Integration.load()


def key(context):
    return context.auth["api_key"]


@integration.action("log_in_executor")
class LogInExecutor(ActionHandler):
    async def execute(self, inputs, context):
        def work():
            context.logger.warning("key in an executor thread: %s", key(context))
            if inputs.get("library", True):
                logging.getLogger("some.library").warning("library sees %s", context.auth)
        await asyncio.get_running_loop().run_in_executor(None, work)
        return ActionResult(data={})


@integration.action("log_in_own_thread")
class LogInOwnThread(ActionHandler):
    async def execute(self, inputs, context):
        thread = threading.Thread(
            target=lambda: context.logger.warning("key in a thread of its own: %s", key(context))
        )
        thread.start()
        thread.join(10)
        return ActionResult(data={})


@integration.action("raise_key")
class RaiseKey(ActionHandler):
    async def execute(self, inputs, context):
        context.logger.warning("about to fail with %s", key(context), extra={"auth": context.auth})
        raise RuntimeError(f"the upstream refused {key(context)}")


@integration.action("error_naming_key")
class ErrorNamingKey(ActionHandler):
    async def execute(self, inputs, context):
        return ActionError(message=f"the key {key(context)} was refused")


@integration.action("echo_upstream")
class EchoUpstream(ActionHandler):
    """Returns what the upstream answered, which repeats the key it was sent."""

    async def execute(self, inputs, context):
        response = await context.fetch(inputs["url"], headers={"X-Api-Key": key(context)})
        return ActionResult(data={"upstream": response.data, "list": [key(context), {"deep": "k=" + key(context)}]})


@integration.connected_account()
class Account(ConnectedAccountHandler):
    async def get_account_info(self, context):
        return ConnectedAccountInfo(username=key(context))
'''

ACTIONS = ("log_in_executor", "log_in_own_thread", "raise_key", "error_naming_key", "echo_upstream")


def _config_json() -> dict:
    schema = {"description": "x", "input_schema": {"type": "object"}, "output_schema": {"type": "object"}}
    return simple_config("careless", actions={name: schema for name in ACTIONS})


HOST_CONFIG = {"integrations": {"careless": {"accounts": {"default": {"api_key": {"env": "APIARY_TEST_GAP_SECRET"}}}}}}


@pytest.fixture
def careless(make_package, monkeypatch):
    monkeypatch.setenv("APIARY_TEST_GAP_SECRET", SECRET)
    module = make_package.make(_config_json(), CODE, prefix="careless")
    return StaticSource([make_package.discovered("careless", module)])


# ---- (a) threads ----------------------------------------------------------------------


async def test_executor_thread_logs_are_redacted_and_carry_the_call_ids(make_host, careless, logs):
    host = await make_host(config=HOST_CONFIG, sources=[careless])
    assert (await host.call("careless", "log_in_executor", {})).type is ResultType.ACTION
    assert (
        await host.call("careless", "log_in_executor", {}, auth={"api_key": CALLER_SECRET})
    ).type is ResultType.ACTION

    text = logs.text()
    assert SECRET not in text and CALLER_SECRET not in text
    calls = logs.events("call")
    assert len(calls) == 2
    threaded = [line for line in logs.lines() if "thread" in line["event"] or "library" in line["event"]]
    assert len(threaded) == 4
    assert all("[redacted]" in line["event"] for line in threaded)
    assert [line["call_id"] for line in threaded] == [calls[0]["call_id"]] * 2 + [calls[1]["call_id"]] * 2


async def test_a_thread_the_integration_starts_itself_gets_no_host_secret(make_host, careless, logs):
    host = await make_host(config=HOST_CONFIG, sources=[careless])
    assert (await host.call("careless", "log_in_own_thread", {})).type is ResultType.ACTION
    [line] = [line for line in logs.lines() if "own" in line["event"]]
    assert line["event"] == "key in a thread of its own: [redacted]"
    assert SECRET not in logs.text()


# ---- (b) an application that configured logging first -------------------------------------


@pytest.fixture
def application_logging(monkeypatch):
    """structlog and the root logger configured by the embedding application
    (plain renderers, no redaction), before the host starts."""
    saved = structlog.get_config()
    root = logging.getLogger()
    saved_handlers = list(root.handlers)
    stream = io.StringIO()
    structlog.configure(
        processors=[
            structlog.processors.add_log_level,
            structlog.processors.format_exc_info,
            structlog.processors.JSONRenderer(),
        ],
        logger_factory=structlog.WriteLoggerFactory(file=stream),
        wrapper_class=structlog.make_filtering_bound_logger(logging.DEBUG),
    )
    for handler in saved_handlers:
        root.removeHandler(handler)
    handler = logging.StreamHandler(stream)
    handler.setFormatter(logging.Formatter("%(levelname)s %(name)s %(message)s %(auth)s"))
    handler.addFilter(lambda record: setattr(record, "auth", getattr(record, "auth", "-")) or True)
    root.addHandler(handler)
    monkeypatch.setattr(apiary_logs, "_configured", False)
    try:
        yield stream
    finally:
        root.removeHandler(handler)
        for saved_handler in saved_handlers:
            root.addHandler(saved_handler)
        structlog.configure(**saved)


async def test_redaction_holds_when_the_application_configured_logging_first(
    make_host, careless, application_logging
):
    host = await make_host(config=HOST_CONFIG, sources=[careless])
    result = await host.call("careless", "raise_key", {})
    assert result.result["error"] == "handler_error"
    # (A library's own logger writes to the application's handlers as the
    # application set them up: only the host's loggers are the host's to scrub.)
    assert (await host.call("careless", "log_in_executor", {"library": False})).type is ResultType.ACTION

    text = application_logging.getvalue()
    assert SECRET not in text
    # The application's pipeline did get the events: the host's own, with
    # the traceback, and the integration's records.
    events = [json.loads(line) for line in text.splitlines() if line.startswith("{")]
    [raised] = [event for event in events if event.get("event") == "handler_raised"]
    assert "RuntimeError: the upstream refused [redacted]" in raised["exception"]
    assert raised["call_id"] and raised["integration"] == "careless"
    assert any(event.get("event") == "call" for event in events)
    assert "WARNING apiary.integration.careless about to fail with [redacted]" in text
    assert "key in an executor thread: [redacted]" in text


# ---- (c) results ----------------------------------------------------------------------------


async def test_results_never_carry_a_host_resolved_credential(make_host, careless, fake_upstream):
    host = await make_host(config=HOST_CONFIG, sources=[careless])
    results = [
        await host.call("careless", "error_naming_key", {}),
        await host.call("careless", "echo_upstream", {"url": fake_upstream.url("/whoami")}),
        await host.call("careless", "raise_key", {}),
        await host.connected_account("careless"),
    ]
    assert [result.type for result in results] == [
        ResultType.ACTION_ERROR, ResultType.ACTION, ResultType.ERROR, ResultType.CONNECTED_ACCOUNT
    ]
    # The key did reach the upstream, which echoed it back.
    assert fake_upstream.seen("/whoami")[0].headers["X-Api-Key"] == SECRET
    assert results[0].result.message == "the key [redacted] was refused"
    assert results[1].result.data == {
        "upstream": {"api_key": "[redacted]", "authorization": None, "cookie": None},
        "list": ["[redacted]", {"deep": "k=[redacted]"}],
    }
    assert results[3].result.username == "[redacted]"
    for result in results:
        assert SECRET not in repr(result.result)


async def test_caller_supplied_auth_is_left_in_results(make_host, careless, fake_upstream):
    host = await make_host(config=HOST_CONFIG, sources=[careless])
    auth = {"api_key": CALLER_SECRET}
    error = await host.call("careless", "error_naming_key", {}, auth=auth)
    assert error.result.message == f"the key {CALLER_SECRET} was refused"
    echoed = await host.call("careless", "echo_upstream", {"url": fake_upstream.url("/whoami")}, auth=auth)
    assert echoed.result.data["upstream"]["api_key"] == CALLER_SECRET


async def test_http_clients_never_see_a_host_resolved_credential(tmp_path: Path, monkeypatch, fake_upstream):
    """Through the web face: the same integration as a folder, its default
    account from the host config."""
    from aiohttp.test_utils import TestClient, TestServer

    from apiary.web.app import build_app

    monkeypatch.setenv("APIARY_TEST_GAP_SECRET", SECRET)
    folder = tmp_path / "folders" / "careless"
    folder.mkdir(parents=True)
    (folder / "config.json").write_text(json.dumps({**_config_json(), "entry_point": "careless.py"}), "utf-8")
    (folder / "careless.py").write_text(CODE, encoding="utf-8")
    config = parse_config({"host": {"folders": [str(tmp_path / "folders")]}, **HOST_CONFIG})
    async with TestClient(TestServer(build_app(config, token=None))) as client:
        answers = []
        for path, body in (
            ("/integrations/careless/actions/error_naming_key", {}),
            ("/integrations/careless/actions/echo_upstream", {"inputs": {"url": fake_upstream.url("/whoami")}}),
            ("/integrations/careless/actions/raise_key", {}),
            ("/integrations/careless/account", {}),
        ):
            response = await client.post(path, json=body)
            answers.append((response.status, await response.text()))
    assert [status for status, _ in answers] == [424, 200, 500, 200], answers
    assert fake_upstream.seen("/whoami")[0].headers["X-Api-Key"] == SECRET
    for _, text in answers:
        assert SECRET not in text
        assert "[redacted]" in text
