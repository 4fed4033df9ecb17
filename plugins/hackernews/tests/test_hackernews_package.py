"""The installed distribution as the host sees it: discovery, catalogue, check."""

from __future__ import annotations

from apiary import Host
from apiary._loading.checks import check_record

ACTIONS = ["top_stories", "new_stories", "best_stories", "get_item", "get_user"]


def test_discovered_through_its_entry_point_with_every_action():
    host = Host(load_plugin_entry_points=False)
    page = host.describe("hackernews")
    assert page is not None, "pip install -e plugins/hackernews"
    assert page["distribution"] == "apiary-hackernews"
    assert page["source"] == "entry point hackernews = apiary_hackernews"
    assert page["auth"] == {"type": "none", "fields": []}
    assert [action["name"] for action in page["actions"]] == ACTIONS
    for action in page["actions"]:
        assert len(action["description"]) > 80
        assert action["input_schema"]["additionalProperties"] is False
        assert action["output_schema"]["type"] == "object"


def test_check_passes():
    host = Host(load_plugin_entry_points=False)
    report = check_record(host.registry, host.record("hackernews"))
    assert report.ok, report.problems
