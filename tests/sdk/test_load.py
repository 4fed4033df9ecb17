"""Integration.load(): finding and parsing config.json."""

import importlib
import importlib.util
import json
import shutil
import subprocess
import sys
import textwrap
import uuid
from datetime import timedelta
from pathlib import Path

import pytest

import autohive_integrations_sdk
from autohive_integrations_sdk import Integration, _config
from autohive_integrations_sdk.integration import Action, ConfigurationError, IntegrationConfig, PollingTrigger

LOAD_AT_IMPORT = textwrap.dedent(
    """
    from autohive_integrations_sdk import Integration

    integration = Integration.load()
    """
)


def import_file(path: Path, monkeypatch):
    """Import a module from a file under a unique name, as an integration's
    entry point is imported."""
    name = f"integration_{uuid.uuid4().hex}"
    spec = importlib.util.spec_from_file_location(name, path)
    module = importlib.util.module_from_spec(spec)
    monkeypatch.setitem(sys.modules, name, module)
    spec.loader.exec_module(module)
    return module


@pytest.fixture
def import_package(monkeypatch):
    """Import ``dotted`` with ``root`` on sys.path; forget the package after
    the test so no integration module outlives it."""
    tops = []

    def do_import(root: Path, dotted: str):
        monkeypatch.syspath_prepend(str(root))
        importlib.invalidate_caches()
        tops.append(dotted.split(".")[0])
        return importlib.import_module(dotted)

    yield do_import
    for name in list(sys.modules):
        if any(name == top or name.startswith(top + ".") for top in tops):
            del sys.modules[name]


# ---- explicit path -----------------------------------------------------------


def test_load_from_str_path(write_config, config_dict):
    path = write_config(config_dict)
    integration = Integration.load(str(path))
    assert isinstance(integration, Integration)
    assert integration.config.name == "demo"


def test_load_from_path_object(write_config, config_dict):
    integration = Integration.load(write_config(config_dict))
    assert integration.config.version == "1.0.0"


def test_load_parses_every_section(write_config, config_dict):
    config = Integration.load(write_config(config_dict)).config
    assert isinstance(config, IntegrationConfig)
    assert config.description == "An integration for tests"
    assert config.auth == config_dict["auth"]
    action = config.actions["greet"]
    assert isinstance(action, Action)
    assert action.name == "greet"
    assert action.description == "Say hello"
    assert action.input_schema == config_dict["actions"]["greet"]["input_schema"]
    assert action.output_schema == config_dict["actions"]["greet"]["output_schema"]
    trigger = config.polling_triggers["new_items"]
    assert isinstance(trigger, PollingTrigger)
    assert trigger.polling_interval == timedelta(minutes=5)
    assert trigger.output_schema == config_dict["polling_triggers"]["new_items"]["output_schema"]


def test_directory_instead_of_file_is_configuration_error(tmp_path):
    with pytest.raises(ConfigurationError):
        Integration.load(tmp_path)


def test_missing_file_is_configuration_error(tmp_path):
    with pytest.raises(ConfigurationError, match="not found"):
        Integration.load(tmp_path / "nope" / "config.json")


@pytest.mark.parametrize("text", ["{not json", "", '{"name": "x",}'])
def test_invalid_json_is_configuration_error(write_config, text):
    with pytest.raises(ConfigurationError, match="Invalid JSON"):
        Integration.load(write_config(text))


@pytest.mark.parametrize("text", ["[]", '"config"', "null"])
def test_non_object_top_level_is_configuration_error(write_config, text):
    with pytest.raises(ConfigurationError):
        Integration.load(write_config(text))


def test_minimal_config(write_config):
    config = Integration.load(write_config({"name": "m", "version": "0.1"})).config
    assert (config.actions, config.polling_triggers, config.auth) == ({}, {}, {})


def test_extra_keys_tolerated(write_config, config_dict):
    config_dict.update(
        {"display_name": "X", "entry_point": "x.py", "supports_connected_account": True, "future": [1]}
    )
    config_dict["actions"]["greet"]["is_beta"] = True
    config_dict["polling_triggers"]["new_items"]["display_name"] = "New"
    integration = Integration.load(write_config(config_dict))
    assert set(integration.config.actions) == {"greet"}


# ---- missing keys ------------------------------------------------------------


@pytest.mark.parametrize("key", ["name", "version"])
def test_missing_top_level_key_named(write_config, config_dict, key):
    del config_dict[key]
    with pytest.raises(ConfigurationError, match=f"'{key}'"):
        Integration.load(write_config(config_dict))


def test_missing_action_input_schema_named(write_config, config_dict):
    del config_dict["actions"]["greet"]["input_schema"]
    with pytest.raises(ConfigurationError, match="greet") as caught:
        Integration.load(write_config(config_dict))
    assert "'input_schema'" in str(caught.value)


@pytest.mark.parametrize("key", ["polling_interval", "input_schema"])
def test_missing_trigger_key_named(write_config, config_dict, key):
    del config_dict["polling_triggers"]["new_items"][key]
    with pytest.raises(ConfigurationError, match="new_items") as caught:
        Integration.load(write_config(config_dict))
    assert f"'{key}'" in str(caught.value)


def test_bad_polling_interval_names_trigger(write_config, config_dict):
    config_dict["polling_triggers"]["new_items"]["polling_interval"] = "10x"
    with pytest.raises(ConfigurationError, match="new_items") as caught:
        Integration.load(write_config(config_dict))
    assert "10x" in str(caught.value)


@pytest.mark.parametrize("section", ["actions", "polling_triggers"])
def test_section_entries_must_be_objects(write_config, config_dict, section):
    config_dict[section] = {"broken": "not an object"}
    with pytest.raises(ConfigurationError, match="broken"):
        Integration.load(write_config(config_dict))


# ---- polling intervals -------------------------------------------------------


@pytest.mark.parametrize(
    "text, expected",
    [
        ("30s", timedelta(seconds=30)),
        ("5m", timedelta(minutes=5)),
        ("1h", timedelta(hours=1)),
        ("2d", timedelta(days=2)),
        ("90M", timedelta(minutes=90)),
        ("0s", timedelta(0)),
    ],
)
def test_parse_interval(text, expected):
    assert Integration._parse_interval(text) == expected


@pytest.mark.parametrize("text", ["", "5", "m", "5x", "1.5h", "-5m", "5 minutes", "h1", None, 5])
def test_parse_interval_rejects_bad_formats(text):
    with pytest.raises(ConfigurationError):
        Integration._parse_interval(text)


# ---- load() without a path ---------------------------------------------------


def test_no_arg_load_finds_config_beside_calling_module(tmp_path, write_config, config_dict, monkeypatch):
    folder = tmp_path / "my_integration"
    config_dict["name"] = "beside"
    write_config(config_dict, folder)
    (folder / "my_integration.py").write_text(LOAD_AT_IMPORT)
    monkeypatch.chdir(tmp_path)  # not the integration folder: the module's location decides
    module = import_file(folder / "my_integration.py", monkeypatch)
    assert module.integration.config.name == "beside"


def test_no_arg_load_from_actions_subpackage(tmp_path, write_config, config_dict, monkeypatch, import_package):
    """A multi-file integration whose actions/__init__.py calls load() gets
    the integration's own config.json, one level up."""
    root = tmp_path / "pkg_integration"
    config_dict["name"] = "from-actions"
    write_config(config_dict, root)
    (root / "__init__.py").write_text("")
    (root / "actions").mkdir()
    (root / "actions" / "__init__.py").write_text(LOAD_AT_IMPORT)
    monkeypatch.chdir(tmp_path)
    module = import_package(tmp_path, "pkg_integration.actions")
    assert module.integration.config.name == "from-actions"


def test_no_arg_load_from_actions_package_in_plain_folder(
    tmp_path, write_config, config_dict, monkeypatch, import_package
):
    """Integration folder itself not a package; actions/ imported from it."""
    root = tmp_path / "folder_integration"
    config_dict["name"] = "plain-folder"
    write_config(config_dict, root)
    (root / "actions").mkdir()
    (root / "actions" / "__init__.py").write_text(LOAD_AT_IMPORT)
    monkeypatch.chdir(tmp_path)
    module = import_package(root, "actions")
    assert module.integration.config.name == "plain-folder"


def test_no_arg_load_prefers_nearest_config(tmp_path, write_config, config_dict, import_package):
    root = tmp_path / "nested_integration"
    config_dict["name"] = "outer"
    write_config(config_dict, root)
    (root / "__init__.py").write_text("")
    inner = root / "sub"
    config_dict["name"] = "inner"
    write_config(config_dict, inner)
    (inner / "__init__.py").write_text(LOAD_AT_IMPORT)
    module = import_package(tmp_path, "nested_integration.sub")
    assert module.integration.config.name == "inner"


def test_no_arg_load_without_config_names_where_it_looked(tmp_path, monkeypatch):
    folder = tmp_path / "empty_integration"
    folder.mkdir()
    (folder / "main.py").write_text(LOAD_AT_IMPORT)
    with pytest.raises(ConfigurationError, match="config.json") as caught:
        import_file(folder / "main.py", monkeypatch)
    assert str(folder.resolve() / "config.json") in str(caught.value)


def test_vendored_layout(tmp_path, write_config, config_dict):
    """SDK installed with ``pip install --target dependencies`` inside the
    integration folder; code run with no caller file and another cwd."""
    root = tmp_path / "vendored_integration"
    config_dict["name"] = "vendored"
    write_config(config_dict, root)
    package = Path(autohive_integrations_sdk.__file__).parent
    shutil.copytree(package, root / "dependencies" / "autohive_integrations_sdk",
                    ignore=shutil.ignore_patterns("__pycache__"))
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    code = textwrap.dedent(
        f"""
        import json, sys
        sys.path.insert(0, {str(root / "dependencies")!r})
        import autohive_integrations_sdk
        from autohive_integrations_sdk import Integration
        print(json.dumps([autohive_integrations_sdk.__file__, Integration.load().config.name]))
        """
    )
    result = subprocess.run(
        [sys.executable, "-c", code], cwd=elsewhere, capture_output=True, text=True, timeout=60
    )
    assert result.returncode == 0, result.stderr
    sdk_file, name = json.loads(result.stdout)
    assert Path(sdk_file).is_relative_to(root / "dependencies")
    assert name == "vendored"


def test_config_candidates_order(tmp_path):
    root = tmp_path / "integ"
    (root / "actions").mkdir(parents=True)
    (root / "actions" / "__init__.py").write_text("")
    sdk_file = tmp_path / "integ" / "dependencies" / "autohive_integrations_sdk" / "integration.py"
    candidates = _config.config_candidates(str(root / "actions" / "__init__.py"), str(sdk_file))
    assert candidates == [root / "actions" / "config.json", root / "config.json"]


def test_config_candidates_without_caller_file_use_cwd_then_vendored(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    sdk_file = tmp_path / "integ" / "deps" / "autohive_integrations_sdk" / "integration.py"
    candidates = _config.config_candidates(None, str(sdk_file))
    assert candidates == [tmp_path / "config.json", tmp_path / "integ" / "config.json"]


# ---- the monkeypatching pattern of existing test suites ----------------------


def test_load_patched_through_func(tmp_path, write_config, config_dict, monkeypatch):
    """Integration test suites wrap the original classmethod through
    ``Integration.load.__func__`` to point it at their own config.json."""
    path = write_config(config_dict)
    original = Integration.load.__func__
    seen = []

    def patched(cls, config_path=None):
        seen.append(cls)
        return original(cls, config_path or str(path))

    monkeypatch.setattr(Integration, "load", classmethod(patched))
    integration = Integration.load()
    assert integration.config.name == "demo"
    assert seen == [Integration]


def test_patched_load_used_by_module_loading_at_import(tmp_path, write_config, config_dict, monkeypatch):
    path = write_config(config_dict, tmp_path / "real")
    original = Integration.load.__func__
    monkeypatch.setattr(
        Integration, "load", classmethod(lambda cls, config_path=None: original(cls, config_path or path))
    )
    folder = tmp_path / "no_config_here"
    folder.mkdir()
    (folder / "main.py").write_text(LOAD_AT_IMPORT)
    module = import_file(folder / "main.py", monkeypatch)
    assert module.integration.config.name == "demo"


def test_load_on_subclass_returns_subclass(write_config, config_dict):
    class MyIntegration(Integration):
        pass

    assert type(MyIntegration.load(write_config(config_dict))) is MyIntegration
