"""The public surface of ``apiary``: pinned, so a change to it is a decision.

As httpx does in ``tests/test_exported_members.py``: ``__all__`` is explicit
and sorted, every name in it resolves, ``dir(apiary)`` shows them, and the
types that public signatures mention are exported too.
"""

from __future__ import annotations

import inspect
import subprocess
import sys
import types
import typing

import pytest

import apiary

EXPECTED = [
    "AccessError",
    "ApiaryError",
    "CallInfo",
    "CheckReport",
    "ConfigError",
    "CredentialsError",
    "Discovered",
    "EntryPointSource",
    "ErrorKind",
    "FolderSource",
    "Host",
    "HostConfig",
    "IntegrationRecord",
    "IntegrationSettings",
    "IntegrationState",
    "LoadError",
    "LoggingConfig",
    "McpConfig",
    "PackagingError",
    "PoolConfig",
    "RequestError",
    "ServeConfig",
    "Source",
    "UpstreamRequest",
    "UsageError",
    "__version__",
    "folder_integration",
    "hookimpl",
    "load_config",
    "parse_config",
    "result_to_dict",
]


def test_all_is_the_pinned_sorted_surface():
    assert apiary.__all__ == EXPECTED
    assert apiary.__all__ == sorted(apiary.__all__)


def test_every_exported_name_resolves_and_is_public_by_its_own_name():
    for name in apiary.__all__:
        value = getattr(apiary, name)
        if isinstance(value, type) or inspect.isfunction(value):
            assert value.__name__ == name, f"apiary.{name} is {value.__name__}: the public name must be its own"
            assert value.__module__.startswith("apiary"), name


def test_public_names_in_the_namespace_are_exactly_all():
    """Once every name is resolved, nothing public sits in ``apiary`` beside
    ``__all__`` but the public submodules."""
    for name in apiary.__all__:
        getattr(apiary, name)
    public = {
        name
        for name, value in vars(apiary).items()
        if not name.startswith("_") and not isinstance(value, types.ModuleType)
    }
    assert public == set(apiary.__all__) - {"__version__"}


def test_dir_shows_the_public_names():
    assert set(apiary.__all__) <= set(dir(apiary))


def test_unknown_name_is_an_attribute_error():
    with pytest.raises(AttributeError, match="no attribute 'nope'"):
        apiary.nope  # noqa: B018


def test_star_import_gives_exactly_all():
    namespace: dict[str, object] = {}
    exec("from apiary import *", namespace)
    assert set(namespace) - {"__builtins__"} == set(apiary.__all__)


def _classes_in(annotation: object) -> set[type]:
    """The classes an evaluated annotation mentions (through unions, generics)."""
    found = {annotation} if isinstance(annotation, type) else set()
    for inner in typing.get_args(annotation):
        found |= _classes_in(inner)
    return found


@pytest.mark.parametrize(
    "member", ["__init__", "list", "describe", "call", "connected_account", "record", "load_all", "check"]
)
def test_types_in_host_signatures_are_exported(member):
    """Every class of ours that a public ``Host`` method takes or returns is
    importable from ``apiary`` under its own name."""
    import autohive_integrations_sdk

    names = {name: getattr(apiary, name) for name in apiary.__all__} | vars(autohive_integrations_sdk)
    hints = typing.get_type_hints(getattr(apiary.Host, member), localns=names)
    ours = {cls for hint in hints.values() for cls in _classes_in(hint) if cls.__module__.startswith("apiary")}
    assert ours or member in ("list", "describe", "call", "connected_account", "load_all")
    for cls in ours:
        assert getattr(apiary, cls.__name__, None) is cls, f"{cls.__qualname__} is in Host.{member} but not exported"


def test_importing_apiary_imports_no_heavy_module():
    """``import apiary`` stays cheap: names load on first use."""
    heavy = ("aiohttp", "autohive_integrations_sdk", "structlog")
    code = f"import sys, apiary; print(sorted(m for m in {heavy!r} if m in sys.modules))"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "[]"


def test_typed_marker_ships():
    from importlib.resources import files

    assert files("apiary").joinpath("py.typed").is_file()
