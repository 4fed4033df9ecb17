"""A declared action or polling trigger without a handler is unavailable on
its own: the integration's other actions keep serving, the catalog says why,
calls to it answer ``action_unavailable``, MCP leaves it out, check fails."""

from __future__ import annotations

from apiary import ErrorKind, Host, parse_config
from apiary.mcp.tools import build_tools
from autohive_integrations_sdk import ResultType

from .._support import PING_CODE, StaticSource, fixture_source, simple_config


def _row(rows, name):
    [row] = [row for row in rows if row["name"] == name]
    return row


async def test_a_forgotten_action_is_unavailable_and_the_others_serve(make_host):
    host = await make_host("nohandler")
    refused = await host.call("nohandler", "forgotten", {})
    assert refused.type is ResultType.ERROR
    assert refused.result["error"] == ErrorKind.ACTION_UNAVAILABLE.value == "action_unavailable"
    assert "'forgotten'" in refused.result["message"] and "no handler" in refused.result["message"]
    served = await host.call("nohandler", "implemented", {})
    assert served.type is ResultType.ACTION
    [item] = host.list()
    assert item["state"] == "loaded" and item["reason"] is None
    forgotten, implemented = _row(item["actions"], "forgotten"), _row(item["actions"], "implemented")
    assert "no handler" in forgotten["unavailable"]
    assert implemented["unavailable"] is None
    assert "no handler" in _row(host.describe("nohandler")["actions"], "forgotten")["unavailable"]


async def test_mcp_leaves_an_unavailable_action_out(make_host):
    host = await make_host("nohandler")
    host.registry.load_all()
    tools, skipped = build_tools(host.registry)
    assert [tool.full_name for tool in tools] == ["nohandler.implemented"]
    assert any("nohandler.forgotten" in reason and "no handler" in reason for reason in skipped)


def test_a_forgotten_polling_trigger_is_unavailable_and_check_fails(make_package):
    config = simple_config(
        polling_triggers={
            "new_things": {
                "description": "New things",
                "polling_interval": "5m",
                "input_schema": {"type": "object"},
                "output_schema": {"type": "object"},
            }
        }
    )
    module = make_package.make(config, PING_CODE)
    host = Host(
        parse_config({}),
        sources=[StaticSource([make_package.discovered("trig", module)])],
        load_plugin_entry_points=False,
    )
    host.load_all(isolated=False)
    [item] = host.list()
    assert item["state"] == "loaded"
    assert "no handler" in _row(item["triggers"], "new_things")["unavailable"]
    assert _row(item["actions"], "ping")["unavailable"] is None
    [report] = host.check()
    assert not report.ok
    assert any("polling trigger 'new_things'" in problem for problem in report.problems)


def test_check_still_fails_on_a_forgotten_action():
    host = Host(parse_config({}), sources=[fixture_source("nohandler")], load_plugin_entry_points=False)
    [report] = host.check()
    assert not report.ok
    assert any("'forgotten'" in problem and "no handler" in problem for problem in report.problems)
