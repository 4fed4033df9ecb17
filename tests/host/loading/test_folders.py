"""The folder source: which folder integrations exist, read from disk with
nothing imported, and what is wrong with the ones that cannot load."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import pytest

from apiary import ConfigError, FolderSource, Host, load_config, parse_config
from apiary._loading.folders import discover_folder, folder_id
from apiary._loading.isolation import NAMESPACE

from .._support import simple_config

FOLDERS = Path(__file__).parents[2] / "fixtures" / "folders"
FIXTURE_IDS = ["lazy", "noarg", "solo-notes", "twin-alpha", "twin-beta", "weather"]


def write_folder(root: Path, name: str, *, entry: str = "main.py", config: dict = None, files: dict = None) -> Path:
    folder = root / name
    folder.mkdir(parents=True)
    (folder / "config.json").write_text(json.dumps(config or simple_config(name, entry_point=entry)), encoding="utf-8")
    for relative, text in (files if files is not None else {entry: ""}).items():
        (folder / relative).parent.mkdir(parents=True, exist_ok=True)
        (folder / relative).write_text(text, encoding="utf-8")
    return folder


@pytest.mark.parametrize(
    "name, expected",
    [
        ("weather", "weather"),
        ("Google_Calendar", "google-calendar"),
        ("google-calendar", "google-calendar"),
        ("Microsoft 365", "microsoft-365"),
        ("__x__y..z", "x-y-z"),
        ("___", ""),
    ],
)
def test_folder_ids_are_normalised(name, expected):
    assert folder_id(name) == expected


def test_every_fixture_folder_is_found_with_its_entry_module():
    found = {item.id: item for item in FolderSource([FOLDERS]).discover()}
    assert sorted(found) == FIXTURE_IDS
    weather = found["weather"]
    assert (weather.module, weather.folder, weather.problem) == ("weather", FOLDERS / "weather", None)
    assert weather.config["entry_point"] == "weather.py" and weather.config_path == FOLDERS / "weather" / "config.json"
    assert found["twin-beta"].folder == FOLDERS / "twin_beta"
    assert found["solo-notes"].source == f"folder {FOLDERS / 'Solo_Notes'}"


def test_listing_imports_nothing():
    before = {name for name in sys.modules if name.startswith(NAMESPACE)}
    host = Host(parse_config({}), sources=[FolderSource([FOLDERS])], load_plugin_entry_points=False)
    listed = {item["id"]: item for item in host.list()}
    assert sorted(listed) == FIXTURE_IDS
    assert {item["state"] for item in listed.values()} == {"discovered"}
    assert [action["name"] for action in listed["weather"]["actions"]] == ["forecast", "convert"]
    assert {name for name in sys.modules if name.startswith(NAMESPACE)} == before
    assert "helpers" not in sys.modules and "twin" not in sys.modules


def test_a_directory_that_is_itself_an_integration(tmp_path):
    folder = write_folder(tmp_path, "Single_One")
    [found] = FolderSource([folder]).discover()
    assert (found.id, found.module, found.problem) == ("single-one", "main", None)


def test_only_subfolders_with_a_config_are_integrations(tmp_path):
    write_folder(tmp_path, "good")
    write_folder(tmp_path, ".hidden")
    (tmp_path / "notes").mkdir()
    (tmp_path / "stray.py").write_text("", encoding="utf-8")
    assert [found.id for found in FolderSource([tmp_path]).discover()] == ["good"]


@pytest.mark.parametrize(
    "entry, files, problem",
    [
        (None, {"main.py": ""}, "'entry_point' must name the integration's Python file"),
        ("missing.py", {"main.py": ""}, "names missing.py, which is not in"),
        ("sub/main.py", {"sub/main.py": ""}, "must be a Python file directly in the folder"),
        ("main-file.py", {"main-file.py": ""}, "must be a Python file directly in the folder"),
    ],
)
def test_a_bad_entry_point_is_a_problem_naming_it(tmp_path, entry, files, problem):
    config = simple_config("bad")
    if entry is not None:
        config["entry_point"] = entry
    found = discover_folder(write_folder(tmp_path, "bad", config=config, files=files))
    assert problem in found.problem
    assert str(tmp_path / "bad" / "config.json") in found.problem


def test_invalid_json_and_unusable_names_are_problems(tmp_path):
    folder = write_folder(tmp_path, "garbled")
    (folder / "config.json").write_text("{not json", encoding="utf-8")
    assert "is not valid JSON" in discover_folder(folder).problem
    nameless = discover_folder(write_folder(tmp_path, "___"))
    assert "gives no usable id" in nameless.problem and nameless.id == "___"


def test_broken_folders_list_beside_healthy_ones(tmp_path):
    write_folder(tmp_path, "healthy")
    write_folder(tmp_path, "nowhere", entry="absent.py", files={})
    host = Host(parse_config({}), sources=[FolderSource([tmp_path])], load_plugin_entry_points=False)
    states = {item["id"]: (item["state"], item.get("reason")) for item in host.list()}
    assert states["healthy"] == ("discovered", None)
    assert states["nowhere"][0] == "broken" and "absent.py" in states["nowhere"][1]


def test_two_folders_normalising_to_one_id_are_both_broken(tmp_path):
    write_folder(tmp_path / "a", "Twin_Name")
    write_folder(tmp_path / "b", "twin-name")
    host = Host(
        parse_config({}), sources=[FolderSource([tmp_path / "a", tmp_path / "b"])], load_plugin_entry_points=False
    )
    items = host.list()
    assert [item["id"] for item in items] == ["twin-name", "twin-name"]
    assert all(item["state"] == "broken" and "claimed by 2 integrations" in item["reason"] for item in items)


# ---- [host] folders in the config ------------------------------------------


def test_relative_folders_are_taken_from_the_config_files_directory(tmp_path):
    (tmp_path / "integrations").mkdir()
    config_file = tmp_path / "conf" / "apiary.toml"
    config_file.parent.mkdir()
    config_file.write_text('[host]\nfolders = ["../integrations"]\n', encoding="utf-8")
    assert load_config(config_file).folders == (str(tmp_path / "integrations"),)


def test_home_relative_folders_are_expanded(tmp_path, monkeypatch):
    monkeypatch.setenv("HOME", str(tmp_path))
    (tmp_path / "mine").mkdir()
    assert parse_config({"host": {"folders": ["~/mine"]}}).folders == (str(tmp_path / "mine"),)


@pytest.mark.parametrize(
    "value, message",
    [
        ("just/a/string", "host.folders: expected a list of directories"),
        ([""], "host.folders[0]: expected a directory"),
        (["does-not-exist"], "host.folders[0]: 'does-not-exist' is not a directory"),
    ],
)
def test_bad_folders_are_config_errors_naming_the_key(tmp_path, monkeypatch, value, message):
    monkeypatch.chdir(tmp_path)
    with pytest.raises(ConfigError, match=message.replace("[", r"\[").replace("]", r"\]")):
        parse_config({"host": {"folders": value}})


def test_the_host_reads_configured_folders_besides_entry_points():
    host = Host(parse_config({"host": {"folders": [str(FOLDERS)]}}), load_plugin_entry_points=False)
    assert set(FIXTURE_IDS) <= {item["id"] for item in host.list()}
    assert host.describe("twin-beta")["source"] == f"folder {FOLDERS / 'twin_beta'}"
