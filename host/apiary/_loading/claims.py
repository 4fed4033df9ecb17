"""One id, several sources: which claimant serves it, or why none does.

Two sources may claim one id (a shipped plugin and a public folder of the
same name). Left alone, every claimant is broken with a reason naming the
keys that resolve it, so neither silently wins. The operator resolves it in
the host config: ``[integrations.<id>] source`` picks the claimant (by
``"entry_point"``, ``"folder"``, a distribution name or a folder's path), or
``host.folders = [{ path = "...", prefix = "..." }]`` gives a directory of
folders ids of their own (``folders.FolderSource``). A ``source`` that no
claimant (or more than one) matches breaks the id, saying so.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from .._config._paths import is_path_choice

if TYPE_CHECKING:
    from .discovery import Discovered
    from .registry import IntegrationRecord

_KINDS = '"entry_point", "folder", a distribution name or a folder\'s path'


def _normalized(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()  # distribution names compare as pip compares them


def matches(found: Discovered, choice: str) -> bool:
    """Whether ``found`` is the claimant ``choice`` (an ``[integrations.X] source``) names."""
    if choice == "folder":
        return found.folder is not None
    if choice == "entry_point":
        return found.folder is None
    if is_path_choice(choice):
        return found.folder is not None and Path(found.folder).resolve() == Path(choice).expanduser().resolve()
    return found.distribution is not None and _normalized(found.distribution) == _normalized(choice)


def _where(claimants: Sequence[IntegrationRecord]) -> str:
    return "; ".join(_named(record.found) for record in claimants)


def _named(found: Discovered) -> str:
    if found.distribution:
        return f"{found.source} (from {found.distribution} {found.distribution_version})"
    return found.source


def settle(integration_id: str, claimants: Sequence[IntegrationRecord], choice: str | None) -> list[IntegrationRecord]:
    """The records that stay listed for ``integration_id``: the chosen one
    alone, or every claimant, broken with the reason, when there is no
    single answer."""
    if choice is None:
        if len(claimants) == 1:
            return list(claimants)
        reason = (
            f"id {integration_id!r} is claimed by {len(claimants)} integrations: {_where(claimants)}; "
            f"choose one with [integrations.{integration_id}] source = {_KINDS}, or give the folders' "
            'directory an id prefix in host.folders ({ path = "...", prefix = "..." })'
        )
    else:
        chosen = [record for record in claimants if matches(record.found, choice)]
        if len(chosen) == 1:
            return chosen
        key = f"integrations.{integration_id}.source = {choice!r}"
        if chosen:
            reason = (
                f"{key} matches {len(chosen)} of its sources ({_where(chosen)}); name a distribution or a folder's path"
            )
        else:
            reason = f"{key} matches none of its sources ({_where(claimants)}); use {_KINDS}"
    for record in claimants:
        record.mark_broken(reason)
    return list(claimants)


def settle_all(records: Sequence[IntegrationRecord], choices: Mapping[str, str]) -> list[IntegrationRecord]:
    """Every record that stays listed, in order, each id settled by ``settle``."""
    claims: dict[str, list[IntegrationRecord]] = {}
    for record in records:
        claims.setdefault(record.id, []).append(record)
    kept = {
        id(record)
        for integration_id, claimants in claims.items()
        for record in settle(integration_id, claimants, choices.get(integration_id))
    }
    return [record for record in records if id(record) in kept]
