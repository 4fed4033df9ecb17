"""Apiary's generic HTTP integration ``http``: one action, ``request``.

The entry point names this package; its ``integration`` is the one
``handlers`` loads from the ``config.json`` beside it.
"""

from .handlers import integration

__all__ = ["integration"]
