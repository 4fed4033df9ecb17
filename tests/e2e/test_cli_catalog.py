"""``apiary list``, ``show``, ``check`` and ``--help`` as subprocesses, over
real installed distributions: healthy, broken, unimplemented and duplicated."""

from __future__ import annotations

import json
import re
import sys

import pytest

HEALTHY = {"echo", "keyed"}


def by_id(items):
    result = {}
    for item in items:
        result.setdefault(item["id"], []).append(item)
    return result


def test_list_table_shows_every_integration_and_action(apiary):
    run = apiary("list")
    assert run.returncode == 0, run.stderr
    lines = run.stdout.splitlines()
    assert lines[0].split() == ["INTEGRATION", "VERSION", "ACTION", "STATE", "DESCRIPTION"]
    rows = [line.split(None, 4) for line in lines[1:]]
    pairs = {(row[0], row[2]) for row in rows}
    echo_actions = ("echo", "fetch_json", "set_cookie", "read_cookie", "slow", "boom", "bad_output", "action_error")
    for action in (*echo_actions, "log_auth"):
        assert ("echo", action) in pairs
    assert ("keyed", "whoami") in pairs
    assert ("broken", "anything") in pairs
    assert ("nohandler", "forgotten") in pairs
    dup_rows = [row for row in rows if row[0] == "dup"]
    assert len(dup_rows) == 2 and all(row[3] == "broken" and "claimed by 2" in row[4] for row in dup_rows)
    assert run.stderr == ""


def test_list_json(apiary):
    run = apiary("list", "--json")
    assert run.returncode == 0, run.stderr
    items = by_id(run.json())
    [echo] = items["echo"]
    assert echo["version"] == "1.2.0"
    assert echo["distribution"] == "apiary-test-echo"
    assert echo["distribution_version"] == "1.2.0"
    assert echo["source"] == "entry point echo = apiary_test_echo"
    assert echo["state"] == "discovered"
    assert "fetch_json" in [action["name"] for action in echo["actions"]]
    [keyed] = items["keyed"]
    assert keyed["distribution_version"] == "0.3.0"
    assert keyed["source"] == "entry point keyed = apiary_test_keyed.handlers.main:integration"
    # Listing imports nothing, so an import failure is not known yet...
    assert items["broken"][0]["state"] == "discovered"
    # ... but a duplicated id is, from the metadata alone: both claimants, both named.
    assert len(items["dup"]) == 2
    for dup in items["dup"]:
        assert dup["state"] == "broken"
        assert "apiary-test-dup-a 0.1.0" in dup["reason"] and "apiary-test-dup-b 0.2.0" in dup["reason"]


def test_eager_list_reports_broken_plugins_with_reasons_beside_healthy_ones(apiary):
    run = apiary("list", "--json", "--eager")
    assert run.returncode == 0, run.stderr
    items = by_id(run.json())
    assert {items[name][0]["state"] for name in HEALTHY} == {"loaded"}
    assert items["broken"][0]["state"] == "broken"
    assert "ImportError" in items["broken"][0]["reason"]
    assert "library_that_is_not_installed" in items["broken"][0]["reason"]
    # One forgotten action is unavailable, with its reason; the integration serves the others.
    [nohandler] = items["nohandler"]
    assert nohandler["state"] == "loaded"
    actions = {action["name"]: action for action in nohandler["actions"]}
    assert "no handler" in actions["forgotten"]["unavailable"]
    assert actions["implemented"]["unavailable"] is None

    table = apiary("list", "--eager")
    assert table.returncode == 0
    broken_row = [line for line in table.stdout.splitlines() if line.startswith("broken ")]
    assert broken_row and "ImportError" in broken_row[0]
    forgotten_row = [line.split(None, 4) for line in table.stdout.splitlines() if line.startswith("nohandler ")]
    assert ["nohandler", "0.1.0", "forgotten", "unavailable"] in [row[:4] for row in forgotten_row]


def test_listing_imports_no_integration_module(apiary_env):
    import subprocess

    code = (
        "import sys, io, contextlib\n"
        "from apiary.cli import main\n"
        "with contextlib.redirect_stdout(io.StringIO()):\n"
        "    main(['list', '--json'])\n"
        "    main(['show', 'keyed'])\n"
        "print(sorted(m for m in sys.modules if m.startswith('apiary_test')))\n"
    )
    completed = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=apiary_env, timeout=60)
    assert completed.returncode == 0, completed.stderr
    assert completed.stdout.strip() == "[]"


def test_show(apiary):
    run = apiary("show", "echo")
    assert run.returncode == 0, run.stderr
    text = run.stdout
    assert text.startswith("echo 1.2.0 (discovered)")
    assert "source: entry point echo = apiary_test_echo" in text
    assert "distribution: apiary-test-echo 1.2.0" in text
    assert "auth: none" in text
    assert "fetch_json: GET a URL through context.fetch" in text
    assert '"retries"' in text  # input schemas are shown


def test_show_json_and_auth_fields(apiary):
    run = apiary("show", "keyed", "--json")
    assert run.returncode == 0, run.stderr
    keyed = run.json()
    assert keyed["auth"] == {"type": "custom", "fields": [{"name": "api_key", "required": True}]}
    [whoami] = keyed["actions"]
    assert whoami["input_schema"]["required"] == ["url"]
    assert keyed["config_path"].endswith("apiary_test_keyed/config.json")
    assert "auth: custom (fields: api_key)" in apiary("show", "keyed").stdout


def test_show_eager_names_an_unavailable_action(apiary):
    page = apiary("show", "nohandler", "--eager")
    assert page.returncode == 0, page.stderr
    lines = page.stdout.splitlines()
    assert lines[0] == "nohandler 0.1.0 (loaded)"
    at = lines.index("  forgotten: Declared but never implemented")
    assert lines[at + 1] == "    unavailable: declared in config.json but no handler registered"
    data = apiary("show", "nohandler", "--eager", "--json").json()
    assert {action["name"]: action["unavailable"] for action in data["actions"]} == {
        "implemented": None,
        "forgotten": "declared in config.json but no handler registered",
    }


def test_show_unknown(apiary):
    run = apiary("show", "nosuch")
    assert run.returncode == 4
    assert "nosuch" in run.stderr
    assert run.stdout == ""


def test_check_names_every_problem_and_passes_healthy_ones(apiary):
    run = apiary("check")
    assert run.returncode != 0
    lines = run.stdout.splitlines()
    assert "ok   echo" in lines
    assert "ok   keyed" in lines
    assert "FAIL broken" in lines and "FAIL nohandler" in lines
    assert lines.count("FAIL dup") == 2
    text = run.stdout
    assert "ImportError: apiary_test_broken needs the 'library_that_is_not_installed' package" in text
    assert "action 'forgotten' is unavailable: declared in config.json but no handler registered" in text
    assert "claimed by 2 integrations" in text
    # Other integrations may be installed in the environment too: count ours at least.
    checked, bad = re.fullmatch(r"(\d+) integrations checked, (\d+) with problems", lines[-1]).groups()
    assert int(checked) >= 6 and int(bad) >= 4


def test_check_json(apiary):
    run = apiary("check", "--json")
    assert run.returncode != 0
    reports = by_id(run.json())
    assert reports["echo"][0] == {
        "id": "echo",
        "source": "entry point echo = apiary_test_echo",
        "ok": True,
        "problems": [],
        "warnings": [],
    }
    assert reports["keyed"][0]["ok"] is True
    for name in ("broken", "nohandler", "dup"):
        assert all(not report["ok"] and report["problems"] for report in reports[name])


@pytest.mark.parametrize("command", [[], ["list"], ["show"], ["call"], ["account"], ["check"]])
def test_help_on_every_command(apiary, command):
    run = apiary(*command, "--help")
    assert run.returncode == 0, run.stderr
    assert run.stdout.startswith("usage: apiary")


def test_call_help_documents_the_exit_codes(apiary):
    text = " ".join(apiary("call", "--help").stdout.split())
    assert "0 result, 1 action error, 2 usage error, 3 validation error, 4 host error" in text


def test_invalid_host_config_is_a_usage_error(apiary, tmp_path):
    path = tmp_path / "apiary.toml"
    path.write_text("[pool]\nlimit = -1\n", encoding="utf-8")
    run = apiary("list", "--config", str(path))
    assert run.returncode == 2
    assert "pool.limit" in run.stderr and str(path) in run.stderr


def test_apiary_config_environment_variable_is_used(apiary, tmp_path):
    path = tmp_path / "apiary.toml"
    path.write_text("[integrations.echo]\nenabled = false\n", encoding="utf-8")
    listed = apiary("list", "--json", env={"APIARY_CONFIG": str(path)})
    assert listed.returncode == 0, listed.stderr
    assert "echo" not in {item["id"] for item in listed.json()}
    called = apiary("call", "echo", "echo", env={"APIARY_CONFIG": str(path)})
    assert called.returncode == 4
    assert "disabled" in called.json()["result"]["message"]
    assert json.loads(apiary("call", "echo", "echo").stdout)["type"] == "action"
