"""Discovery: what integrations are installed, without importing any of them.

A source yields one ``Discovered`` per integration it knows. The entry point
source reads the ``apiary.integrations`` group once per process and finds
each entry module's ``config.json`` the way Python would find the module
itself (``find_spec`` on the top-level name, then down through package
paths), which reads directories but executes no integration code. So a
package whose import is broken still lists.

Discovery knows nothing of the registry, the router or any server.
"""

from __future__ import annotations

import importlib.machinery
import importlib.util
import json
from collections.abc import Iterable, Iterator, Mapping
from functools import lru_cache
from pathlib import Path
from typing import Any, NamedTuple, Protocol

import importlib_metadata

ENTRY_POINT_GROUP = "apiary.integrations"


class Discovered(NamedTuple):
    """One integration as found on disk, before anything is imported."""

    id: str
    module: str
    attribute: str | None
    source: str
    distribution: str | None = None
    distribution_version: str | None = None
    config_path: Path | None = None
    problem: str | None = None  # why the integration cannot be used
    # A folder integration: ``module`` is imported from this folder, in
    # isolation (see ``apiary.isolation``), instead of from ``sys.path``.
    folder: Path | None = None
    config: Mapping[str, Any] | None = None  # config.json, when already read


class Source(Protocol):
    """Anything that can say which integrations exist."""

    def discover(self) -> Iterable[Discovered]: ...


def _module_file(module: str) -> Path:
    """The file ``module`` would be imported from, found without importing.

    ``importlib.util.find_spec`` imports parent packages, which would run an
    integration's ``__init__``; so only the top-level name goes through the
    import system's finders and the rest is looked up in package paths.
    """
    top, *rest = module.split(".")
    spec = importlib.util.find_spec(top)
    name = top
    for part in rest:
        if spec is None or not spec.submodule_search_locations:
            break
        name = f"{name}.{part}"
        spec = importlib.machinery.PathFinder.find_spec(name, list(spec.submodule_search_locations))
    if spec is None or spec.origin in (None, "built-in", "frozen"):
        raise LookupError(f"module {module!r} is not installed where Python can find it")
    return Path(spec.origin)


def locate_config(module: str) -> Path:
    """The ``config.json`` of the integration whose entry module is ``module``.

    Looked for beside the module, then up through the packages holding it,
    the same places the SDK's ``Integration.load()`` looks.
    """
    folder = _module_file(module).parent
    tried = []
    while True:
        candidate = folder / "config.json"
        if candidate.is_file():
            return candidate
        tried.append(str(candidate))
        if not (folder / "__init__.py").exists() or folder.parent == folder:
            break
        folder = folder.parent
    raise LookupError(f"no config.json beside module {module!r} (looked at {', '.join(tried)})")


def read_config_file(path: Path) -> Mapping[str, Any]:
    """Decode a config.json; ``ValueError`` names the problem."""
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except OSError as error:
        raise ValueError(f"cannot read {path}: {error.strerror or error}") from None
    except (json.JSONDecodeError, UnicodeDecodeError) as error:
        raise ValueError(f"{path} is not valid JSON: {error}") from None
    if not isinstance(data, Mapping):
        raise ValueError(f"{path}: the top level must be a JSON object")
    for section in ("actions", "polling_triggers"):
        if not isinstance(data.get(section, {}), Mapping):
            raise ValueError(f"{path}: {section!r} must be an object")
    return data


def _split_value(value: str) -> tuple[str, str | None]:
    module, _, attribute = value.partition(":")
    return module.strip(), (attribute.strip() or None)


def _name_and_version(dist: Any) -> tuple[str | None, str | None]:
    """A distribution's name and version from its metadata headers.

    Read by hand: ``dist.name`` and ``dist.version`` parse the whole file
    with the email package, twice, which is most of the cost of listing.
    """
    if dist is None:
        return None, None
    text = dist.read_text("METADATA") or dist.read_text("PKG-INFO") or ""
    name = version = None
    for line in text.splitlines():
        if not line:
            break  # the headers end at the first blank line
        key, _, value = line.partition(":")
        if key == "Name":
            name = value.strip()
        elif key == "Version":
            version = value.strip()
    return name, version


@lru_cache(maxsize=1)
def _scan_entry_points() -> tuple[Discovered, ...]:
    found = []
    for entry_point in importlib_metadata.entry_points(group=ENTRY_POINT_GROUP):
        module, attribute = _split_value(entry_point.value)
        distribution, distribution_version = _name_and_version(entry_point.dist)
        config_path, problem = None, None
        try:
            config_path = locate_config(module)
        except (LookupError, ImportError, ValueError) as error:
            problem = str(error)
        found.append(
            Discovered(
                id=entry_point.name,
                module=module,
                attribute=attribute,
                source=f"entry point {entry_point.name} = {entry_point.value}",
                distribution=distribution,
                distribution_version=distribution_version,
                config_path=config_path,
                problem=problem,
            )
        )
    return tuple(found)


class EntryPointSource:
    """Integrations installed as distributions with an ``apiary.integrations``
    entry point. The scan runs once per process."""

    def discover(self) -> Iterator[Discovered]:
        yield from _scan_entry_points()

    @staticmethod
    def rescan() -> None:
        """Forget the cached scan (after installing into a running process)."""
        _scan_entry_points.cache_clear()
