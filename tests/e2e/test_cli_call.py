"""``apiary call`` and ``apiary account`` as subprocesses: the result as pure
JSON on stdout, logs on stderr, and one exit code per kind of outcome.

Calls that need an upstream talk to ``fake_upstream``, an aiohttp server in
this test process on 127.0.0.1, while the subprocess runs.
"""

from __future__ import annotations

import json


def assert_pure_json(run):
    """stdout is one JSON document and nothing else."""
    document = json.loads(run.stdout)
    assert set(document) == {"version", "type", "result"}
    return document


def test_call_prints_the_result_as_json(apiary):
    run = apiary("call", "echo", "echo", "--input", '{"x": 1}')
    assert run.returncode == 0, run.stderr
    document = assert_pure_json(run)
    assert document["type"] == "action"
    assert document["result"]["data"] == {"x": 1}
    # The call's log event is on stderr, as a JSON line (stderr is not a terminal).
    [call] = [line for line in run.log_lines() if line["event"] == "call"]
    assert (call["integration"], call["action"], call["outcome"]) == ("echo", "echo", "action")


def test_input_from_a_file_and_from_stdin(apiary, tmp_path):
    path = tmp_path / "input.json"
    path.write_text('{"message": "from a file"}', encoding="utf-8")
    assert assert_pure_json(apiary("call", "echo", "echo", "--input", f"@{path}"))["result"]["data"] == {
        "message": "from a file"
    }
    piped = apiary("call", "echo", "echo", "--input", "@-", stdin='{"message": "piped"}')
    assert assert_pure_json(piped)["result"]["data"] == {"message": "piped"}


def test_action_error_exits_1(apiary):
    run = apiary("call", "echo", "action_error", "--input", '{"message": "no such user"}')
    assert run.returncode == 1
    document = assert_pure_json(run)
    assert document["type"] == "action_error"
    assert document["result"]["message"] == "no such user"


def test_validation_error_exits_3(apiary):
    run = apiary("call", "echo", "echo", "--input", '{"x": "one"}')
    assert run.returncode == 3
    document = assert_pure_json(run)
    assert document["type"] == "validation_error"
    assert document["result"]["property"] == "x" and document["result"]["source"] == "input"

    output = apiary("call", "echo", "bad_output")
    assert output.returncode == 3
    assert assert_pure_json(output)["result"]["source"] == "output"


def test_unknown_integration_exits_4(apiary):
    run = apiary("call", "nosuch", "echo")
    assert run.returncode == 4
    assert assert_pure_json(run)["result"]["error"] == "unknown_integration"


def test_unknown_action_exits_4(apiary):
    run = apiary("call", "echo", "nosuch")
    assert run.returncode == 4
    assert assert_pure_json(run)["result"]["error"] == "unknown_action"


def test_broken_integration_exits_4_while_the_others_call(apiary):
    broken = apiary("call", "broken", "anything")
    assert broken.returncode == 4
    result = assert_pure_json(broken)["result"]
    assert result["error"] == "integration_broken"
    assert "library_that_is_not_installed" in result["message"]
    assert "Traceback" not in broken.stdout

    dup = apiary("call", "dup", "hello")
    assert dup.returncode == 4
    assert assert_pure_json(dup)["result"]["error"] == "integration_broken"
    forgotten = apiary("call", "nohandler", "forgotten")
    assert forgotten.returncode == 4
    assert assert_pure_json(forgotten)["result"]["error"] == "action_unavailable"
    assert apiary("call", "nohandler", "implemented").returncode == 0

    healthy = apiary("call", "echo", "echo", "--input", '{"x": 2}')
    assert healthy.returncode == 0
    assert assert_pure_json(healthy)["result"]["data"] == {"x": 2}


def test_handler_exception_exits_4_without_traceback_on_stdout(apiary):
    run = apiary("call", "echo", "boom", "--input", '{"message": "kaboom"}')
    assert run.returncode == 4
    result = assert_pure_json(run)["result"]
    assert result["error"] == "handler_error" and result["exception"] == "RuntimeError"
    assert "Traceback" not in run.stdout


def test_timeout_exits_4(apiary):
    run = apiary("call", "echo", "slow", "--input", '{"seconds": 30}', "--timeout", "0.2")
    assert run.returncode == 4
    assert assert_pure_json(run)["result"]["error"] == "timeout"


async def test_upstream_call_and_upstream_failure(apiary_async, fake_upstream):
    ok = await apiary_async("call", "echo", "fetch_json", "--input", json.dumps({"url": fake_upstream.url("/json")}))
    assert ok.returncode == 0, ok.stderr
    assert assert_pure_json(ok)["result"]["data"] == {"status": 200, "data": {"hello": "world", "items": [1, 2, 3]}}
    [upstream] = [line for line in ok.log_lines() if line["event"] == "upstream_request"]
    assert (upstream["method"], upstream["path"], upstream["status"]) == ("GET", "/json", 200)

    failed = await apiary_async(
        "call", "echo", "fetch_json", "--input", json.dumps({"url": fake_upstream.url("/status/500")})
    )
    assert failed.returncode == 4
    result = assert_pure_json(failed)["result"]
    assert result["error"] == "upstream_error" and result["status"] == 500
    assert len(fake_upstream.seen("/json")) == 1 and len(fake_upstream.seen("/status/500")) == 1


def test_bad_input_json_exits_2_naming_the_option(apiary):
    run = apiary("call", "echo", "echo", "--input", "{x: 1")
    assert run.returncode == 2
    assert "--input" in run.stderr and "not valid JSON" in run.stderr
    assert run.stdout == ""

    not_object = apiary("call", "echo", "echo", "--input", "[1, 2]")
    assert not_object.returncode == 2
    assert "--input: expected a JSON object" in not_object.stderr

    bad_auth = apiary("call", "echo", "echo", "--auth", "nope")
    assert bad_auth.returncode == 2
    assert "--auth" in bad_auth.stderr

    missing = apiary("call", "echo", "echo", "--input", "@/nonexistent/input.json")
    assert missing.returncode == 2
    assert "--input" in missing.stderr


def test_account_with_auth(apiary):
    run = apiary("account", "keyed", "--auth", '{"api_key": "key-for-account"}')
    assert run.returncode == 0, run.stderr
    document = assert_pure_json(run)
    assert document["type"] == "connected_account"
    assert document["result"]["username"] == "keyed-user"
    assert document["result"]["organization"] == "Keyed Test Org"


def test_account_failures(apiary):
    unsupported = apiary("account", "echo")
    assert unsupported.returncode == 4
    assert assert_pure_json(unsupported)["result"]["error"] == "unsupported"
    invalid = apiary("account", "keyed", "--auth", "{}")
    assert invalid.returncode == 3
    unknown = apiary("account", "keyed", "--account", "nope")
    assert unknown.returncode == 4
    assert assert_pure_json(unknown)["result"]["error"] == "credentials_unavailable"


async def test_credentials_from_the_config_file_and_the_environment(apiary_async, fake_upstream, tmp_path):
    canary = "canary-e2e-8Wm3Qp5Tz1"
    path = tmp_path / "apiary.toml"
    path.write_text(
        '[integrations.keyed.accounts.default]\napi_key = { env = "APIARY_E2E_KEY" }\n'
        '[integrations.echo.accounts.default]\nauth_type = "PlatformOauth2"\n'
        'credentials = { access_token = { env = "APIARY_E2E_KEY" } }\n',
        encoding="utf-8",
    )
    env = {"APIARY_E2E_KEY": canary}
    whoami = await apiary_async(
        "call", "keyed", "whoami", "--config", str(path), "--log-level", "debug",
        "--input", json.dumps({"url": fake_upstream.url(f"/whoami?token={canary}")}),
        env=env,
    )
    assert whoami.returncode == 0, whoami.stderr
    assert fake_upstream.seen("/whoami")[0].headers["X-Api-Key"] == canary
    logged = await apiary_async(
        "call", "echo", "log_auth", "--config", str(path), "--log-level", "debug", "--input", "{}", env=env
    )
    assert logged.returncode == 0, logged.stderr
    caller = await apiary_async(
        "call", "echo", "log_auth", "--log-level", "debug", "--auth", json.dumps({"api_key": canary}), env=env
    )
    assert caller.returncode == 0, caller.stderr
    for run in (whoami, logged, caller):
        assert run.log_lines(), run.stderr
        assert canary not in run.stderr
    assert any(line.get("level") == "debug" for line in logged.log_lines())

    missing = await apiary_async(
        "call", "keyed", "whoami", "--config", str(path), "--input", json.dumps({"url": fake_upstream.url("/whoami")})
    )
    assert missing.returncode == 4
    assert "APIARY_E2E_KEY" in json.loads(missing.stdout)["result"]["message"]


async def test_host_plugin_from_an_entry_point_supplies_credentials(apiary_async, fake_upstream):
    run = await apiary_async(
        "call", "keyed", "whoami", "--account", "vault",
        "--input", json.dumps({"url": fake_upstream.url("/whoami")}),
        env={"APIARY_TEST_VAULT_KEY": "key-from-the-vault-plugin"},
    )
    assert run.returncode == 0, run.stderr
    assert fake_upstream.seen("/whoami")[0].headers["X-Api-Key"] == "key-from-the-vault-plugin"
    assert "key-from-the-vault-plugin" not in run.stderr


def test_a_host_plugin_that_fails_to_load_is_reported_and_skipped(apiary):
    run = apiary("call", "echo", "echo", "--input", '{"x": 3}')
    assert run.returncode == 0
    skipped = [line for line in run.log_lines() if line["event"] == "plugin_skipped"]
    assert [line["plugin"] for line in skipped] == ["badplugin"]
    assert "vault_client_that_is_not_installed" in skipped[0]["reason"]
    assert skipped[0]["level"] == "warning"


def test_log_format_flag(apiary):
    run = apiary("call", "echo", "echo", "--log-format", "console")
    assert run.returncode == 0
    assert_pure_json(run)
    assert "call" in run.stderr
    assert not any(line.startswith("{") for line in run.stderr.splitlines())


def test_no_configured_account_is_a_credentials_error_not_an_input_one(apiary):
    run = apiary("call", "keyed", "whoami", "--input", '{"url": "http://127.0.0.1:9/"}')
    assert run.returncode == 4, run.stderr
    result = assert_pure_json(run)["result"]
    assert result["error"] == "credentials_unavailable"
    assert "'keyed'" in result["message"] and "'default'" in result["message"] and "'api_key'" in result["message"]


TWO_ERRORS = [
    {"property": "retries", "message": "'three' is not of type 'integer'"},
    {"property": "url", "message": "5 is not of type 'string'"},
]


def test_validation_errors_are_listed_readably_in_the_json_and_on_stderr(apiary):
    run = apiary("call", "echo", "fetch_json", "--input", '{"url": 5, "retries": "three"}')
    assert run.returncode == 3
    result = assert_pure_json(run)["result"]
    assert result["errors"] == TWO_ERRORS
    assert result["message"].startswith("['properties', 'retries', 'type'], 'three' is not of type 'integer',\n ")
    readable = [line for line in run.stderr.splitlines() if not line.startswith("{")]
    assert readable == [
        "apiary: invalid input: property 'retries': 'three' is not of type 'integer'",
        "apiary: invalid input: property 'url': 5 is not of type 'string'",
    ]


def test_retries_option_bounds_the_attempts_at_an_unreachable_host(apiary, refused_url):
    run = apiary("call", "echo", "fetch_json", "--input", json.dumps({"url": refused_url}), "--retries", "0")
    assert run.returncode == 4, run.stderr
    assert assert_pure_json(run)["result"]["error"] == "upstream_error"
    [call] = [line for line in run.log_lines() if line["event"] == "call"]
    assert call["upstream_requests"] == 1  # not the SDK's default 1 + 3 retries, 7 s of back-off
    refused = apiary("call", "echo", "echo", "--retries", "-1")
    assert refused.returncode == 2
    assert "--retries" in refused.stderr and "Traceback" not in refused.stderr
