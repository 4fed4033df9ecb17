"""What a call asks for, as one object from ``Host`` to the router.

``Host.call`` and ``Host.connected_account`` are the public signatures; they
pack their arguments into a ``CallRequest`` so the router's entry points
take one parameter instead of repeating every keyword.
"""

from __future__ import annotations

import os
from typing import Any, NamedTuple

__all__ = ["CONNECTED_ACCOUNT", "CallRequest", "new_call_id"]

# The action name hooks and logs see for an account lookup.
CONNECTED_ACCOUNT = "connected_account"


class CallRequest(NamedTuple):
    """One call: what to run (``integration``, ``action``, ``inputs``) and how."""

    integration: str
    action: str
    inputs: dict[str, Any] | None = None
    # Used as given; without it, the credentials of ``account`` (or the
    # default account) come from plugins or the host config.
    auth: dict[str, Any] | None = None
    account: str | None = None
    timeout: float | None = None  # seconds; overrides the configured call timeout
    call_id: str | None = None  # a face that must report the id passes its own
    # Retries of each upstream request that failed to connect or timed out,
    # over the config's (a handler that sets its own is obeyed).
    retries: int | None = None


def new_call_id() -> str:
    """16 random hex digits: unique enough to find one call in the logs."""
    return os.urandom(8).hex()
