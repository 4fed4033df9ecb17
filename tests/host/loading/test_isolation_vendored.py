"""Isolation of what folders carry besides their own modules: a vendored
``dependencies/`` directory serves its own folder's imports and nobody
else's, even when the folder puts it on ``sys.path`` at import; and folders
shipped as bytecode (bare ``module.pyc`` files beside config.json) load."""

from __future__ import annotations

import importlib
import json
import py_compile
import sys
import uuid
from pathlib import Path

import pytest

from apiary import FolderSource, Host, parse_config
from apiary._loading import isolation
from apiary._loading.isolation import NAMESPACE, import_isolated, unmount

from .._support import PING_CODE, simple_config

# What real folders do at the top of their entry module.
PUT_DEPENDENCIES_ON_SYS_PATH = (
    "import os, sys\n"
    "sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), 'dependencies'))\n"
)


@pytest.fixture(autouse=True)
def restore_the_import_system():
    """Folders here change ``sys.path`` as real ones do; each test gets it back."""
    path, cache, mounted = list(sys.path), dict(sys.path_importer_cache), set(isolation._mounted)
    yield
    for name in set(isolation._mounted) - mounted:
        unmount(name)
    sys.path[:] = path
    for key in set(sys.path_importer_cache) - set(cache):
        del sys.path_importer_cache[key]


@pytest.fixture
def vendored() -> str:
    """A module name nothing installs, so only a vendored copy can provide it."""
    name = f"vendored_thing_{uuid.uuid4().hex[:8]}"
    yield name
    for module in [m for m in sys.modules if m == name or m.startswith(name + ".")]:
        del sys.modules[module]


def write_tree(root: Path, files: dict[str, str]) -> Path:
    for relative, text in files.items():
        path = root / relative
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
    return root


def vendoring_folder(root: Path, name: str, vendored: str, version: str, *, insert: bool = True) -> Path:
    """A folder whose ``dependencies/`` holds its own copy of ``vendored``."""
    main = (PUT_DEPENDENCIES_ON_SYS_PATH if insert else "") + f"import {vendored}\nVERSION = {vendored}.VERSION\n"
    return write_tree(
        root / name,
        {
            "main.py": main,
            f"dependencies/{vendored}/__init__.py": f"from {vendored}.core import VERSION\n",
            f"dependencies/{vendored}/core.py": f"VERSION = {version!r}\n",
        },
    )


def test_each_folder_sees_its_own_vendored_copy(tmp_path, vendored):
    alpha = import_isolated(vendoring_folder(tmp_path, "alpha", vendored, "alpha's"), "alpha", "main")
    beta = import_isolated(vendoring_folder(tmp_path, "beta", vendored, "beta's"), "beta", "main")
    assert (alpha.VERSION, beta.VERSION) == ("alpha's", "beta's")
    assert getattr(sys.modules.get(vendored), "VERSION", None) is None  # nothing under the bare name


def test_a_vendored_copy_serves_no_other_folder_and_not_the_host(tmp_path, vendored):
    import_isolated(vendoring_folder(tmp_path, "alpha", vendored, "alpha's"), "alpha", "main")
    other = write_tree(tmp_path / "other", {"main.py": f"import {vendored}\n"})
    with pytest.raises(ModuleNotFoundError, match=vendored):
        import_isolated(other, "other", "main")
    with pytest.raises(ModuleNotFoundError):
        importlib.import_module(vendored)


def test_a_folder_sees_its_dependencies_without_putting_them_on_sys_path(tmp_path, vendored):
    module = import_isolated(vendoring_folder(tmp_path, "quiet", vendored, "quiet's", insert=False), "quiet", "main")
    assert module.VERSION == "quiet's"
    assert sys.modules[f"{NAMESPACE}.quiet.{vendored}"].VERSION == "quiet's"


def test_a_folder_putting_its_own_directory_on_sys_path_leaks_no_module(tmp_path):
    helper = f"helper_{uuid.uuid4().hex[:8]}"
    folder = write_tree(
        tmp_path / "leaky",
        {
            "main.py": (
                "import os, sys\n"
                "sys.path.append(os.path.dirname(os.path.abspath(__file__)))\n"
                f"import {helper}\n"
            ),
            f"{helper}.py": "OWN = True\n",
        },
    )
    assert import_isolated(folder, "leaky", "main").__dict__[helper].OWN is True
    with pytest.raises(ModuleNotFoundError):
        importlib.import_module(helper)


def test_an_installed_package_the_folder_also_vendors_is_the_hosts(tmp_path):
    import yarl

    folder = write_tree(
        tmp_path / "stale",
        {
            "main.py": PUT_DEPENDENCIES_ON_SYS_PATH + "import yarl\n",
            "dependencies/yarl/__init__.py": "raise RuntimeError('the vendored yarl was imported')\n",
        },
    )
    assert import_isolated(folder, "stale", "main").yarl is yarl


# ---- folders shipped as bytecode -----------------------------------------------------


def compile_folder(sources: dict[str, str], folder: Path, keep_source: tuple[str, ...] = ()) -> Path:
    """``folder`` holding ``module.pyc`` files compiled from ``sources`` (and
    only the sources named in ``keep_source``), the way bytecode is shipped."""
    staging = write_tree(folder.parent / f"{folder.name}-src", sources)
    for relative in sources:
        target = folder / relative
        target.parent.mkdir(parents=True, exist_ok=True)
        if relative in keep_source or not relative.endswith(".py"):
            target.write_text(sources[relative], encoding="utf-8")
        else:
            py_compile.compile(str(staging / relative), cfile=str(target.with_suffix(".pyc")), doraise=True)
    return folder


async def test_a_folder_shipped_as_bytecode_loads_and_answers(tmp_path):
    compile_folder(
        {
            "config.json": json.dumps(simple_config("compiled", entry_point="main.py")),
            "main.py": "from helpers import PONG\nfrom actions.extra import EXTRA\n" + PING_CODE,
            "helpers.py": "PONG = 'pong'\n",
            "actions/__init__.py": "",
            "actions/extra.py": "EXTRA = 1\n",
        },
        tmp_path / "folders" / "compiled",
    )
    assert not list((tmp_path / "folders" / "compiled").rglob("*.py"))
    host = Host(parse_config({}), sources=[FolderSource([tmp_path / "folders"])], load_plugin_entry_points=False)
    async with host:
        result = await host.call("compiled", "ping")
    assert result.result.data == {"pong": True}, result
    assert sys.modules[f"{NAMESPACE}.compiled.helpers"].PONG == "pong"


def test_a_bytecode_helper_beside_source_modules_is_found(tmp_path):
    folder = compile_folder(
        {"main.py": "import helpers\nVALUE = helpers.VALUE\n", "helpers.py": "VALUE = 'from bytecode'\n"},
        tmp_path / "mixed",
        keep_source=("main.py",),
    )
    assert import_isolated(folder, "mixed", "main").VALUE == "from bytecode"
