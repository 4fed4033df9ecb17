"""Apiary's GitHub integration (entry point ``github = apiary_github``).

The integration and its handlers live in ``actions``; ``api`` holds the
request, error and pagination helpers, ``normalize`` the output shapes.
"""

from .actions import integration

__all__ = ["integration"]
