"""``apiary list`` when the shipped ``github`` plugin and a public folder named
``github`` are installed together: both broken by default, the reason naming
the keys; the host config's ``source`` or a folder prefix resolves it."""

from __future__ import annotations

import shutil
from pathlib import Path

WEATHER = Path(__file__).parents[1] / "fixtures" / "folders" / "weather"


def _config(tmp_path: Path, text: str) -> str:
    shutil.copytree(WEATHER, tmp_path / "integrations" / "github", dirs_exist_ok=True)
    path = tmp_path / "apiary.toml"
    path.write_text(text, encoding="utf-8")
    return str(path)


def _rows(run, integration_id):
    assert run.returncode == 0, run.stderr
    return [line.split(None, 4) for line in run.stdout.splitlines() if line.split()[0] == integration_id]


def test_list_names_the_keys_that_resolve_a_claimed_id(apiary, tmp_path):
    config = _config(tmp_path, '[host]\nfolders = ["integrations"]\n')
    rows = _rows(apiary("list", "--config", config), "github")
    assert len(rows) == 2 and all(row[3] == "broken" for row in rows)
    run = apiary("list", "--json", "--config", config)
    github = [item for item in run.json() if item["id"] == "github"]
    assert len(github) == 2
    for item in github:
        assert "[integrations.github] source" in item["reason"] and "host.folders" in item["reason"]


def test_source_in_the_config_picks_the_folder(apiary, tmp_path):
    config = _config(tmp_path, '[host]\nfolders = ["integrations"]\n\n[integrations.github]\nsource = "folder"\n')
    run = apiary("list", "--json", "--config", config)
    assert run.returncode == 0, run.stderr
    [github] = [item for item in run.json() if item["id"] == "github"]
    assert github["state"] == "discovered"
    assert github["source"] == f"folder {tmp_path / 'integrations' / 'github'}"
    assert [action["name"] for action in github["actions"]] == ["forecast", "convert"]


def test_a_prefix_lists_both(apiary, tmp_path):
    config = _config(tmp_path, '[host]\nfolders = [{ path = "integrations", prefix = "autohive-" }]\n')
    run = apiary("list", "--config", config)
    assert {row[3] for row in _rows(run, "github")} == {"discovered"}
    assert [row[2:4] for row in _rows(run, "autohive-github")] == [
        ["forecast", "discovered"],
        ["convert", "discovered"],
    ]
