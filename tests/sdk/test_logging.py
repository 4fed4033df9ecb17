"""fetch() diagnostics: through the context's logger, never print(), and
never a credential, query string or body (defect 5 of the reference)."""

import logging

import aiohttp
import pytest
from aiohttp import web

from autohive_integrations_sdk import ExecutionContext, HTTPError

TOKEN = "tok-SECRET-111"
QUERY_SECRET = "qp-SECRET-222"
BODY_SECRET = "body-SECRET-333"
URL_PASSWORD = "pw-SECRET-444"
SECRETS = (TOKEN, QUERY_SECRET, BODY_SECRET, URL_PASSWORD)
AUTH = {"auth_type": "PlatformOauth2", "credentials": {"access_token": TOKEN}}

# The fake upstream's own server-side logs are not the SDK's.
UPSTREAM_LOGGERS = ("aiohttp.access", "aiohttp.server", "aiohttp.web")


def sdk_records(caplog):
    return [record for record in caplog.records if not record.name.startswith(UPSTREAM_LOGGERS)]


def assert_no_secrets(records):
    for record in records:
        text = record.getMessage() + repr(vars(record))
        for secret in SECRETS:
            assert secret not in text, f"{secret} leaked in {record.name} {record.levelname}: {text}"


async def send(url, logger=None, method="POST", auth=AUTH):
    async with ExecutionContext(auth=auth, logger=logger) as context:
        return await context.fetch(
            url, method=method, params={"api_key": QUERY_SECRET}, json={"password": BODY_SECRET}
        )


def with_password(url):
    return url.replace("http://", f"http://user:{URL_PASSWORD}@")


@pytest.fixture
def debug_logs(caplog):
    caplog.set_level(logging.DEBUG)
    return caplog


async def echo(request):
    return web.json_response({"echo": (await request.text()), "query": request.query_string})


async def fail(request):
    return web.json_response({"echo": await request.text(), "auth": request.headers.get("Authorization")}, status=500)


async def test_success_logs_no_secrets(upstream, debug_logs):
    server = await upstream(echo)
    await send(server.url("/items"))
    records = sdk_records(debug_logs)
    assert any(record.levelno == logging.DEBUG and "/items" in record.getMessage() for record in records)
    assert_no_secrets(records)


async def test_http_error_logs_no_secrets(upstream, debug_logs):
    server = await upstream(fail)
    with pytest.raises(HTTPError):
        await send(server.url("/items"))
    records = sdk_records(debug_logs)
    assert any("500" in record.getMessage() for record in records)
    assert_no_secrets(records)


async def test_retried_failure_logs_no_secrets(sleeps, refused_url, debug_logs):
    with pytest.raises(aiohttp.ClientConnectorError):
        await send(refused_url, method="GET")
    records = sdk_records(debug_logs)
    warnings = [record for record in records if record.levelno == logging.WARNING]
    assert len(warnings) == 4, "one per attempt"
    assert "retrying" in warnings[0].getMessage() and "giving up" in warnings[-1].getMessage()
    assert_no_secrets(records)


async def test_url_credentials_not_logged(upstream, sleeps, refused_url, debug_logs):
    """aiohttp refuses user info together with a bearer token, so no OAuth here."""
    server = await upstream(echo)
    await send(with_password(server.url("/items")), auth={})
    with pytest.raises(aiohttp.ClientConnectorError):
        await send(with_password(refused_url), method="GET", auth={})
    records = sdk_records(debug_logs)
    assert len([record for record in records if record.levelno == logging.WARNING]) == 4
    assert_no_secrets(records)


async def test_credential_in_url_path_not_logged(upstream, sleeps, refused_url, debug_logs):
    """Some APIs take the key in the path (Telegram's /bot<token>/...)."""
    path_token = "123456:PATH-SECRET-555"
    auth = {"bot_token": path_token}
    server = await upstream(echo)
    async with ExecutionContext(auth=auth) as context:
        await context.fetch(server.url(f"/bot{path_token}/getMe"))
        with pytest.raises(aiohttp.ClientConnectorError):
            await context.fetch(refused_url.replace("/resource", f"/bot{path_token}/getMe"))
    records = sdk_records(debug_logs)
    assert len(records) >= 5
    for record in records:
        assert path_token not in record.getMessage() + repr(vars(record))


async def test_timeout_logs_no_secrets(raw_upstream, debug_logs):
    server = await raw_upstream(["hang"])
    async with ExecutionContext(auth=AUTH) as context:
        with pytest.raises(TimeoutError):
            await context.fetch(server.url("/slow"), method="POST", params={"k": QUERY_SECRET},
                                json={"p": BODY_SECRET}, timeout=0.2)
    records = sdk_records(debug_logs)
    assert any(record.levelno == logging.WARNING for record in records)
    assert_no_secrets(records)


async def test_failure_logged_through_context_logger(sleeps, refused_url, debug_logs):
    logger = logging.getLogger("tests.sdk.integration_logger")
    with pytest.raises(aiohttp.ClientConnectorError):
        await send(refused_url, logger=logger, method="GET")
    mine = [record for record in debug_logs.records if record.name == logger.name]
    assert len(mine) == 4
    assert all(record.levelno == logging.WARNING for record in mine)
    assert_no_secrets(mine)


async def test_log_record_carries_structured_fields(upstream, debug_logs):
    server = await upstream(echo)
    await send(server.url("/items"))
    (record,) = [record for record in sdk_records(debug_logs) if hasattr(record, "upstream")]
    fields = record.upstream
    assert fields["method"] == "POST"
    assert fields["origin"] == f"http://127.0.0.1:{server.port}"
    assert fields["path"] == "/items"
    assert fields["status"] == 200
    assert fields["retry_count"] == 0


async def test_fetch_never_prints(upstream, sleeps, refused_url, capsys):
    server = await upstream({"/ok": echo, "/fail": fail})
    await send(server.url("/ok"))
    with pytest.raises(HTTPError):
        await send(server.url("/fail"))
    with pytest.raises(aiohttp.ClientConnectorError):
        await send(refused_url, method="GET")
    captured = capsys.readouterr()
    assert captured.out == ""
    assert captured.err == ""
