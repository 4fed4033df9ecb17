"""Who may talk to the host's network faces (``apiary serve``, ``apiary mcp --http``).

One policy for both: a bearer token from ``serve.token = { env = "VAR" }``
or ``APIARY_TOKEN``; without one, listening is allowed on loopback only;
tokens compared in constant time, the ``Bearer`` scheme in any case
(RFC 9110). The loopback rule holds twice: ``apiary serve`` and ``apiary
mcp --http`` refuse to start on another address, and the applications
themselves refuse (403) a client that is not on this machine when there is
no token, however they were started (gunicorn's ``create_app()``, another
ASGI server).
"""

from __future__ import annotations

import hmac
import ipaddress
import os
from functools import lru_cache

from .._config import HostConfig
from .._exceptions import AccessError

TOKEN_ENV = "APIARY_TOKEN"
LOOPBACK = ("127.0.0.1", "localhost", "::1")
LOOPBACK_ONLY = (
    f"this server has no token, so it serves clients on its own machine only: set {TOKEN_ENV} "
    "(or serve.token) on the server and send 'Authorization: Bearer <token>'"
)


def resolve_token(config: HostConfig) -> str | None:
    """The bearer token clients must send: ``serve.token``'s variable, else
    ``APIARY_TOKEN``; ``None`` when neither is set."""
    if config.serve.token is not None:
        name = config.serve.token["env"]
        value = os.environ.get(name)
        if not value:
            raise AccessError(f"serve.token names the environment variable {name}, which is not set")
        return value
    return os.environ.get(TOKEN_ENV) or None


def listening_token(config: HostConfig, bind: str) -> str | None:
    """The token for a face listening on ``bind``; refuses a non-loopback
    address when there is none, so nothing is ever open to the network."""
    token = resolve_token(config)
    if token is None and bind not in LOOPBACK:
        raise AccessError(
            f"refusing to listen on {bind} without a token: set {TOKEN_ENV} (or serve.token in the "
            "config) so clients must authenticate, or listen on 127.0.0.1"
        )
    return token


@lru_cache(maxsize=1024)
def is_loopback(peer: str | None) -> bool:
    """Whether a client address (``request.remote``, an ASGI ``client``
    host) is this machine: a loopback IPv4 or IPv6 address (IPv4-mapped
    too), or a Unix socket (no address). ``None`` (unknown) is not."""
    if peer is None:
        return False
    if peer == "":
        return True  # a Unix socket's peer: this machine
    try:
        address = ipaddress.ip_address(peer.split("%", 1)[0])
    except ValueError:
        return False
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        address = address.ipv4_mapped
    return address.is_loopback


def bearer_matches(authorization: str | bytes, token: bytes) -> bool:
    """Whether an ``Authorization`` header value carries ``token``."""
    if isinstance(authorization, str):
        authorization = authorization.encode("utf-8", "surrogateescape")
    scheme, _, credentials = authorization.partition(b" ")
    return hmac.compare_digest(credentials.strip(), token) and scheme.lower() == b"bearer"
