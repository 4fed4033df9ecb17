"""Where the network faces listen: the socket of ``apiary serve`` and
``apiary mcp --http``, bound before anything starts or is announced, so a
port out of range or in use is one clear ``AccessError`` (the command line
exits 2 with it) rather than a traceback, or a server that says it serves
and then stops."""

from __future__ import annotations

import os
import socket

from .._exceptions import AccessError

__all__ = ["PORTS", "listening_socket"]

# What a TCP port may be (0: one the system picks).
PORTS = range(0, 65536)
_BACKLOG = 1024


def listening_socket(bind: str, port: int) -> socket.socket:
    """A TCP socket listening on ``bind:port`` (the first address ``bind``
    resolves to); AccessError naming the address and the reason otherwise."""
    where = f"{bind}:{port}"
    if port not in PORTS:
        raise AccessError(f"cannot listen on {where}: port must be {PORTS.start} to {PORTS.stop - 1}")
    try:
        family, _, _, _, address = socket.getaddrinfo(
            bind or None, port, type=socket.SOCK_STREAM, flags=socket.AI_PASSIVE
        )[0]
        return socket.create_server(address[:2], family=family, backlog=_BACKLOG)
    except OSError as error:  # in use, not an address of this machine, unresolvable
        plain = bool(error.errno) and not isinstance(error, socket.gaierror)  # create_server adds to strerror
        reason = os.strerror(error.errno or 0) if plain else error.strerror or str(error)
        raise AccessError(f"cannot listen on {where}: {reason}") from None
