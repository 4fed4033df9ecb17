"""The installed distribution: entry point, config.json, and ``apiary check``."""

from __future__ import annotations

from importlib.metadata import version

from apiary import EntryPointSource
from apiary._loading.checks import check_record
from apiary._loading.registry import Registry
from apiary_github.api import USER_AGENT

ACTIONS = {"list_repositories", "get_issue", "list_issues", "create_issue", "comment_on_issue", "search_issues"}


def _record():
    registry = Registry([EntryPointSource()])
    return registry, registry.get("github")


def test_discovered_through_the_entry_point_with_every_action():
    _, record = _record()

    assert record is not None
    assert record.found.distribution == "apiary-github"
    assert record.found.source == "entry point github = apiary_github"
    assert set(record.declared("actions")) == ACTIONS
    assert record.config["version"] == version("apiary-github")
    assert USER_AGENT == f"apiary-github/{version('apiary-github')}"


def test_apiary_check_passes():
    registry, record = _record()

    report = check_record(registry, record)

    assert report.ok, report.problems


def test_schemas_are_precise():
    _, record = _record()
    config = record.config

    assert config["auth"]["type"] == "PlatformOauth2"
    assert config["auth"]["fields"]["required"] == ["access_token"]
    for name, action in config["actions"].items():
        assert len(action["description"]) > 80, name
        schema = action["input_schema"]
        assert schema["type"] == "object" and schema["additionalProperties"] is False, name
        for prop, definition in schema["properties"].items():
            assert definition.get("description"), f"{name}.{prop} has no description"
            assert "type" in definition, f"{name}.{prop} has no type"
        output = action["output_schema"]
        assert output["type"] == "object" and output["required"], name


def test_connected_account_handler_is_registered():
    registry, record = _record()

    integration = registry.load(record)

    assert integration._connected_account_handler is not None
    assert set(integration._action_handlers) == ACTIONS
