"""One id, two sources: the shipped ``github``/``hackernews`` plugins (entry
points of the test venv) and public folders of the same names. Both claimants
are broken by default, with the reason naming the keys that resolve it; the
host config resolves it by ``[integrations.<id>] source`` or by an id prefix
on a directory of folders (``host.folders = [{ path, prefix }]``)."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from apiary import ConfigError, Host, parse_config
from apiary._loading import isolation

WEATHER = Path(__file__).parents[2] / "fixtures" / "folders" / "weather"


@pytest.fixture(autouse=True)
def unmount_afterwards():
    """Folders these tests import are forgotten after each (ids repeat across tests)."""
    before = set(isolation._mounted)
    yield
    for name in set(isolation._mounted) - before:
        isolation.unmount(name)


@pytest.fixture
def public(tmp_path: Path) -> Path:
    """``tmp/integrations/{github,hackernews}``: folders with the shipped plugins' ids."""
    for name in ("github", "hackernews"):
        shutil.copytree(WEATHER, tmp_path / "integrations" / name)
    return tmp_path


def host_of(base: Path, data: dict) -> Host:
    return Host(parse_config(data, relative_to=base), load_plugin_entry_points=False)


def claimants(host: Host, integration_id: str) -> list[dict]:
    return [item for item in host.list() if item["id"] == integration_id]


def test_both_claimants_are_broken_by_default_with_the_keys_that_resolve_it(public):
    host = host_of(public, {"host": {"folders": ["integrations"]}})
    github = claimants(host, "github")
    assert len(github) == 2 and {item["state"] for item in github} == {"broken"}
    reason = github[0]["reason"]
    assert "claimed by 2 integrations" in reason
    assert "[integrations.github] source" in reason and "host.folders" in reason and "prefix" in reason


@pytest.mark.parametrize(
    "source, expected",
    [
        ("folder", "folder"),
        ("entry_point", "apiary-github"),
        ("apiary-github", "apiary-github"),
        ("Apiary_GitHub", "apiary-github"),  # distribution names compare as pip compares them
        ("integrations/github", "folder"),  # a folder's path, from the config file's directory
    ],
)
def test_integrations_source_picks_the_claimant(public, source, expected):
    host = host_of(public, {"host": {"folders": ["integrations"]}, "integrations": {"github": {"source": source}}})
    [github] = claimants(host, "github")
    assert github["state"] == "discovered" and github["reason"] is None
    if expected == "folder":
        assert github["source"] == f"folder {public / 'integrations' / 'github'}"
    else:
        assert github["distribution"] == expected
    # the other id is untouched: still broken both ways
    assert {item["state"] for item in claimants(host, "hackernews")} == {"broken"}
    # the chosen one is the one that serves
    record = host.record("github")
    assert (record.found.folder is not None) == (expected == "folder")
    host.registry.load(record)
    assert record.state.value == "loaded"


def test_a_source_no_claimant_matches_breaks_the_id_saying_so(public):
    host = host_of(public, {"host": {"folders": ["integrations"]}, "integrations": {"feeds": {"source": "folder"}}})
    [feeds] = claimants(host, "feeds")
    assert feeds["state"] == "broken"
    assert "integrations.feeds.source" in feeds["reason"] and "'folder'" in feeds["reason"]
    assert "apiary-feeds" in feeds["reason"]


def test_a_prefix_gives_a_directory_of_folders_ids_of_its_own(public):
    host = host_of(public, {"host": {"folders": [{"path": "integrations", "prefix": "autohive-"}]}})
    ids = {item["id"]: item for item in host.list()}
    for name in ("github", "hackernews"):
        assert ids[name]["state"] == "discovered" and ids[name]["distribution"] == f"apiary-{name}"
        assert ids[f"autohive-{name}"]["state"] == "discovered"
        assert ids[f"autohive-{name}"]["source"] == f"folder {public / 'integrations' / name}"
    record = host.record("autohive-github")
    host.registry.load(record)
    assert record.state.value == "loaded"


def test_plain_strings_and_tables_mix_in_host_folders(public, tmp_path):
    other = tmp_path / "more"
    shutil.copytree(WEATHER, other / "weather")
    host = host_of(public, {"host": {"folders": ["more", {"path": "integrations", "prefix": "pub-"}]}})
    ids = {item["id"] for item in host.list()}
    assert {"weather", "pub-github", "pub-hackernews", "github"} <= ids


@pytest.mark.parametrize(
    "folders, key",
    [
        ([{"path": "integrations", "prefix": "Bad Prefix"}], "host.folders[0].prefix"),
        ([{"path": "integrations", "prefx": "a-"}], "host.folders[0].prefx"),
        ([{"prefix": "a-"}], "host.folders[0].path"),
        ([3], "host.folders[0]"),
    ],
)
def test_bad_folder_entries_name_their_key(public, folders, key):
    with pytest.raises(ConfigError) as caught:
        parse_config({"host": {"folders": folders}}, relative_to=public)
    assert str(caught.value).startswith(key)


@pytest.mark.parametrize("source", ["", 3, "./nowhere"])
def test_bad_sources_name_their_key(public, source):
    with pytest.raises(ConfigError) as caught:
        parse_config({"integrations": {"github": {"source": source}}}, relative_to=public)
    assert str(caught.value).startswith("integrations.github.source")
