"""``apiary serve`` over real HTTP: every endpoint and every status.

One server for the module: ``apiary serve`` as a subprocess on a free
loopback port, the fixture plugins installed, a host config in a temporary
directory with a bearer token (``serve.token``), a small body limit, a short
call timeout for ``echo`` and the default account of ``keyed``. Canary
secrets (the token, the ``keyed`` key, auth sent in bodies) must never show
up on the server's stderr. Calls that need an upstream talk to
``fake_upstream``, an aiohttp server in the test process, by URL.
"""

from __future__ import annotations

import asyncio
import hashlib
import json
import socket
import uuid
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import aiohttp
import pytest

from ._serve import (
    CALL_ID,
    ServerProcess,
    bearer,
    raw_http,
    split_http,
    start_serve,
    strict_json,
)

TOKEN = "tok-canary-Zq81Lm4Wv0Xs"
KEYED_KEY = "keyed-canary-Hb62Ty9Pd3"
AUTH_CANARY = "auth-canary-Rj57Nc2Ke8"
WRONG_TOKEN = "wrong-canary-Ux30Ga6Yf1"
BODY_CANARY = "body-canary-Mt49Qe7Sn5"
MAX_BODY = 4096

CONFIG = f"""
[logging]
format = "json"

[serve]
max_body_bytes = {MAX_BODY}
grace_period = 5
token = {{ env = "APIARY_E2E_SERVE_TOKEN" }}

[integrations.echo]
call_timeout = 1

[integrations.keyed.accounts.default]
api_key = {{ env = "APIARY_E2E_KEYED_KEY" }}
"""


@dataclass
class Served:
    server: ServerProcess
    config: Path

    @property
    def url(self) -> str:
        return self.server.base_url


@pytest.fixture(scope="module")
def served(installed_plugins: Path, tmp_path_factory: pytest.TempPathFactory):
    workdir = tmp_path_factory.mktemp("serve-http")
    config = workdir / "apiary.toml"
    config.write_text(CONFIG, encoding="utf-8")
    server = start_serve(
        installed_plugins,
        workdir,
        config=config,
        env={"APIARY_E2E_SERVE_TOKEN": TOKEN, "APIARY_E2E_KEYED_KEY": KEYED_KEY},
    )
    try:
        server.wait_ready()
        yield Served(server, config)
    finally:
        server.stop()


@pytest.fixture
async def client(served):
    async with aiohttp.ClientSession(
        base_url=served.url, headers=bearer(TOKEN), timeout=aiohttp.ClientTimeout(total=30)
    ) as session:
        yield session


@pytest.fixture
async def anonymous(served):
    async with aiohttp.ClientSession(base_url=served.url, timeout=aiohttp.ClientTimeout(total=30)) as session:
        yield session


@dataclass
class Answer:
    status: int
    headers: Any
    text: str

    @property
    def body(self) -> Any:
        """The body as JSON (strict: NaN/Infinity are not JSON)."""
        assert self.headers.get("Content-Type", "").startswith("application/json"), self.headers
        return strict_json(self.text)

    @property
    def kind(self) -> str | None:
        """``result.error`` of an error envelope."""
        return self.body["result"].get("error")


async def ask(session: aiohttp.ClientSession, method: str, path: str, **kwargs: Any) -> Answer:
    async with session.request(method, path, **kwargs) as response:
        return Answer(response.status, response.headers, await response.text())


async def call(session, integration: str, action: str, body: Any = None, **kwargs: Any) -> Answer:
    if body is not None:
        kwargs["json"] = body
    return await ask(session, "POST", f"/integrations/{integration}/actions/{action}", **kwargs)


async def account(session, integration: str, body: Any = None) -> Answer:
    return await ask(session, "POST", f"/integrations/{integration}/account", json=body if body is not None else {})


def envelope(answer: Answer, kind: str) -> dict[str, Any]:
    body = answer.body
    assert set(body) == {"version", "type", "result"}, body
    assert body["type"] == kind, body
    return body["result"]


async def assert_logged_call(served: Served, answer: Answer, integration: str, action: str, outcome: str) -> str:
    """The call id header, and the ``call`` and ``http_request`` log lines carrying it."""
    call_id = answer.headers.get("X-Apiary-Call-Id", "")
    assert CALL_ID.match(call_id), answer.headers
    call_line = await served.server.wait_log("call", call_id=call_id)
    assert (call_line["integration"], call_line["action"], call_line["outcome"]) == (integration, action, outcome)
    access = await served.server.wait_log("http_request", call_id=call_id)
    assert access["status"] == answer.status
    assert access["method"] == "POST"
    return call_id


# ---- health, catalogue, OpenAPI ---------------------------------------------------------


async def test_healthz_and_readyz_need_no_token(anonymous):
    health = await ask(anonymous, "GET", "/healthz")
    assert health.status == 200
    assert health.body == {"status": "ok"}
    ready = await ask(anonymous, "GET", "/readyz")
    assert ready.status == 200
    assert isinstance(ready.body, dict)


def _without_state(items):
    return [{key: value for key, value in item.items() if key not in ("state", "reason")} for item in items]


async def test_integrations_is_the_data_of_apiary_list_json(client, served, apiary):
    answer = await ask(client, "GET", "/integrations")
    assert answer.status == 200
    listed = apiary("list", "--json", "--config", str(served.config))
    assert listed.returncode == 0, listed.stderr
    expected = listed.json()
    # States move on as calls load integrations; everything else is the same data.
    assert _without_state(answer.body) == _without_state(expected)
    for served_item, listed_item in zip(answer.body, expected, strict=True):
        if listed_item["state"] == "broken":
            assert (served_item["state"], served_item["reason"]) == ("broken", listed_item["reason"])
    assert {"echo", "keyed", "broken"} <= {item["id"] for item in answer.body}


async def test_describe_is_the_data_of_apiary_show_json(client, served, apiary):
    answer = await ask(client, "GET", "/integrations/echo")
    assert answer.status == 200
    shown = apiary("show", "echo", "--json", "--config", str(served.config))
    assert shown.returncode == 0, shown.stderr
    assert _without_state([answer.body]) == _without_state([shown.json()])
    slow = next(action for action in answer.body["actions"] if action["name"] == "slow")
    assert slow["input_schema"]["required"] == ["seconds"]


async def test_describe_unknown_integration_is_404(client):
    answer = await ask(client, "GET", "/integrations/nosuch")
    assert answer.status == 404
    assert envelope(answer, "error")["error"] == "unknown_integration"


async def test_openapi_document_has_one_operation_per_action(client):
    answer = await ask(client, "GET", "/openapi.json")
    assert answer.status == 200
    document = answer.body
    assert document["openapi"].startswith("3.1")
    paths = document["paths"]
    assert set(paths["/integrations"]) == {"get"}
    assert set(paths["/integrations/{id}"]) == {"get"}
    assert set(paths["/integrations/{id}/account"]) == {"post"}
    assert "get" in paths["/healthz"] and "get" in paths["/readyz"]

    listed = (await ask(client, "GET", "/integrations")).body
    declared = {
        f"/integrations/{item['id']}/actions/{action['name']}": item["state"]
        for item in listed
        for action in item["actions"]
    }
    offered = {path for path in paths if "/actions/" in path}
    assert offered <= set(declared), offered - set(declared)
    missing = {path for path, state in declared.items() if state != "broken"} - offered
    assert not missing, missing
    assert "/integrations/dup/actions/hello" not in offered  # two distributions claim "dup": broken

    echo = (await ask(client, "GET", "/integrations/echo")).body
    schemas = {action["name"]: action for action in echo["actions"]}
    components = document["components"]["schemas"]

    def resolve(ref: str) -> Any:
        node: Any = document
        for part in ref.lstrip("#/").split("/"):
            node = node[part]
        return node

    for name in ("echo", "fetch_json"):
        operation = paths[f"/integrations/echo/actions/{name}"]["post"]
        body_schema = operation["requestBody"]["content"]["application/json"]["schema"]
        assert resolve(body_schema["properties"]["inputs"]["$ref"]) == schemas[name]["input_schema"]
        assert set(body_schema["properties"]) == {"inputs", "auth", "account"}
        assert {"200", "400", "401", "404", "413", "422", "424", "500", "502", "503", "504"} <= set(
            operation["responses"]
        )
        success = operation["responses"]["200"]["content"]["application/json"]["schema"]
        data_ref = success["properties"]["result"]["properties"]["data"]["$ref"]
        assert resolve(data_ref) == schemas[name]["output_schema"]
    assert components  # the action schemas live in components


# ---- action results and their statuses ------------------------------------------------------


async def test_action_result_is_200_with_call_id_header_and_logs(client, served):
    answer = await call(client, "echo", "echo", {"inputs": {"x": 1, "message": "hi"}})
    assert answer.status == 200
    result = envelope(answer, "action")
    assert result["data"] == {"x": 1, "message": "hi"}
    call_id = await assert_logged_call(served, answer, "echo", "echo", "action")
    access = await served.server.wait_log("http_request", call_id=call_id)
    assert access["path"] == "/integrations/echo/actions/echo"
    assert isinstance(access["duration_ms"], (int, float)) and access["duration_ms"] >= 0


async def test_every_call_gets_its_own_call_id(client):
    ids = set()
    for _ in range(3):
        answer = await call(client, "echo", "echo", {"inputs": {}})
        assert answer.status == 200
        ids.add(answer.headers["X-Apiary-Call-Id"])
    assert len(ids) == 3


async def test_inputs_default_to_an_empty_object(client, served):
    no_inputs = await call(client, "echo", "echo", {})
    assert no_inputs.status == 200
    assert envelope(no_inputs, "action")["data"] == {}
    empty = await call(client, "echo", "echo", data=b"", headers={"Content-Type": "application/json"})
    assert empty.status == 200
    assert envelope(empty, "action")["data"] == {}


async def test_action_with_configured_credentials_reaches_the_upstream(client, served, fake_upstream):
    answer = await call(client, "keyed", "whoami", {"inputs": {"url": fake_upstream.url("/whoami")}})
    assert answer.status == 200, answer.text
    assert envelope(answer, "action")["data"]["status"] == 200
    assert fake_upstream.seen("/whoami")[0].headers["X-Api-Key"] == KEYED_KEY
    await assert_logged_call(served, answer, "keyed", "whoami", "action")
    upstream = await served.server.wait_log("upstream_request", call_id=answer.headers["X-Apiary-Call-Id"])
    assert (upstream["path"], upstream["status"]) == ("/whoami", 200)


async def test_connected_account_with_auth_in_the_body(client, served):
    answer = await account(client, "keyed", {"auth": {"api_key": AUTH_CANARY}})
    assert answer.status == 200
    result = envelope(answer, "connected_account")
    assert (result["username"], result["organization"]) == ("keyed-user", "Keyed Test Org")
    assert result["user_id"] == hashlib.sha256(AUTH_CANARY.encode()).hexdigest()[:12]
    await assert_logged_call(served, answer, "keyed", "connected_account", "connected_account")


async def test_connected_account_of_the_configured_default_account(client):
    answer = await account(client, "keyed", {})
    assert answer.status == 200
    assert envelope(answer, "connected_account")["user_id"] == hashlib.sha256(KEYED_KEY.encode()).hexdigest()[:12]
    named = await account(client, "keyed", {"account": "default"})
    assert named.status == 200


async def test_invalid_inputs_are_422(client, served):
    answer = await call(client, "echo", "echo", {"inputs": {"x": "one"}})
    assert answer.status == 422
    result = envelope(answer, "validation_error")
    assert (result["source"], result["property"]) == ("input", "x")
    await assert_logged_call(served, answer, "echo", "echo", "validation_error")
    missing = await call(client, "echo", "slow", {"inputs": {}})
    assert missing.status == 422


async def test_invalid_inputs_list_every_error_as_property_and_message(client):
    answer = await call(client, "echo", "fetch_json", {"inputs": {"url": 5, "retries": "three"}})
    assert answer.status == 422
    result = envelope(answer, "validation_error")
    assert result["errors"] == [
        {"property": "retries", "message": "'three' is not of type 'integer'"},
        {"property": "url", "message": "5 is not of type 'string'"},
    ]
    assert "['properties', 'url', 'type'], 5 is not of type 'string',\n " in result["message"]  # the reference's


async def test_invalid_auth_is_422(client, served):
    empty = await account(client, "keyed", {"auth": {}})
    assert empty.status == 422
    assert envelope(empty, "validation_error")["property"] == "api_key"
    wrong_type = await call(
        client, "keyed", "whoami", {"inputs": {"url": "http://127.0.0.1:9/"}, "auth": {"api_key": 5}}
    )
    assert wrong_type.status == 422
    assert envelope(wrong_type, "validation_error")["property"] == "api_key"
    await assert_logged_call(served, wrong_type, "keyed", "whoami", "validation_error")


async def test_output_breaking_its_schema_is_502(client, served):
    answer = await call(client, "echo", "bad_output", {"inputs": {}})
    assert answer.status == 502
    assert envelope(answer, "validation_error")["source"] == "output"
    await assert_logged_call(served, answer, "echo", "bad_output", "validation_error")


async def test_action_error_is_424(client, served):
    answer = await call(client, "echo", "action_error", {"inputs": {"message": "no such user"}})
    assert answer.status == 424
    assert envelope(answer, "action_error")["message"] == "no such user"
    await assert_logged_call(served, answer, "echo", "action_error", "action_error")


@pytest.mark.parametrize(
    "integration, action, kind",
    [("nosuch", "echo", "unknown_integration"), ("echo", "nosuch", "unknown_action")],
)
async def test_unknown_integration_or_action_is_404(client, served, integration, action, kind):
    answer = await call(client, integration, action, {"inputs": {}})
    assert answer.status == 404
    assert envelope(answer, "error")["error"] == kind
    await assert_logged_call(served, answer, integration, action, "error")


async def test_account_without_a_handler_is_404_unsupported(client, served):
    answer = await account(client, "echo", {})
    assert answer.status == 404
    assert envelope(answer, "error")["error"] == "unsupported"
    await assert_logged_call(served, answer, "echo", "connected_account", "error")
    unknown = await account(client, "nosuch", {})
    assert unknown.status == 404
    assert envelope(unknown, "error")["error"] == "unknown_integration"


async def test_unavailable_action_is_501_and_its_neighbours_serve(client, served):
    answer = await call(client, "nohandler", "forgotten", {"inputs": {}})
    assert answer.status == 501
    result = envelope(answer, "error")
    assert result["error"] == "action_unavailable" and "no handler" in result["message"]
    await assert_logged_call(served, answer, "nohandler", "forgotten", "error")
    assert (await call(client, "nohandler", "implemented", {"inputs": {}})).status == 200


@pytest.mark.parametrize("integration, action", [("broken", "anything"), ("dup", "hello")])
async def test_broken_integration_is_503(client, served, integration, action):
    answer = await call(client, integration, action, {"inputs": {}})
    assert answer.status == 503
    result = envelope(answer, "error")
    assert result["error"] == "integration_broken"
    if integration == "broken":
        assert "library_that_is_not_installed" in result["message"]
    await assert_logged_call(served, answer, integration, action, "error")


async def test_missing_credentials_are_424(client, served):
    answer = await account(client, "keyed", {"account": "nope"})
    assert answer.status == 424
    assert envelope(answer, "error")["error"] == "credentials_unavailable"
    await assert_logged_call(served, answer, "keyed", "connected_account", "error")
    action = await call(client, "keyed", "whoami", {"inputs": {"url": "http://127.0.0.1:9/"}, "account": "nope"})
    assert action.status == 424
    assert envelope(action, "error")["error"] == "credentials_unavailable"


async def test_upstream_failure_is_502(client, served, fake_upstream, refused_url):
    answer = await call(client, "echo", "fetch_json", {"inputs": {"url": fake_upstream.url("/status/500")}})
    assert answer.status == 502
    result = envelope(answer, "error")
    assert (result["error"], result["status"]) == ("upstream_error", 500)
    await assert_logged_call(served, answer, "echo", "fetch_json", "error")
    unreachable = await call(client, "echo", "fetch_json", {"inputs": {"url": refused_url, "retries": 0}})
    assert unreachable.status == 502
    assert envelope(unreachable, "error")["error"] == "upstream_error"


async def test_upstream_success_is_200(client, fake_upstream):
    answer = await call(client, "echo", "fetch_json", {"inputs": {"url": fake_upstream.url("/json")}})
    assert answer.status == 200
    assert envelope(answer, "action")["data"] == {"status": 200, "data": {"hello": "world", "items": [1, 2, 3]}}


async def test_timeout_is_504(client, served):
    # echo's call_timeout is 1 s in this server's config.
    answer = await call(client, "echo", "slow", {"inputs": {"seconds": 30}})
    assert answer.status == 504
    assert envelope(answer, "error")["error"] == "timeout"
    await assert_logged_call(served, answer, "echo", "slow", "error")


async def test_handler_exception_is_500_json_without_traceback(client, served):
    answer = await call(client, "echo", "boom", {"inputs": {"message": "kaboom"}})
    assert answer.status == 500
    result = envelope(answer, "error")
    assert result["error"] == "handler_error"
    assert result["exception"] == "RuntimeError"
    assert "kaboom" in result["message"]
    assert "Traceback" not in answer.text
    call_id = await assert_logged_call(served, answer, "echo", "boom", "error")
    # The handler's exception is logged with the call's id (where its traceback belongs).
    raised = await served.server.wait_log("handler_raised", call_id=call_id)
    assert raised["level"] == "warning"


# ---- the server's own refusals -----------------------------------------------------------


@pytest.mark.parametrize(
    "raw",
    [
        b"{not json",
        b'{"inputs": {"x": 1}',
        b"\xff\xfe\x00",
        b"[1, 2]",
        b'"just a string"',
        b"42",
        b"null",
        b'{"inputs": [1, 2]}',
        b'{"inputs": "x=1"}',
        b'{"auth": "api_key"}',
        b'{"account": 5}',
        b'{"input": {"x": 1}}',
    ],
    ids=[
        "syntax", "truncated", "not-utf8", "array", "string", "number", "null",
        "inputs-array", "inputs-string", "auth-string", "account-number", "unknown-key",
    ],
)
async def test_malformed_json_or_wrong_body_shape_is_400(client, raw):
    answer = await call(client, "echo", "echo", data=raw, headers={"Content-Type": "application/json"})
    assert answer.status == 400, answer.text
    assert envelope(answer, "error")["error"] == "bad_request"
    assert "X-Apiary-Call-Id" not in answer.headers  # refused before any call


async def test_account_body_of_the_wrong_shape_is_400(client):
    for raw in (b"[]", b'{"auth": [1]}', b'{"inputs": {}}', b"{nope"):
        answer = await ask(client, "POST", "/integrations/keyed/account", data=raw)
        assert answer.status == 400, (raw, answer.text)
        assert answer.kind == "bad_request"


@pytest.mark.parametrize("depth", [600, 1900])
async def test_deeply_nested_json_is_never_a_500(client, depth):
    """Valid JSON nested deep (under the body limit) is either served or a
    bad request, never a RecursionError answered as 500 internal_error (at
    1900 levels ``json.loads`` of the body recurses too deep)."""
    raw = b'{"inputs": {"v": ' + b"[" * depth + b"]" * depth + b"}}"
    assert len(raw) < MAX_BODY
    answer = await call(client, "echo", "echo", data=raw, headers={"Content-Type": "application/json"})
    assert answer.status in (200, 400), answer.text[:300]
    if answer.status == 400:
        assert answer.kind == "bad_request"
    else:
        assert json.dumps(envelope(answer, "action")["data"]).count("[") == depth


@pytest.mark.parametrize("constant", ["NaN", "Infinity", "-Infinity"])
async def test_non_json_constants_are_400_and_never_echoed(client, constant):
    """NaN/Infinity are not JSON: a body using them is malformed, and no
    answer may carry them (every response body is JSON)."""
    raw = b'{"inputs": {"v": ' + constant.encode() + b"}}"
    answer = await call(client, "echo", "echo", data=raw, headers={"Content-Type": "application/json"})
    assert constant not in answer.text, answer.text
    assert answer.status == 400, answer.text
    assert answer.kind == "bad_request"


async def test_body_over_the_limit_is_413(client, served):
    under = await call(client, "echo", "echo", {"inputs": {"message": "a" * (MAX_BODY - 200)}})
    assert under.status == 200
    over = await call(client, "echo", "echo", {"inputs": {"message": "a" * (MAX_BODY + 100)}})
    assert over.status == 413
    assert envelope(over, "error")["error"] == "payload_too_large"
    access = await served.server.wait_log("http_request", status=413)
    assert access["path"] == "/integrations/echo/actions/echo"

    async def chunks():  # no Content-Length: the limit holds for a chunked body too
        yield b'{"inputs": {"message": "'
        for _ in range(MAX_BODY // 512 + 2):
            yield b"b" * 512
        yield b'"}}'

    chunked = await call(client, "echo", "echo", data=chunks(), headers={"Content-Type": "application/json"})
    assert chunked.status == 413
    assert chunked.kind == "payload_too_large"
    big_account = await ask(
        client, "POST", "/integrations/keyed/account", json={"auth": {"api_key": "k" * (MAX_BODY + 100)}}
    )
    assert big_account.status == 413


@pytest.mark.parametrize(
    "method, path",
    [
        ("GET", "/integrations"),
        ("GET", "/integrations/echo"),
        ("GET", "/openapi.json"),
        ("POST", "/integrations/echo/actions/echo"),
        ("POST", "/integrations/keyed/account"),
    ],
)
async def test_missing_or_wrong_token_is_401(anonymous, method, path):
    kwargs = {"json": {}} if method == "POST" else {}
    for headers in (
        {},
        bearer(WRONG_TOKEN),
        bearer(TOKEN + "x"),
        bearer(TOKEN[:-1]),
        {"Authorization": TOKEN},
        {"Authorization": f"Basic {TOKEN}"},
        {"Authorization": "Bearer"},
    ):
        answer = await ask(anonymous, method, path, headers=headers, **kwargs)
        assert answer.status == 401, (headers, answer.text)
        assert answer.headers.get("WWW-Authenticate", "").startswith("Bearer"), answer.headers
        assert envelope(answer, "error")["error"] == "unauthorized"
    right = await ask(anonymous, method, path, headers=bearer(TOKEN), **kwargs)
    assert right.status != 401


async def test_non_utf8_authorization_header_is_401_not_500(served):
    """Header bytes that are not UTF-8 are a wrong token: a JSON 401 with its
    access-log line, not a server error."""
    answer = raw_http(
        served.server.port,
        b"GET /integrations/utf8-probe HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer \xff\xfe\r\n"
        b"Connection: close\r\n\r\n",
    )
    status, headers, body = split_http(answer)
    assert status == 401, body
    assert headers.get("www-authenticate", "").startswith("Bearer")
    assert json.loads(body)["result"]["error"] == "unauthorized"
    await served.server.wait_log("http_request", path="/integrations/utf8-probe", status=401)


async def test_the_bearer_scheme_is_case_insensitive(anonymous):
    """RFC 9110 section 11.1: the authentication scheme is a case-insensitive token."""
    for scheme in ("bearer", "BEARER"):
        answer = await ask(anonymous, "GET", "/integrations", headers={"Authorization": f"{scheme} {TOKEN}"})
        assert answer.status == 200, (scheme, answer.text)


@pytest.mark.parametrize("path", ["/nope", "/integrations/echo/actions", "/integrations/echo/actions/echo/more", "/"])
async def test_unknown_route_is_404_json(client, path):
    answer = await ask(client, "GET", path)
    assert answer.status == 404
    assert envelope(answer, "error")["error"] == "not_found"


@pytest.mark.parametrize(
    "method, path, allowed",
    [
        ("GET", "/integrations/echo/actions/echo", "POST"),
        ("PUT", "/integrations", "GET"),
        ("DELETE", "/integrations/echo", "GET"),
        ("GET", "/integrations/keyed/account", "POST"),
        ("POST", "/openapi.json", "GET"),
    ],
)
async def test_wrong_method_is_405_json(client, method, path, allowed):
    answer = await ask(client, method, path)
    assert answer.status == 405
    assert envelope(answer, "error")["error"] == "method_not_allowed"
    assert allowed in answer.headers.get("Allow", "")


# ---- the access log -------------------------------------------------------------------------


async def test_access_log_without_a_call_has_no_call_id(client, served):
    answer = await ask(client, "GET", "/integrations/no-such-integration-3f7")
    assert answer.status == 404
    line = await served.server.wait_log("http_request", path="/integrations/no-such-integration-3f7")
    assert (line["method"], line["status"]) == ("GET", 404)
    assert isinstance(line["duration_ms"], (int, float))
    assert line.get("call_id") is None
    assert line["level"] == "info"


async def test_logs_never_hold_bodies_tokens_or_credentials(client, anonymous, served, fake_upstream):
    """Canaries in the token, in auth sent in bodies, in the configured key
    and in inputs: the calls run, the access log has its fields, and no
    canary reaches stderr (bodies and auth headers are never logged)."""
    answers = [
        await call(client, "echo", "echo", {"inputs": {"message": BODY_CANARY}}),
        await call(client, "echo", "log_auth", {"inputs": {}, "auth": {"api_key": AUTH_CANARY}}),
        await account(client, "keyed", {"auth": {"api_key": AUTH_CANARY}}),
        await call(client, "keyed", "whoami", {"inputs": {"url": fake_upstream.url("/whoami")}}),
        await call(client, "echo", "echo", {"inputs": {"x": "not a number", "message": BODY_CANARY}}),
    ]
    assert [answer.status for answer in answers] == [200, 200, 200, 200, 422]
    assert envelope(answers[0], "action")["data"] == {"message": BODY_CANARY}
    refused = await ask(anonymous, "GET", "/integrations", headers=bearer(WRONG_TOKEN))
    assert refused.status == 401
    for answer in answers:
        line = await served.server.wait_log("http_request", call_id=answer.headers["X-Apiary-Call-Id"])
        assert {"method", "path", "status", "duration_ms", "call_id"} <= set(line)
        assert not {"body", "headers", "authorization", "auth", "inputs", "query"} & {key.lower() for key in line}
    await served.server.wait_log("http_request", status=401, path="/integrations")
    stderr = served.server.stderr()
    for canary in (TOKEN, WRONG_TOKEN, AUTH_CANARY, KEYED_KEY, BODY_CANARY):
        assert canary not in stderr, canary
    assert fake_upstream.seen("/whoami")[0].headers["X-Api-Key"] == KEYED_KEY  # it was really used


# ---- the wire: what aiohttp would answer or log on its own ----------------------------------------


async def test_a_client_leaving_mid_body_is_a_disconnect_not_a_500(served):
    """The client announces 1000 bytes, sends a few and closes: one short
    ``http_request`` line (status 499, ``client_disconnected``), no 500, no
    ``http_handler_failed`` and no traceback."""
    path = f"/integrations/echo/actions/leaves-{uuid.uuid4().hex[:8]}"
    with socket.create_connection(("127.0.0.1", served.server.port), timeout=10) as sock:
        sock.sendall(
            f"POST {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer {TOKEN}\r\n"
            "Content-Type: application/json\r\nContent-Length: 1000\r\n\r\n".encode()
            + b'{"inputs": {"x": '
        )
        await asyncio.sleep(0.2)  # the handler is reading the body when the client goes
    line = await served.server.wait_log("http_request", path=path)
    assert line["status"] == 499 and line["client_disconnected"] is True, line
    assert "exception" not in line
    related = [entry for entry in served.server.log_lines() if entry.get("path") == path]
    assert [entry["event"] for entry in related] == ["http_request"], related
    assert "Connection lost" not in served.server.stderr()


@pytest.mark.parametrize(
    "request_bytes",
    [
        pytest.param(b"GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\nBad Header Line\r\n\r\n", id="bad-header"),
        pytest.param(b"GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Length: nine\r\n\r\n", id="bad-length"),
        pytest.param(b"\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03\x03\r\n\r\n", id="tls-on-http"),
        pytest.param(b"GET /" + b"a" * 9000 + b" HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n", id="line-too-long"),
    ],
)
async def test_malformed_http_is_a_json_400_in_the_envelope(served, request_bytes):
    """What aiohttp's parser refuses is answered like every other refusal:
    JSON in the result envelope, ``bad_request``, and logged as one short
    line without a traceback (a client's mistake is not a server error)."""
    before = len(served.server.events("http_bad_request"))
    status, headers, body = split_http(raw_http(served.server.port, request_bytes))
    assert status == 400, body
    assert headers["content-type"].startswith("application/json"), headers
    document = strict_json(body.decode())
    assert set(document) == {"version", "type", "result"} and document["type"] == "error", document
    assert document["result"]["error"] == "bad_request" and document["result"]["message"], document
    assert b"a" * 100 not in body  # the offending bytes are not echoed
    for _ in range(300):
        if len(served.server.events("http_bad_request")) > before:
            break
        await asyncio.sleep(0.01)
    line = served.server.events("http_bad_request")[-1]
    assert line["status"] == 400 and "exception" not in line, line
    assert "Error handling request" not in served.server.stderr()
