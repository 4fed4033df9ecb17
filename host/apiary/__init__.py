"""Apiary: a host for many API integrations in one process."""

from ._version import __version__

__all__ = ["__version__"]
