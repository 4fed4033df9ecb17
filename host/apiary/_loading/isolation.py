"""Import isolation: many folder integrations side by side in one process.

A folder integration imports its own modules as if its folder were
``sys.path[0]``: ``from helpers import ...``, ``import actions.events``,
``from weather import weather``. Two such folders in one process would fight
over ``sys.modules["helpers"]``. Here each folder is *mounted* as a private
package, ``_apiary_folders.<name>``, whose ``__path__`` is the folder, so its
files import as ``_apiary_folders.<name>.helpers`` and so on.

What makes the folder's own absolute imports land there is its builtins.
Every module loaded from a mounted folder gets, as ``__builtins__``, a copy
of the builtins whose ``__import__`` knows the folder: a top-level name the
folder itself provides (one of its ``.py`` files or packages) is imported
from the private package; any other name (the SDK, aiohttp, the standard
library, third-party packages) goes to Python's own ``__import__``
untouched. Functions keep the builtins of the module that defined them, so
an import inside a handler, run much later, still resolves to the folder's
own files. Nothing is registered under bare names like ``helpers``, and
nothing outside the mounted folders pays anything: the rest of the process
keeps the real ``__import__``.

``importlib.import_module("actions.x")`` in folder code is covered too: the
folder's ``import importlib`` gets a view of ``importlib`` whose
``import_module`` resolves the folder's names the same way.

Two choices differ from running the folder alone. A vendored copy of the
SDK (``autohive_integrations_sdk/`` inside the folder) is never used: the
host's SDK is, so the host can recognise the ``Integration`` it builds. And
standard library modules importing each other are not shadowed by a folder
file of the same name (``calendar.py``), because they do not run with the
folder's builtins.

A folder's vendored ``dependencies/`` directory (what ``pip install -t``
makes; real folders put it on ``sys.path`` at import) is part of the
folder, after its own files: what it holds that the host's environment does
not provide is imported under the folder's private package too, so two
folders may vendor two versions of one library, and neither sees the
other's. What the host does provide (the SDK, aiohttp, the standard
library...) is the host's, one copy with one set of types, shared by every
integration. Whatever a folder adds to ``sys.path`` inside itself serves no
one else: a path hook hides such entries from the process's own imports.
Files are found as ``.py``, bare ``.pyc`` (a folder shipped as bytecode)
or extension modules.
"""

from __future__ import annotations

import builtins
import functools
import importlib
import importlib.abc
import importlib.machinery
import importlib.util
import os
import re
import sys
import threading
import types
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any

NAMESPACE = "_apiary_folders"

# Names a folder may hold but never provides to its own imports.
_ALWAYS_SHARED = frozenset({"autohive_integrations_sdk"})

_lock = threading.Lock()
_mounted: dict[str, _Folder] = {}


_PYTHON_SUFFIXES = (".py", ".pyc")
_VENDORED = "dependencies"


def _module_name(entry: Path) -> str | None:
    """The module a file in a search directory provides (``x.py``, ``x.pyc``,
    ``x.cpython-311-x86_64-linux-gnu.so``), or ``None``."""
    for suffix in sorted((*_PYTHON_SUFFIXES, *importlib.machinery.EXTENSION_SUFFIXES), key=len, reverse=True):
        if entry.name.endswith(suffix):
            return entry.name[: -len(suffix)]
    return None


def _own_names(folder: Path) -> set[str]:
    """The top-level module names ``folder`` provides: its ``.py`` and bare
    ``.pyc`` files and its directories holding such files (packages,
    namespace ones too)."""
    names = set()
    for entry in folder.iterdir():
        if entry.is_file() and entry.suffix in _PYTHON_SUFFIXES:
            names.add(entry.stem)
        elif entry.is_dir() and any(entry.glob(f"*{suffix}") for suffix in _PYTHON_SUFFIXES):
            names.add(entry.name)
    return names


def _vendored_names(directory: Path) -> set[str]:
    """The top-level names in a ``dependencies/`` directory that the host's
    environment does not provide (see the module docstring)."""
    names = set()
    for entry in directory.iterdir():
        name = entry.name if entry.is_dir() else _module_name(entry)
        if name and name.isidentifier() and name != "__pycache__" and not _host_provides(name):
            names.add(name)
    return names


def _host_provides(name: str) -> bool:
    if name in sys.modules:
        return True
    try:
        return importlib.util.find_spec(name) is not None
    except (ImportError, ValueError):
        return False


class _Folder:
    """One mounted folder: where it is, its package, and its import function."""

    def __init__(self, path: Path, package: str) -> None:
        self.path = path
        self.package = package
        vendored = path / _VENDORED
        self.search = [str(path)] + ([str(vendored)] if vendored.is_dir() else [])
        self.own: frozenset[str] = frozenset()  # set by ``mount``, once the hook hides the folder
        self.builtins: dict[str, Any] = dict(builtins.__dict__)
        self.builtins["__import__"] = self.import_
        self.importlib = _ImportlibView(self)
        self._finders: dict[str, importlib.machinery.FileFinder] = {}

    def find_names(self) -> None:
        """Work out which top-level names the folder provides to its own imports."""
        names = _own_names(self.path)
        if len(self.search) > 1:
            names |= _vendored_names(Path(self.search[1]))
        names -= {"__init__", "__pycache__"}
        self.own = frozenset(name for name in names if name.isidentifier()) - _ALWAYS_SHARED

    def find_spec(self, fullname: str, directories: Sequence[str]) -> importlib.machinery.ModuleSpec | None:
        """``fullname`` in ``directories`` (inside the folder), as ``PathFinder``
        would find it, with this folder's loaders: a module, or a namespace
        package made of every directory that holds one."""
        portions: list[str] = []
        for directory in directories:
            finder = self._finders.get(directory)
            if finder is None:
                finder = self._finders[directory] = importlib.machinery.FileFinder(directory, *_LOADERS)
            spec = finder.find_spec(fullname)
            if spec is None:
                continue
            if spec.loader is not None:
                return spec
            portions += spec.submodule_search_locations or []
        if not portions:
            return None
        spec = importlib.machinery.ModuleSpec(fullname, None, is_package=True)
        spec.submodule_search_locations = portions
        return spec

    def invalidate_caches(self) -> None:
        for finder in self._finders.values():
            finder.invalidate_caches()

    def private(self, name: str) -> str | None:
        """The private name of ``name`` if the folder provides it, else ``None``."""
        if name.partition(".")[0] in self.own:
            return f"{self.package}.{name}"
        return None

    def import_(
        self,
        name: str,
        globals: dict[str, Any] | None = None,
        locals: dict[str, Any] | None = None,
        fromlist: Sequence[str] = (),
        level: int = 0,
    ) -> types.ModuleType:
        """``__import__`` as seen by the folder's own modules."""
        if level == 0:
            private = self.private(name)
            if private is not None:
                module = builtins.__import__(private, globals, locals, fromlist, 0)
                if fromlist:
                    return module
                # `import actions.events` binds the folder's own `actions`.
                return sys.modules[f"{self.package}.{name.partition('.')[0]}"]
            if name == "importlib" or (name.startswith("importlib.") and not fromlist):
                builtins.__import__(name, globals, locals, fromlist, 0)
                return self.importlib
        return builtins.__import__(name, globals, locals, fromlist, level)


class _ImportlibView(types.ModuleType):
    """``importlib`` for a folder's code: its ``import_module`` resolves the
    folder's own names first; everything else is the real module's."""

    def __init__(self, folder: _Folder) -> None:
        super().__init__("importlib", importlib.__doc__)
        self._folder = folder

    def __getattr__(self, attribute: str) -> Any:
        return getattr(importlib, attribute)

    def import_module(self, name: str, package: str | None = None) -> types.ModuleType:
        private = None if name.startswith(".") else self._folder.private(name)
        return importlib.import_module(private or name, package)


class _WithFolderBuiltins:
    """Mixin for a file loader: the module runs with its folder's builtins
    (the folder named by the module's private name)."""

    def __init__(self, fullname: str, path: str) -> None:
        super().__init__(fullname, path)  # type: ignore[call-arg]
        self._folder = _mounted[fullname.split(".")[1]]

    def exec_module(self, module: types.ModuleType) -> None:
        module.__dict__["__builtins__"] = self._folder.builtins
        super().exec_module(module)  # type: ignore[misc]


# typeshed's SourceFileLoader inherits two different source_to_code signatures.
class _IsolatedSourceLoader(_WithFolderBuiltins, importlib.machinery.SourceFileLoader):  # type: ignore[misc]
    """Loads a folder's ``.py`` file."""


class _IsolatedSourcelessLoader(_WithFolderBuiltins, importlib.machinery.SourcelessFileLoader):
    """Loads a folder's bare ``.pyc`` file."""


# As Python's own FileFinder is set up (extension modules first), with ours
# for source and bytecode files.
_LOADERS: list[tuple[Any, list[str]]] = [
    (importlib.machinery.ExtensionFileLoader, importlib.machinery.EXTENSION_SUFFIXES),
    (_IsolatedSourceLoader, importlib.machinery.SOURCE_SUFFIXES),
    (_IsolatedSourcelessLoader, importlib.machinery.BYTECODE_SUFFIXES),
]


class _FolderFinder(importlib.abc.MetaPathFinder):
    """Finds modules inside mounted folders on the package's ``__path__``,
    with loaders that give them the folder's builtins. Its own file finders,
    not ``PathFinder``'s: those are shared with the process's imports, which
    must not see the folders (see ``_hide_mounted``)."""

    def find_spec(
        self, fullname: str, path: Sequence[str] | None = None, target: types.ModuleType | None = None
    ) -> importlib.machinery.ModuleSpec | None:
        root, _, rest = fullname.partition(".")
        if root != NAMESPACE or "." not in rest or path is None:
            return None
        folder = _mounted.get(rest.partition(".")[0])
        if folder is None:
            return None
        return folder.find_spec(fullname, list(path))

    def invalidate_caches(self) -> None:
        for folder in list(_mounted.values()):
            folder.invalidate_caches()


_finder = _FolderFinder()


class _Hidden(importlib.abc.PathEntryFinder):
    """The finder of a ``sys.path`` entry inside a mounted folder: it finds nothing."""

    def find_spec(self, fullname: str, target: types.ModuleType | None = None) -> None:
        return None

    def invalidate_caches(self) -> None:
        pass


_HIDDEN = _Hidden()


@functools.lru_cache(maxsize=4096)
def _lineage(entry: str) -> frozenset[Path]:
    """An absolute path entry, resolved, with every directory holding it
    (resolved once per entry: mounting checks every cached entry)."""
    try:
        path = Path(entry).resolve()
    except (OSError, RuntimeError, ValueError):
        return frozenset()
    return frozenset((path, *path.parents))


def _inside(entry: str, folders: Iterable[Path]) -> bool:
    """Whether the path entry is one of ``folders`` or inside one."""
    lineage = _lineage(entry) if os.path.isabs(entry) else _lineage.__wrapped__(entry or ".")
    return any(folder in lineage for folder in folders)


def _hide_mounted(entry: str) -> importlib.abc.PathEntryFinder:
    """Path hook: a ``sys.path`` entry inside a mounted folder (its
    ``dependencies/``, the folder itself) finds nothing for the process's
    imports, whoever put it there; the folder's own imports go through
    ``_FolderFinder`` instead. Package ``__path__`` entries are not
    ``sys.path`` entries and are left alone (a packaged folder's package)."""
    if entry in sys.path and _inside(entry, [folder.path for folder in list(_mounted.values())]):
        return _HIDDEN
    raise ImportError("not inside a mounted folder")


def shared_path() -> list[str]:
    """``sys.path`` less its entries inside mounted folders: the search path
    the process's own imports really use (for a child process to start on)."""
    folders = [folder.path for folder in list(_mounted.values())]
    return [entry for entry in sys.path if not _inside(entry, folders)]


def _forget_cached_finders(folder: Path) -> None:
    """Drop ``sys.path_importer_cache`` entries inside ``folder``, so the
    path hook decides about them afresh."""
    for entry in [entry for entry in list(sys.path_importer_cache) if _inside(entry, [folder])]:
        sys.path_importer_cache.pop(entry, None)


def _package(name: str, search_locations: Sequence[str]) -> types.ModuleType:
    """A package module with no code of its own, importable below."""
    module = types.ModuleType(name)
    module.__spec__ = importlib.machinery.ModuleSpec(name, None, is_package=True)
    module.__spec__.submodule_search_locations = list(search_locations)
    module.__path__ = list(search_locations)
    module.__package__ = name
    return module


def _identifier(key: str) -> str:
    name = re.sub(r"\W", "_", key)
    return name if name.isidentifier() else f"_{name}"


def mount(folder: Path, key: str) -> str:
    """Mount ``folder`` as a private package named after ``key`` (an
    integration id) and return the package's name. Mounting the same folder
    again is a no-op; mounting another folder under the same name is a
    ``ValueError``."""
    name = _identifier(key)
    folder = Path(folder).resolve()
    with _lock:
        known = _mounted.get(name)
        if known is not None:
            if known.path != folder:
                raise ValueError(f"cannot mount {folder} as {NAMESPACE}.{name}: {known.path} is mounted there already")
            return known.package
        if _finder not in sys.meta_path:
            sys.meta_path.insert(0, _finder)
        if _hide_mounted not in sys.path_hooks:
            sys.path_hooks.insert(0, _hide_mounted)
        root = sys.modules.get(NAMESPACE)
        if root is None:
            root = sys.modules[NAMESPACE] = _package(NAMESPACE, [])
        mounted = _mounted[name] = _Folder(folder, f"{NAMESPACE}.{name}")
        _forget_cached_finders(folder)
        try:
            mounted.find_names()  # once the hook hides the folder: "does the host provide it?"
        except BaseException:
            del _mounted[name]
            raise
        package = sys.modules[mounted.package] = _package(mounted.package, mounted.search)
        setattr(root, name, package)
        return mounted.package


def unmount(key: str) -> None:
    """Forget the folder mounted for ``key`` and every module imported from it
    (for tests and reloads; objects already handed out keep working)."""
    name = _identifier(key)
    with _lock:
        folder = _mounted.pop(name, None)
        if folder is None:
            return
        inside = [key for key in sys.modules if key == folder.package or key.startswith(folder.package + ".")]
        for module_name in inside:
            del sys.modules[module_name]
        root = sys.modules.get(NAMESPACE)
        if root is not None and hasattr(root, name):
            delattr(root, name)
        _forget_cached_finders(folder.path)


def import_isolated(folder: Path, key: str, module: str) -> types.ModuleType:
    """Import ``module`` (``"weather"``, ``"actions.events"``) of ``folder``,
    mounted for ``key``, the way the folder's own code would import it."""
    package = mount(folder, key)
    return importlib.import_module(f"{package}.{module}")
