"""``apiary mcp``: every installed action as a Model Context Protocol tool.

A thin face over ``Host``, like the HTTP one: ``tools`` decides which
actions become tools and under which names, ``server`` answers
``tools/list`` and ``tools/call`` through ``host.call`` over stdio (the
default) or the streamable HTTP transport (``/mcp``). The host is entered
once for the server's lifetime, so every call shares one pool.
"""

from __future__ import annotations

import sys
from collections.abc import Sequence

from .._config import HostConfig
from .._host import Host
from .._observe.logs import get_logger
from .tools import ToolSpec, build_tools, tools_table, unknown_entries


def selection(
    config: HostConfig, include: Sequence[str] | None = None, exclude: Sequence[str] | None = None
) -> tuple[tuple[str, ...], tuple[str, ...]]:
    """The include and exclude lists in force: a flag's list replaces the config's."""
    return (
        tuple(include) if include else config.mcp.include,
        tuple(exclude) if exclude else config.mcp.exclude,
    )


def select_tools(host: Host, include: Sequence[str] = (), exclude: Sequence[str] = ()) -> list[ToolSpec]:
    """The tools of ``host`` under the selection, warning (on the log) about
    selection entries that name nothing installed and actions left out."""
    log = get_logger("apiary.mcp")
    tools, skipped = build_tools(host.registry, include, exclude)
    installed = [
        (record.id, action) for record in host.registry.records for action in record.declared("actions")
    ]
    for entry in unknown_entries([*include, *exclude], installed):
        log.warning("mcp_selection_unknown", entry=entry, note="names no installed integration or action")
    for reason in skipped:
        log.warning("mcp_tool_skipped", reason=reason)
    return tools


async def serve(
    host: Host,
    include: Sequence[str] = (),
    exclude: Sequence[str] = (),
    http: bool = False,
    bind: str = "127.0.0.1",
    port: int = 8000,
) -> None:
    """Enter ``host`` and serve its selected tools until the client leaves
    (stdio) or SIGTERM/SIGINT (HTTP)."""
    from .server import McpFace, run_http, run_stdio

    token = None
    sock = None
    if http:
        from .._faces.access import listening_token
        from .._faces.listening import bound_socket

        token = listening_token(host.config, bind)  # AccessError when it may not listen there
        sock = bound_socket(bind, port)  # AccessError when it cannot: before anything starts
        port = sock.getsockname()[1]  # the one the system picked for port 0
    async with host:
        face = McpFace(host, select_tools(host, include, exclude))
        log = get_logger("apiary.mcp")
        log.info("mcp_started", transport="http" if http else "stdio", tools=len(face.tools))
        if sock is not None:
            print(f"apiary: MCP (streamable HTTP) on http://{bind}:{port}/mcp", file=sys.stderr, flush=True)
            await run_http(face, bind, port, token, sock)
        else:
            await run_stdio(face)


__all__ = ["ToolSpec", "build_tools", "select_tools", "selection", "serve", "tools_table"]
