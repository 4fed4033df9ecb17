"""The MCP tool table: names within the MCP rules and without collisions,
selection by include/exclude, schemas, and the ``[mcp]`` config section."""

from __future__ import annotations

import hashlib
import json
import re

import pytest

from apiary import ConfigError, Discovered, Host, HostConfig, McpConfig, parse_config
from apiary._loading.registry import Registry
from apiary.mcp import selection
from apiary.mcp.tools import build_tools, is_selected, is_valid_name, tool_names, tools_table, unknown_entries

from .._support import StaticSource, fixture_discovered, fixture_source

RULE = re.compile(r"^[A-Za-z0-9_-]{1,64}$")


# ---- names ------------------------------------------------------------------------


def test_plain_names_are_integration_double_underscore_action():
    assert tool_names([("github", "create_issue"), ("http", "request")]) == {
        ("github", "create_issue"): "github__create_issue",
        ("http", "request"): "http__request",
    }


def test_names_outside_the_charset_are_sanitized_with_a_hash_of_the_full_name():
    names = tool_names([("my.api", "get item"), ("my_api", "get_item")])
    digest = hashlib.sha256(b"my.api.get item").hexdigest()[:10]
    assert names[("my.api", "get item")] == f"my_api__get_item-{digest}"
    # The valid name that the sanitized one resembles keeps its plain form.
    assert names[("my_api", "get_item")] == "my_api__get_item"


def test_long_names_are_cut_to_64_with_a_hash_deterministically():
    pair = ("i" * 40, "a" * 40)
    name = tool_names([pair])[pair]
    assert len(name) == 64 and RULE.match(name)
    digest = hashlib.sha256(f"{'i' * 40}.{'a' * 40}".encode()).hexdigest()[:10]
    assert name == ("i" * 40 + "__" + "a" * 40)[:53] + "-" + digest
    assert tool_names([("other", "x"), pair])[pair] == name  # independent of the other tools
    # Two long names with a common 53-character prefix still differ.
    other = ("i" * 40, "a" * 40 + "b")
    names = tool_names([pair, other])
    assert names[pair] != names[other] and all(len(n) == 64 for n in names.values())


def test_colliding_plain_names_are_all_shortened_and_distinct():
    names = tool_names([("a__b", "c"), ("a", "b__c"), ("a", "d")])
    assert names[("a", "d")] == "a__d"
    assert names[("a__b", "c")] != names[("a", "b__c")]
    assert names[("a__b", "c")].startswith("a__b__c-") and names[("a", "b__c")].startswith("a__b__c-")
    # Order of discovery does not matter.
    assert tool_names([("a", "b__c"), ("a__b", "c"), ("a", "d")]) == names


def test_a_shortened_name_equal_to_a_plain_one_is_lengthened():
    digest = hashlib.sha256(b"x.y z").hexdigest()[:10]
    plain_lookalike = ("x", f"y_z-{digest}")  # a valid plain name equal to the shortened one
    names = tool_names([("x", "y z"), plain_lookalike])
    assert names[plain_lookalike] == f"x__y_z-{digest}"
    assert names[("x", "y z")] == f"x__y_z-{hashlib.sha256(b'x.y z').hexdigest()[:14]}"


def test_every_name_obeys_the_rules_and_none_collide():
    pairs = [(f"integration-{i % 7}.v{i % 3}", f"action {i} " + "x" * (i % 80)) for i in range(300)]
    pairs += [("a__b", "c"), ("a", "b__c"), ("ü", "ä"), ("_", "_"), ("-", "-")]
    names = tool_names(pairs)
    assert len(set(names.values())) == len(pairs)
    assert all(RULE.match(name) and is_valid_name(name) for name in names.values())


def test_is_valid_name():
    assert is_valid_name("a__b-C9")
    assert not is_valid_name("a.b") and not is_valid_name("") and not is_valid_name("x" * 65)
    assert is_valid_name("x" * 64)


# ---- selection -------------------------------------------------------------------


def test_selection_by_integration_and_action():
    assert is_selected("github", "get_issue")
    assert is_selected("github", "get_issue", include=["github"])
    assert not is_selected("http", "request", include=["github"])
    assert is_selected("http", "request", include=["github", "http.request"])
    assert not is_selected("github", "create_issue", include=["github"], exclude=["github.create_issue"])
    assert not is_selected("github", "get_issue", exclude=["github"])
    assert not is_selected("github", "get_issue", include=["github.get_issue"], exclude=["github"])


def test_unknown_entries_are_reported():
    assert unknown_entries(
        ["github", "github.nope", "gihtub", "http.request"], [("github", "a"), ("http", "request")]
    ) == [
        "github.nope",
        "gihtub",
    ]


def test_flags_replace_the_config_lists():
    config = HostConfig(mcp=McpConfig(include=("github",), exclude=("github.create_issue",)))
    assert selection(config) == (("github",), ("github.create_issue",))
    assert selection(config, ["http"], None) == (("http",), ("github.create_issue",))
    assert selection(config, None, ["github"]) == (("github",), ("github",))


# ---- the table --------------------------------------------------------------------


def _registry_with(tmp_path, configs):
    found = []
    for integration_id, config in configs.items():
        path = tmp_path / integration_id / "config.json"
        path.parent.mkdir(parents=True)
        path.write_text(json.dumps(config), encoding="utf-8")
        found.append(Discovered(id=integration_id, module="nowhere", attribute=None, source="test", config_path=path))
    return Registry([StaticSource(found)])


def test_tools_of_the_fixture_integrations_skip_those_broken_at_discovery():
    dups = StaticSource([fixture_discovered("dup-a", as_id="dup"), fixture_discovered("dup-b", as_id="dup")])
    host = Host(sources=[fixture_source("echo", "keyed"), dups], load_plugin_entry_points=False)
    assert host.registry.get("dup").state.value == "broken"  # claimed twice
    tools, skipped = build_tools(host.registry)
    names = [tool.name for tool in tools]
    assert "echo__fetch_json" in names and "keyed__whoami" in names
    assert not [name for name in names if name.startswith("dup")]
    assert skipped == []
    fetch = next(tool for tool in tools if tool.name == "echo__fetch_json")
    assert (fetch.integration, fetch.action, fetch.full_name) == ("echo", "fetch_json", "echo.fetch_json")
    assert fetch.input_schema["required"] == ["url"]
    assert fetch.output_schema["required"] == ["status", "data"]


def test_schemas_descriptions_and_names_independent_of_selection(tmp_path):
    registry = _registry_with(
        tmp_path,
        {
            "api": {
                "actions": {
                    "listing": {
                        "description": "List",
                        "input_schema": {"type": "object"},
                        "output_schema": {"type": "array"},
                    },
                    "no_schema": {"display_name": "No schema"},
                    "scalar_input": {"description": "x", "input_schema": {"type": "string"}},
                }
            },
            "a__b": {"actions": {"c": {"description": "one"}}},
            "a": {"actions": {"b__c": {"description": "two"}}},
        },
    )
    tools, skipped = build_tools(registry)
    by_name = {tool.full_name: tool for tool in tools}
    assert by_name["api.listing"].output_schema is None  # not an object schema: no outputSchema
    assert by_name["api.no_schema"].input_schema == {"type": "object", "properties": {}}
    assert by_name["api.no_schema"].description == "No schema"
    assert skipped == ["api.scalar_input: its input schema is not an object schema"]
    selected, _ = build_tools(registry, include=["a__b"])
    assert [tool.name for tool in selected] == [by_name["a__b.c"].name]
    assert by_name["a__b.c"].name != by_name["a.b__c"].name


def test_tools_table():
    host = Host(sources=[fixture_source("keyed")], load_plugin_entry_points=False)
    tools, _ = build_tools(host.registry)
    lines = tools_table(tools).splitlines()
    assert lines[0].split() == ["TOOL", "ACTION", "DESCRIPTION"]
    assert lines[1].startswith("keyed__whoami  keyed.whoami  GET the URL")


# ---- the [mcp] config section ---------------------------------------------------------


def test_mcp_config_section():
    config = parse_config({"mcp": {"include": ["github", "http.request"], "exclude": ["github.create_issue"]}})
    assert config.mcp == McpConfig(include=("github", "http.request"), exclude=("github.create_issue",))
    assert HostConfig().mcp == McpConfig()


@pytest.mark.parametrize(
    "data, message",
    [
        ({"mcp": {"includes": []}}, "mcp.includes: unknown key"),
        ({"mcp": {"include": "github"}}, "mcp.include: expected a list"),
        ({"mcp": {"exclude": ["github", 3]}}, "mcp.exclude[1]: expected an integration id"),
        ({"mcp": {"exclude": [""]}}, "mcp.exclude[0]: expected an integration id"),
        ({"mcp": {"include": [".x"]}}, "mcp.include[0]: expected an integration id"),
    ],
)
def test_mcp_config_mistakes_name_the_key(data, message):
    with pytest.raises(ConfigError, match=re.escape(message)):
        parse_config(data)
