"""Where the network faces listen: the socket of ``apiary serve`` and
``apiary mcp --http``, bound before anything starts or is announced, so a
port out of range or in use is one clear ``AccessError`` (the command line
exits 2 with it) rather than a traceback, or a server that says it serves
and then stops. Bound, not listening: the server listens on it once it is
ready (its signal handlers installed), so a client that can connect can
count on a server that drains on SIGTERM."""

from __future__ import annotations

import os
import socket

from .._exceptions import AccessError

__all__ = ["PORTS", "bound_socket"]

# What a TCP port may be (0: one the system picks).
PORTS = range(0, 65536)


def bound_socket(bind: str, port: int) -> socket.socket:
    """A TCP socket bound to ``bind:port`` (the first address ``bind``
    resolves to), for the server to listen on; AccessError naming the
    address and the reason when it cannot be."""
    where = f"{bind}:{port}"
    if port not in PORTS:
        raise AccessError(f"cannot listen on {where}: port must be {PORTS.start} to {PORTS.stop - 1}")
    try:
        family, _, _, _, address = socket.getaddrinfo(
            bind or None, port, type=socket.SOCK_STREAM, flags=socket.AI_PASSIVE
        )[0]
        sock = socket.socket(family, socket.SOCK_STREAM)
    except OSError as error:  # unresolvable, or no such address family here
        raise AccessError(f"cannot listen on {where}: {error.strerror or error}") from None
    try:
        if os.name == "posix":  # as asyncio and socket.create_server: a port in TIME_WAIT is free
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind(address[:2])
    except OSError as error:  # in use, not an address of this machine
        sock.close()
        raise AccessError(f"cannot listen on {where}: {error.strerror or error}") from None
    return sock
