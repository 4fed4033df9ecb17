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
"""

from __future__ import annotations

import builtins
import importlib
import importlib.abc
import importlib.machinery
import re
import sys
import threading
import types
from collections.abc import Sequence
from pathlib import Path
from typing import Any

NAMESPACE = "_apiary_folders"

# Names a folder may hold but never provides to its own imports.
_ALWAYS_SHARED = frozenset({"autohive_integrations_sdk"})

_lock = threading.Lock()
_mounted: dict[str, _Folder] = {}


def _own_names(folder: Path) -> frozenset[str]:
    """The top-level module names ``folder`` provides: its ``*.py`` files and
    its directories holding Python files (packages, namespace ones too)."""
    names = set()
    for entry in folder.iterdir():
        if entry.is_file() and entry.suffix == ".py":
            names.add(entry.stem)
        elif entry.is_dir() and ((entry / "__init__.py").exists() or any(entry.glob("*.py"))):
            names.add(entry.name)
    return frozenset(name for name in names if name.isidentifier() and name != "__init__") - _ALWAYS_SHARED


class _Folder:
    """One mounted folder: where it is, its package, and its import function."""

    def __init__(self, path: Path, package: str) -> None:
        self.path = path
        self.package = package
        self.own = _own_names(path)
        self.builtins: dict[str, Any] = dict(builtins.__dict__)
        self.builtins["__import__"] = self.import_
        self.importlib = _ImportlibView(self)

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
    """Mixin for a file loader: the module runs with its folder's builtins."""

    def __init__(self, fullname: str, path: str, folder: _Folder) -> None:
        super().__init__(fullname, path)  # type: ignore[call-arg]
        self._folder = folder

    def exec_module(self, module: types.ModuleType) -> None:
        module.__dict__["__builtins__"] = self._folder.builtins
        super().exec_module(module)  # type: ignore[misc]


# typeshed's SourceFileLoader inherits two different source_to_code signatures.
class _IsolatedSourceLoader(_WithFolderBuiltins, importlib.machinery.SourceFileLoader):  # type: ignore[misc]
    """Loads a folder's ``.py`` file."""


class _IsolatedSourcelessLoader(_WithFolderBuiltins, importlib.machinery.SourcelessFileLoader):
    """Loads a folder's bare ``.pyc`` file."""


class _FolderFinder(importlib.abc.MetaPathFinder):
    """Finds modules inside mounted folders the usual way (``PathFinder`` on
    the package's ``__path__``), then hands them to a loader that gives them
    the folder's builtins."""

    def find_spec(
        self, fullname: str, path: Sequence[str] | None = None, target: types.ModuleType | None = None
    ) -> importlib.machinery.ModuleSpec | None:
        root, _, rest = fullname.partition(".")
        if root != NAMESPACE or "." not in rest:
            return None
        folder = _mounted.get(rest.partition(".")[0])
        if folder is None:
            return None
        spec = importlib.machinery.PathFinder.find_spec(fullname, path)
        if spec is None or spec.origin is None:
            return spec
        if type(spec.loader) is importlib.machinery.SourceFileLoader:
            spec.loader = _IsolatedSourceLoader(fullname, spec.origin, folder)
        elif type(spec.loader) is importlib.machinery.SourcelessFileLoader:
            spec.loader = _IsolatedSourcelessLoader(fullname, spec.origin, folder)
        return spec


_finder = _FolderFinder()


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
        root = sys.modules.get(NAMESPACE)
        if root is None:
            root = sys.modules[NAMESPACE] = _package(NAMESPACE, [])
        mounted = _Folder(folder, f"{NAMESPACE}.{name}")
        package = sys.modules[mounted.package] = _package(mounted.package, [str(folder)])
        setattr(root, name, package)
        _mounted[name] = mounted
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


def import_isolated(folder: Path, key: str, module: str) -> types.ModuleType:
    """Import ``module`` (``"weather"``, ``"actions.events"``) of ``folder``,
    mounted for ``key``, the way the folder's own code would import it."""
    package = mount(folder, key)
    return importlib.import_module(f"{package}.{module}")
