"""``host.list()`` and ``host.describe()``: plain data built from config.json."""

from __future__ import annotations

import json

from apiary import Host, parse_config

from .._support import PING_CODE, StaticSource, fixture_source, simple_config


def make(*ids, sources=None):
    return Host(parse_config({}), sources=sources or [fixture_source(*ids)], load_plugin_entry_points=False)


def test_list_summarizes_each_integration():
    [echo, keyed] = make("echo", "keyed").list()
    assert echo["id"] == "echo"
    assert echo["name"] == "Echo (test)"  # display_name
    assert keyed["name"] == "keyed"
    assert echo["version"] == "1.2.0"
    assert echo["description"].startswith("Test integration without auth")
    assert echo["distribution"] == "apiary-test-echo"
    assert echo["distribution_version"] == "0.0.test"
    assert echo["source"] == "test fixture apiary-test-echo"
    assert echo["state"] == "discovered" and echo["reason"] is None
    assert [action["name"] for action in echo["actions"]] == [
        "echo", "fetch_json", "set_cookie", "read_cookie", "slow", "boom", "bad_output", "action_error", "log_auth",
    ]
    assert echo["actions"][0]["description"] == "Return the inputs unchanged"
    assert echo["triggers"] == []
    assert json.loads(json.dumps([echo, keyed])) == [echo, keyed]


def test_describe_gives_schemas_and_auth():
    host = make("echo", "keyed")
    keyed = host.describe("keyed")
    [whoami] = keyed["actions"]
    assert whoami["name"] == "whoami"
    assert whoami["input_schema"]["required"] == ["url"]
    assert whoami["output_schema"]["required"] == ["status", "data"]
    assert keyed["auth"] == {"type": "custom", "fields": [{"name": "api_key", "required": True}]}
    assert keyed["config_path"].endswith("apiary_test_keyed/config.json")
    echo = host.describe("echo")
    assert echo["auth"] == {"type": "none", "fields": []}
    assert json.loads(json.dumps(echo)) == echo


def test_describe_unknown_is_none():
    assert make("echo").describe("nosuch") is None


def test_describe_lists_polling_triggers(make_package):
    config = simple_config(
        polling_triggers={
            "new_rows": {
                "description": "Rows added since the last poll",
                "polling_interval": "10m",
                "input_schema": {"type": "object", "properties": {"table": {"type": "string"}}},
                "output_schema": {"type": "object"},
            }
        },
        auth={"auth_type": "PlatformOauth2"},
    )
    module = make_package.make(config, PING_CODE)
    host = make(sources=[StaticSource([make_package.discovered("rows", module)])])
    item = host.describe("rows")
    [trigger] = item["triggers"]
    assert trigger["name"] == "new_rows"
    assert trigger["polling_interval"] == "10m"
    assert trigger["input_schema"]["properties"] == {"table": {"type": "string"}}
    assert item["auth"]["type"] == "PlatformOauth2"
    assert host.list()[0]["triggers"] == [
        {"name": "new_rows", "description": "Rows added since the last poll", "unavailable": None}
    ]


def test_broken_record_still_describes():
    host = make(sources=[fixture_source("echo", "broken")])
    host.registry.load_all()
    broken = host.describe("broken")
    assert broken["state"] == "broken"
    assert "ImportError" in broken["reason"]
    assert broken["actions"][0]["name"] == "anything"
