"""Import isolation: folder integrations with clashing module names, side by
side in one process, each seeing its own files, nothing under bare names in
``sys.modules``, and installed packages shared as usual."""

from __future__ import annotations

import asyncio
import json
import sys
import types
from pathlib import Path

import pytest

from apiary import FolderSource, Host, parse_config
from apiary._loading import isolation
from apiary._loading.isolation import NAMESPACE, import_isolated, mount, unmount

from .._support import PING_CODE, simple_config

FOLDERS = Path(__file__).parents[2] / "fixtures" / "folders"
BARE_NAMES = (
    "helpers",
    "actions",
    "twin",
    "weather",
    "utils",
    "noarg",
    "lazy",
    "formatting",
    "signature",
    "solo_notes",
)


@pytest.fixture(autouse=True)
def unmount_afterwards():
    """Each test mounts what it needs; nothing it mounted outlives it."""
    before = set(isolation._mounted)
    yield
    for name in set(isolation._mounted) - before:
        unmount(name)


def bare_modules():
    return sorted(name for name in sys.modules if name.partition(".")[0] in BARE_NAMES)


def write_tree(root: Path, files: dict) -> Path:
    for relative, text in files.items():
        path = root / relative
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
    return root


def write_integration(folder: Path, main: str, files: dict) -> Path:
    """A folder integration with one action, ``ping``, and entry module ``main.py``."""
    config = json.dumps(simple_config(folder.name, entry_point="main.py"))
    return write_tree(folder, {"config.json": config, "main.py": main, **files})


def folder_host(*directories: Path, **config) -> Host:
    return Host(parse_config(config), sources=[FolderSource(directories)], load_plugin_entry_points=False)


async def test_all_fixture_folders_answer_in_one_process_each_with_its_own_behaviour():
    async with folder_host(FOLDERS) as host:
        calls = [
            ("solo-notes", "add", {"a": 2, "b": 3}, {"sum": 5}),
            ("solo-notes", "shout", {"note": "hi"}, {"note": "HI!"}),
            ("weather", "convert", {"fahrenheit": 212}, {"celsius": 100.0, "source": "weather"}),
            ("lazy", "render", {"name": "Ann"}, {"text": "Hello, Ann. -- lazy"}),
            (
                "lazy",
                "plugin",
                {"kind": "upper", "text": "abc"},
                {"text": "ABC", "module": f"{NAMESPACE}.lazy.plugin_upper"},
            ),
            ("noarg", "count_words", {"text": "one two three"}, {"words": 3, "config_name": "noarg"}),
        ]
        for integration, action, inputs, expected in calls:
            auth = {"api_key": "k"} if integration == "weather" else None
            result = await host.call(integration, action, inputs, auth=auth)
            assert result.result.data == expected, (integration, action, result)
        # Loaded on first use: the twins, not called here, are still only discovered.
        assert {record.id: record.state.value for record in host.registry.records} == {
            "lazy": "loaded", "noarg": "loaded", "solo-notes": "loaded", "weather": "loaded",
            "twin-alpha": "discovered", "twin-beta": "discovered",
        }
    assert bare_modules() == []


async def test_the_twins_each_see_their_own_helpers_actions_and_entry_module():
    async with folder_host(FOLDERS) as host:
        for _ in range(3):  # interleaved, after both are loaded too
            alpha = (await host.call("twin-alpha", "lookup", {"x": 5})).result.data
            beta = (await host.call("twin-beta", "lookup", {"x": 5})).result.data
            assert (alpha["twin"], alpha["value"]) == ("alpha", 10)
            assert (beta["twin"], beta["value"]) == ("beta", 105)
        assert alpha["helpers_file"] == str(FOLDERS / "twin-alpha" / "helpers.py")
        assert beta["helpers_file"] == str(FOLDERS / "twin_beta" / "helpers.py")
        alpha_twin = sys.modules[f"{NAMESPACE}.twin_alpha.twin"]
        beta_twin = sys.modules[f"{NAMESPACE}.twin_beta.twin"]
        assert alpha_twin.twin is not beta_twin.twin
        # `from twin import twin` in actions/lookup.py is the entry module already loaded, not a second copy.
        assert sys.modules[f"{NAMESPACE}.twin_alpha.actions.lookup"].twin is alpha_twin.twin
    assert bare_modules() == []


def test_a_bare_module_of_the_same_name_elsewhere_is_neither_used_nor_replaced(tmp_path, monkeypatch):
    impostor = types.ModuleType("helpers")
    impostor.NAME = "impostor"
    monkeypatch.setitem(sys.modules, "helpers", impostor)
    module = import_isolated(FOLDERS / "twin-alpha", "twin-alpha", "twin")
    lookup = sys.modules[f"{module.__package__}.actions.lookup"]
    assert lookup.NAME == "alpha" and lookup.helpers.__name__ == f"{NAMESPACE}.twin_alpha.helpers"
    assert sys.modules["helpers"] is impostor


def test_installed_packages_and_the_sdk_resolve_normally(tmp_path):
    import aiohttp

    import autohive_integrations_sdk

    folder = write_tree(
        tmp_path / "shared",
        {
            "main.py": "import json, aiohttp\nimport autohive_integrations_sdk as sdk\nfrom helpers import loads\n",
            "helpers.py": "from json import loads\n",
            # A vendored copy of the SDK is never used: the host's is.
            "autohive_integrations_sdk/__init__.py": "raise RuntimeError('the vendored SDK was imported')\n",
        },
    )
    module = import_isolated(folder, "shared", "main")
    assert module.aiohttp is aiohttp and module.sdk is autohive_integrations_sdk
    assert module.json is sys.modules["json"] and module.loads is json.loads


def test_imports_inside_functions_resolve_at_call_time_also_from_threads(tmp_path):
    folder = write_tree(
        tmp_path / "late",
        {
            "main.py": (
                "def late():\n"
                "    from helpers import VALUE\n"
                "    import actions.deep as deep\n"
                "    return VALUE, deep.DEPTH\n"
            ),
            "helpers.py": "VALUE = 'late helpers'\n",
            "actions/__init__.py": "",
            "actions/deep.py": "from . import sibling\nDEPTH = sibling.LEVEL + 1\n",
            "actions/sibling.py": "LEVEL = 41\n",
        },
    )
    module = import_isolated(folder, "late", "main")
    assert f"{NAMESPACE}.late.helpers" not in sys.modules  # nothing imported until called
    assert module.late() == ("late helpers", 42)

    async def in_a_thread():
        return await asyncio.get_running_loop().run_in_executor(None, module.late)

    assert asyncio.run(in_a_thread()) == ("late helpers", 42)
    assert bare_modules() == []


def test_importlib_in_folder_code_resolves_the_folders_names(tmp_path):
    folder = write_tree(
        tmp_path / "dynamic",
        {
            "main.py": (
                "import importlib\n"
                "import importlib.util\n"
                "from importlib import import_module\n"
                "first = importlib.import_module('plugins.one')\n"
                "second = import_module('plugins.two')\n"
                "json_spec = importlib.util.find_spec('json')\n"
                "stdlib = importlib.import_module('json')\n"
            ),
            "plugins/__init__.py": "",
            "plugins/one.py": "N = 1\n",
            "plugins/two.py": "N = 2\n",
        },
    )
    module = import_isolated(folder, "dynamic", "main")
    assert (module.first.N, module.second.N) == (1, 2)
    assert module.first.__name__ == f"{NAMESPACE}.dynamic.plugins.one"
    assert module.json_spec.name == "json" and module.stdlib is sys.modules["json"]
    assert "plugins" not in sys.modules


def test_a_folder_file_named_like_a_stdlib_module_shadows_it_only_for_the_folder(tmp_path):
    import calendar

    folder = write_tree(tmp_path / "shadow", {"main.py": "import calendar\n", "calendar.py": "OWN = True\n"})
    module = import_isolated(folder, "shadow", "main")
    assert module.calendar.OWN is True
    assert sys.modules["calendar"] is calendar  # the standard library keeps its own


def test_integration_load_without_a_path_finds_the_folders_config(tmp_path):
    folder = write_tree(
        tmp_path / "findme",
        {
            "config.json": json.dumps(simple_config("findme", entry_point="main.py")),
            "main.py": "from autohive_integrations_sdk import Integration\nintegration = Integration.load()\n",
        },
    )
    module = import_isolated(folder, "findme", "main")
    assert module.integration.config.name == "findme"


def test_mounting_is_idempotent_and_a_name_belongs_to_one_folder(tmp_path):
    first = write_tree(tmp_path / "one", {"main.py": ""})
    other = write_tree(tmp_path / "two", {"main.py": ""})
    assert mount(first, "same-id") == mount(first, "same-id") == f"{NAMESPACE}.same_id"
    with pytest.raises(ValueError, match="is mounted there already"):
        mount(other, "same-id")
    assert mount(other, "9lives") == f"{NAMESPACE}._9lives"  # ids need not be identifiers


def test_unmount_forgets_the_folders_modules(tmp_path):
    folder = write_tree(tmp_path / "gone", {"main.py": "import helpers\n", "helpers.py": ""})
    import_isolated(folder, "gone", "main")
    assert f"{NAMESPACE}.gone.helpers" in sys.modules
    unmount("gone")
    assert not [name for name in sys.modules if name.startswith(f"{NAMESPACE}.gone")]
    assert not hasattr(sys.modules[NAMESPACE], "gone")


async def test_a_folder_failing_to_import_is_broken_and_the_others_still_serve(tmp_path):
    write_integration(tmp_path / "fine", PING, {"helpers.py": ""})
    write_integration(tmp_path / "syntax", "from helpers import x\n", {"helpers.py": "def broken(:\n"})
    async with folder_host(tmp_path) as host:
        failed = await host.call("syntax", "ping")
        assert failed.result["error"] == "integration_broken"
        assert (
            "SyntaxError" in failed.result["message"]
            and str(tmp_path / "syntax" / "helpers.py") in failed.result["message"]
        )
        assert (await host.call("fine", "ping")).result.data == {"pong": True}


async def test_a_folder_calling_sys_exit_on_import_does_not_stop_the_host(tmp_path):
    write_integration(tmp_path / "quitter", "import sys\nsys.exit('run me as a script')\n", {})
    async with folder_host(tmp_path) as host:
        message = (await host.call("quitter", "ping")).result["message"]
    assert "SystemExit: run me as a script" in message


async def test_a_missing_dependency_points_at_the_folders_requirements(tmp_path):
    write_integration(
        tmp_path / "needy",
        "import a_package_nobody_installed\n",
        {"requirements.txt": "a-package-nobody-installed>=1\n"},
    )
    async with folder_host(tmp_path) as host:
        message = (await host.call("needy", "ping")).result["message"]
    assert "No module named 'a_package_nobody_installed'" in message
    assert f"apiary deps {tmp_path / 'needy'}" in message


async def test_eager_loading_imports_every_folder_at_start():
    async with folder_host(FOLDERS, host={"eager": True}) as host:
        assert {record.state.value for record in host.registry.records} == {"loaded"}
    assert bare_modules() == []


PING = "import helpers\n" + PING_CODE
