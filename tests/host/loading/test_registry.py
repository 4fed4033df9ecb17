"""The registry: discovered -> loaded, or broken with the reason, and a broken
integration never stops the others from listing or serving."""

from __future__ import annotations

import json

import pytest

from apiary import Discovered, IntegrationState, LoadError
from apiary._loading.registry import Registry
from autohive_integrations_sdk import Integration, ResultType

from .._support import PING_CODE, StaticSource, fixture_discovered, fixture_source, simple_config


def load_error(registry: Registry, integration_id: str) -> str:
    record = registry.get(integration_id)
    with pytest.raises(LoadError) as caught:
        registry.load(record)
    assert record.state is IntegrationState.BROKEN
    assert record.reason == str(caught.value)
    assert record.integration is None
    return record.reason


def test_discovered_then_loaded():
    registry = Registry([fixture_source("echo", "keyed")])
    echo = registry.get("echo")
    assert echo.state is IntegrationState.DISCOVERED and echo.integration is None
    assert echo.config["name"] == "echo"
    integration = registry.load(echo)
    assert isinstance(integration, Integration)
    assert echo.state is IntegrationState.LOADED and echo.integration is integration
    assert registry.load(echo) is integration  # loaded once
    assert registry.get("keyed").state is IntegrationState.DISCOVERED


def test_entry_point_attribute_names_the_integration():
    registry = Registry([fixture_source("keyed")])
    integration = registry.load(registry.get("keyed"))
    assert integration.config.name == "keyed"


def test_import_error():
    registry = Registry([fixture_source("broken")])
    reason = load_error(registry, "broken")
    assert "import of apiary_test_broken failed" in reason
    assert "ImportError" in reason and "library_that_is_not_installed" in reason
    # Asking again answers from the record.
    assert load_error(registry, "broken") == reason


def test_syntax_error_names_file_and_line(make_package):
    module = make_package.make(simple_config(), "x = 1\ndef broken(:\n    pass\n")
    registry = Registry([StaticSource([make_package.discovered("syn", module)])])
    reason = load_error(registry, "syn")
    assert "SyntaxError" in reason
    assert f"{module}/__init__.py" in reason and "line 2" in reason


def test_config_json_that_is_not_json_is_broken_at_discovery(make_package):
    module = make_package.make('{"name": "x", "actions": {', PING_CODE)
    registry = Registry([StaticSource([make_package.discovered("badjson", module)])])
    record = registry.get("badjson")
    assert record.state is IntegrationState.BROKEN
    assert "is not valid JSON" in record.reason
    assert "config.json" in record.reason
    assert record.config is None


@pytest.mark.parametrize(
    "config, expected",
    [
        ([1, 2], "the top level must be a JSON object"),
        ({"name": "x", "version": "1", "actions": ["ping"]}, "'actions' must be an object"),
        ({"name": "x", "version": "1", "polling_triggers": "often"}, "'polling_triggers' must be an object"),
    ],
)
def test_config_json_of_the_wrong_shape(make_package, config, expected):
    module = make_package.make(config, PING_CODE)
    registry = Registry([StaticSource([make_package.discovered("shape", module)])])
    assert expected in registry.get("shape").reason


def test_config_the_sdk_rejects_breaks_the_import(make_package):
    config = simple_config(actions={"ping": {"description": "no input schema", "output_schema": {}}})
    module = make_package.make(config, PING_CODE)
    registry = Registry([StaticSource([make_package.discovered("sdkbad", module)])])
    reason = load_error(registry, "sdkbad")
    assert "ConfigurationError" in reason and "input_schema" in reason


def test_missing_config_json_is_broken(make_package):
    found = Discovered(id="noconfig", module="whatever", attribute=None, source="test", config_path=None)
    registry = Registry([StaticSource([found])])
    assert registry.get("noconfig").state is IntegrationState.BROKEN
    assert "config.json not found" in registry.get("noconfig").reason


def test_missing_handler_leaves_the_integration_loaded_and_the_action_unavailable():
    registry = Registry([fixture_source("nohandler")])
    record = registry.get("nohandler")
    registry.load(record)
    assert record.state is IntegrationState.LOADED
    assert record.unavailable == {"actions": {"forgotten": "declared in config.json but no handler registered"}}
    assert record.unavailable_reason("actions", "implemented") is None


def test_missing_polling_trigger_handler(make_package):
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
    registry = Registry([StaticSource([make_package.discovered("trig", module)])])
    record = registry.get("trig")
    registry.load(record)
    assert record.state is IntegrationState.LOADED
    assert "no handler" in record.unavailable_reason("polling_triggers", "new_things")


def test_schema_that_does_not_compile(make_package):
    config = simple_config(
        actions={
            "ping": {
                "description": "bad schema",
                "input_schema": {"type": "objekt"},
                "output_schema": {"type": "object"},
            }
        }
    )
    module = make_package.make(config, PING_CODE)
    registry = Registry([StaticSource([make_package.discovered("schema", module)])])
    reason = load_error(registry, "schema")
    assert "'ping'" in reason and "not a valid JSON Schema" in reason


@pytest.mark.parametrize(
    "code, expected",
    [
        ("VALUE = 1\n", "defines no Integration objects"),
        (
            "from autohive_integrations_sdk import Integration\n"
            "first = Integration.load()\n"
            "second = Integration.load()\n",
            "defines 2 Integration objects",
        ),
    ],
)
def test_module_without_exactly_one_integration(make_package, code, expected):
    module = make_package.make(simple_config(), code)
    registry = Registry([StaticSource([make_package.discovered("which", module)])])
    assert expected in load_error(registry, "which")


def test_attribute_that_is_not_an_integration(make_package):
    module = make_package.make(simple_config(), PING_CODE + "\nnot_it = 42\n")
    found = Discovered(
        id="attr",
        module=module,
        attribute="not_it",
        source="test",
        config_path=make_package.root / module / "config.json",
    )
    registry = Registry([StaticSource([found])])
    assert f"{module}:not_it is not an Integration" in load_error(registry, "attr")


def test_two_integrations_claiming_one_id_are_both_broken():
    registry = Registry(
        [StaticSource([fixture_discovered("dup-a", as_id="dup"), fixture_discovered("dup-b", as_id="dup")])]
    )
    records = [record for record in registry.records if record.id == "dup"]
    assert len(records) == 2
    for record in records:
        assert record.state is IntegrationState.BROKEN
        assert "claimed by 2 integrations" in record.reason
        assert "apiary-test-dup-a" in record.reason and "apiary-test-dup-b" in record.reason
    with pytest.raises(LoadError, match="claimed by 2"):
        registry.load(registry.get("dup"))


def test_duplicates_across_sources():
    registry = Registry([fixture_source("echo"), StaticSource([fixture_discovered("dup-a", as_id="echo")])])
    assert [record.state for record in registry.records] == [IntegrationState.BROKEN, IntegrationState.BROKEN]


def test_load_all_loads_good_and_marks_bad_without_raising():
    registry = Registry([fixture_source("echo", "keyed", "broken", "nohandler")])
    registry.load_all()
    states = {record.id: record.state for record in registry.records}
    assert states == {
        "echo": IntegrationState.LOADED,
        "keyed": IntegrationState.LOADED,
        "broken": IntegrationState.BROKEN,
        "nohandler": IntegrationState.LOADED,  # its one forgotten action is unavailable, not all of it
    }


async def test_eager_host_loads_everything_at_start(make_host):
    host = await make_host("echo", "broken", config={"host": {"eager": True}})
    listed = {item["id"]: item for item in host.list()}
    assert listed["echo"]["state"] == "loaded"
    assert listed["broken"]["state"] == "broken"
    assert "library_that_is_not_installed" in listed["broken"]["reason"]


async def test_lazy_host_loads_on_first_use(make_host):
    host = await make_host("echo", "keyed")
    assert {item["state"] for item in host.list()} == {"discovered"}
    await host.call("echo", "echo", {})
    assert {item["id"]: item["state"] for item in host.list()} == {"echo": "loaded", "keyed": "discovered"}


async def test_broken_integrations_never_stop_the_others(make_host, make_package):
    syntax = make_package.make(simple_config(), "def (:\n")
    badjson = make_package.make("{nope", PING_CODE)
    good = make_package.make(simple_config(), PING_CODE)
    sources = [
        fixture_source("echo", "broken", "nohandler"),
        StaticSource(
            [
                make_package.discovered("syntax", syntax),
                make_package.discovered("badjson", badjson),
                make_package.discovered("good", good),
                fixture_discovered("dup-a", as_id="dup"),
                fixture_discovered("dup-b", as_id="dup"),
            ]
        ),
    ]
    host = await make_host(sources=sources, config={"host": {"eager": True}})
    listed = host.list()
    assert sorted(item["id"] for item in listed) == [
        "badjson", "broken", "dup", "dup", "echo", "good", "nohandler", "syntax",
    ]
    broken = {item["id"] for item in listed if item["state"] == "broken"}
    assert broken == {"badjson", "broken", "dup", "syntax"}
    assert all(item["reason"] for item in listed if item["state"] == "broken")
    assert json.loads(json.dumps(listed)) == listed  # plain data

    assert (await host.call("echo", "echo", {"x": 9})).result.data == {"x": 9}
    assert (await host.call("good", "ping", {})).result.data == {"pong": True}
    assert (await host.call("nohandler", "forgotten", {})).result["error"] == "action_unavailable"
    for integration_id in ("syntax", "broken", "dup"):
        result = await host.call(integration_id, "ping", {})
        assert result.type is ResultType.ERROR
        assert result.result["error"] == "integration_broken"
    assert (await host.call("badjson", "ping", {})).result["error"] == "integration_broken"


async def test_disabled_integration_is_neither_listed_nor_callable(make_host):
    host = await make_host("echo", "keyed", config={"integrations": {"echo": {"enabled": False}}})
    assert [item["id"] for item in host.list()] == ["keyed"]
    assert host.describe("echo") is None
    result = await host.call("echo", "echo", {})
    assert result.result["error"] == "unknown_integration"
    assert "disabled" in result.result["message"]
