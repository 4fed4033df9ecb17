"""Helpers for testing integrations through a real host, against fake upstreams.

An integration's tests start a local fake of its upstream API (for example
an ``aiohttp.test_utils.TestServer`` on 127.0.0.1) and call the integration
through ``Host`` with the upstream override pointing the real API's origin
at the fake, so the integration runs unmodified::

    async with host_with_upstreams({"https://api.github.com": fake_origin}) as host:
        result = await host.call("github", "list_repositories", {...}, auth={...})
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterable, Mapping
from contextlib import asynccontextmanager
from typing import Any

from ._config import parse_config
from ._host import Host
from ._loading.discovery import Source


@asynccontextmanager
async def host_with_upstreams(
    upstreams: Mapping[str, str],
    *,
    config: Mapping[str, Any] | None = None,
    sources: Iterable[Source] | None = None,
) -> AsyncIterator[Host]:
    """An entered ``Host`` whose requests for each origin in ``upstreams`` go
    to its fake instead. ``config`` is more host config (TOML-shaped data);
    ``sources`` defaults to the installed integrations."""
    data = {**(config or {}), "upstreams": {**dict((config or {}).get("upstreams", {})), **upstreams}}
    async with Host(parse_config(data, source="test"), sources=sources, load_plugin_entry_points=False) as host:
        yield host


def origin_of(server: Any) -> str:
    """The origin (``http://127.0.0.1:PORT``) of an aiohttp ``TestServer``."""
    return str(server.make_url("/")).rstrip("/")
