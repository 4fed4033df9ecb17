"""Discovery: integrations are found, and their config.json read, without
importing any integration module."""

from __future__ import annotations

import sys

import importlib_metadata
import pytest

from apiary import Discovered, EntryPointSource, Host, IntegrationState, parse_config
from apiary._loading.discovery import ENTRY_POINT_GROUP, locate_config
from apiary._loading.registry import Registry

from .._support import PLUGINS_DIR, fixture_source

FIXTURE_MODULES = (
    "apiary_test_echo",
    "apiary_test_keyed",
    "apiary_test_keyed.handlers",
    "apiary_test_keyed.handlers.main",
    "apiary_test_broken",
    "apiary_test_nohandler",
)


@pytest.fixture
def unimported(monkeypatch):
    """No fixture integration module imported (restored afterwards)."""
    for name in FIXTURE_MODULES:
        monkeypatch.delitem(sys.modules, name, raising=False)


def imported_fixtures():
    return sorted(name for name in FIXTURE_MODULES if name in sys.modules)


def test_locate_config_for_a_package_entry_point(unimported):
    path = locate_config("apiary_test_echo")
    assert path == PLUGINS_DIR / "apiary-test-echo" / "apiary_test_echo" / "config.json"
    assert imported_fixtures() == []


def test_locate_config_for_a_submodule_entry_point_walks_up_the_packages(unimported):
    path = locate_config("apiary_test_keyed.handlers.main")
    assert path == PLUGINS_DIR / "apiary-test-keyed" / "apiary_test_keyed" / "config.json"
    # Finding it ran no package __init__ on the way.
    assert imported_fixtures() == []


def test_locate_config_of_a_module_that_is_not_installed():
    with pytest.raises(LookupError, match="no_such_integration_module_1234"):
        locate_config("no_such_integration_module_1234")
    with pytest.raises(LookupError, match="apiary_test_echo.no_such_submodule"):
        locate_config("apiary_test_echo.no_such_submodule")


def test_locate_config_when_there_is_none(make_package):
    module = make_package.make({}, "")
    (make_package.root / module / "config.json").unlink()
    with pytest.raises(LookupError, match="no config.json beside module"):
        locate_config(module)


def test_listing_and_describing_import_nothing(unimported):
    host = Host(
        parse_config({}),
        sources=[fixture_source("echo", "keyed", "broken", "nohandler")],
        load_plugin_entry_points=False,
    )
    listed = host.list()
    assert [item["id"] for item in listed] == ["broken", "echo", "keyed", "nohandler"]
    assert all(item["state"] == "discovered" for item in listed)
    assert host.describe("keyed")["actions"][0]["name"] == "whoami"
    assert host.describe("broken")["state"] == "discovered"
    assert imported_fixtures() == []


# ---- the entry point source ------------------------------------------------------------


@pytest.fixture
def entry_points(monkeypatch):
    """Replace the installed entry points of the integration group."""
    installed = []
    scans = []
    real = importlib_metadata.entry_points

    def fake(**params):
        if params.get("group") == ENTRY_POINT_GROUP:
            scans.append(params)
            return importlib_metadata.EntryPoints(installed)
        return real(**params)

    monkeypatch.setattr(importlib_metadata, "entry_points", fake)
    EntryPointSource.rescan()
    yield installed, scans
    EntryPointSource.rescan()


def entry_point(name, value):
    return importlib_metadata.EntryPoint(name, value, ENTRY_POINT_GROUP)


def test_entry_point_source(entry_points, unimported):
    installed, scans = entry_points
    installed += [
        entry_point("echo", "apiary_test_echo"),
        entry_point("keyed", "apiary_test_keyed.handlers.main:integration"),
        entry_point("ghost", "no_such_integration_module_5678"),
    ]
    found = {item.id: item for item in EntryPointSource().discover()}
    assert set(found) == {"echo", "keyed", "ghost"}
    assert found["echo"].module == "apiary_test_echo" and found["echo"].attribute is None
    assert found["keyed"].module == "apiary_test_keyed.handlers.main"
    assert found["keyed"].attribute == "integration"
    assert found["keyed"].config_path == PLUGINS_DIR / "apiary-test-keyed" / "apiary_test_keyed" / "config.json"
    assert "keyed = apiary_test_keyed.handlers.main:integration" in found["keyed"].source
    assert found["ghost"].config_path is None
    assert "no_such_integration_module_5678" in found["ghost"].problem

    registry = Registry([EntryPointSource()])
    ghost = registry.get("ghost")
    assert ghost.state is IntegrationState.BROKEN
    assert "no_such_integration_module_5678" in ghost.reason
    assert registry.get("echo").state is IntegrationState.DISCOVERED
    assert registry.get("echo").config["name"] == "echo"
    assert imported_fixtures() == []
    # The scan ran once for all of that.
    assert len(scans) == 1


async def test_entry_point_integration_is_callable(entry_points):
    installed, _ = entry_points
    installed += [entry_point("keyed", "apiary_test_keyed.handlers.main:integration")]
    async with Host(parse_config({}), load_plugin_entry_points=False) as host:
        result = await host.connected_account("keyed", auth={"api_key": "key-entry-point"})
    assert result.type.value == "connected_account"


def test_discovered_records_are_plain_data():
    found = Discovered(id="x", module="m", attribute=None, source="test")
    assert found.config_path is None and found.problem is None and found.distribution is None
