"""Every exception the host raises, under one base.

Our exception hierarchy::

    ApiaryError
     ├── ConfigError       the host configuration is invalid (names the key)
     ├── LoadError         an integration cannot be loaded, so it cannot serve (says why)
     ├── CredentialsError  credentials were asked for but cannot be produced
     ├── AccessError       a network face cannot start as asked (no token on a public address)
     ├── PackagingError    a folder integration cannot be built into a distribution
     ├── UsageError        bad command-line input (``apiary`` exits 2)
     └── RequestError      an HTTP request body is not what the endpoint takes (400)

None of these reaches the caller of ``Host.call``: the router turns load and
credential errors into results (see ``ErrorKind``), so a face meets them
only where a person must act: a config to fix, a flag to change, a server
that refuses to start. The SDK's own exceptions (``ValidationError``,
``HTTPError``...) are the integration's business and stay the SDK's.
"""

from __future__ import annotations

__all__ = [
    "AccessError",
    "ApiaryError",
    "ConfigError",
    "CredentialsError",
    "LoadError",
    "PackagingError",
    "RequestError",
    "UsageError",
]


class ApiaryError(Exception):
    """Base of every exception the host raises; the message is for a person."""


class ConfigError(ApiaryError):
    """The host configuration is invalid; the message names the key."""


class LoadError(ApiaryError):
    """The integration cannot serve; the message says why.

    Raised by the registry when an import fails, no ``Integration`` is found,
    a declared handler is missing or a schema does not compile. The record is
    marked broken with this message, and calls to it answer
    ``integration_broken``.
    """


class CredentialsError(ApiaryError):
    """Credentials were asked for but cannot be produced; says which and why."""


class AccessError(ApiaryError):
    """A network face cannot start as asked; the message says why."""


class PackagingError(ApiaryError):
    """The folder cannot be packaged; the message names the file and the fix."""


class UsageError(ApiaryError):
    """Bad command-line input; printed as ``apiary: error: ...`` with exit 2."""


class RequestError(ApiaryError):
    """An HTTP request body is not what the endpoint takes; answered with 400."""
