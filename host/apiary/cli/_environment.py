"""Is the ``autohive_integrations_sdk`` this environment imports Apiary's own?

The reference SDK ships the same import package as ours (``apiary-sdk``):
``pip install -r requirements.txt`` of an integration that names
``autohive-integrations-sdk`` installs it over ours, and from then on every
call dies on a missing name. Every ``apiary`` command checks first, and
cheaply: the module is found without being imported and its ``__init__.py``
read for the marker only ours carries (a file the reference overwrites, so
a leftover of ours cannot pass for it). Only when it is not ours is the
installed metadata read, to name the distribution that replaced it and the
commands that repair this environment.
"""

from __future__ import annotations

import importlib.util
import json
import shlex
import sys
from importlib import metadata
from pathlib import Path
from urllib.parse import unquote, urlparse

_MODULE = "autohive_integrations_sdk"
_OURS = "apiary-sdk"
# A line of our SDK's __init__.py: the reference's has no such line.
_MARKER = "__apiary_sdk__ = True"

# The outcome table's EXIT_USAGE, which cannot be imported before this check
# (apiary._faces.outcomes imports the SDK); a test holds them equal.
EXIT_FOREIGN_SDK = 2


def sdk_problem() -> str | None:
    """``None`` when the SDK this environment imports is ours, else the
    message that says what replaced it and how to repair the environment."""
    spec = importlib.util.find_spec(_MODULE)
    origin = Path(spec.origin) if spec is not None and spec.origin else None
    if origin is not None:
        try:
            if _MARKER in origin.read_text(encoding="utf-8", errors="replace"):
                return None
        except OSError:
            pass
    pip = f"{shlex.quote(sys.executable)} -m pip"
    if spec is None:
        return (
            f"the SDK ({_MODULE}) is not installed in this environment ({sys.prefix}); "
            f"install Apiary's SDK: {pip} install {_reinstall_target()}"
        )
    others = _replacing()
    culprit = ", ".join(f"{name} {version}" for name, version in others) or "a distribution that is not Apiary's"
    uninstall = " ".join(dict.fromkeys(name for name, _ in others)) or "autohive-integrations-sdk"
    where = f" ({origin.parent})" if origin is not None else ""
    return (
        f"the SDK this environment imports, {_MODULE}{where}, is not Apiary's ({_OURS}): "
        f"{culprit} replaced it (pip installs the reference SDK over ours when a requirements.txt names it).\n"
        "Repair this environment with:\n"
        f"    {pip} uninstall -y {uninstall}\n"
        f"    {pip} install {_reinstall_target()}\n"
        "then install integrations' requirements with 'apiary deps FOLDER...', which keeps Apiary's SDK."
    )


def _replacing() -> list[tuple[str, str]]:
    """The installed distributions other than ours that provide the module."""
    names = metadata.packages_distributions().get(_MODULE, [])
    found: list[tuple[str, str]] = []
    for name in dict.fromkeys(names):
        if name.lower().replace("_", "-") == _OURS:
            continue
        try:
            found.append((name, metadata.version(name)))
        except metadata.PackageNotFoundError:
            found.append((name, "(version unknown)"))
    return found


def _reinstall_target() -> str:
    """pip's arguments to reinstall ours: from its editable checkout or the
    local directory it came from (no index hosts ``apiary-sdk``), else by name."""
    try:
        direct = metadata.distribution(_OURS).read_text("direct_url.json")
        url = json.loads(direct or "{}")
    except (metadata.PackageNotFoundError, ValueError):
        return f"--force-reinstall {_OURS}"
    parsed = urlparse(url.get("url", "")) if isinstance(url, dict) else None
    if parsed is None or parsed.scheme != "file":
        return f"--force-reinstall {_OURS}"
    path = shlex.quote(unquote(parsed.path))
    editable = isinstance(url.get("dir_info"), dict) and url["dir_info"].get("editable")
    # An editable install's files are the checkout's: installing it again is
    # enough. Any other had files overwritten, which pip does not know of.
    return f"-e {path}" if editable else f"--force-reinstall {path}"
