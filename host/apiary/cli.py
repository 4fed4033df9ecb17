"""The ``apiary`` command line."""

from __future__ import annotations

import argparse
from typing import Optional, Sequence

from ._version import __version__


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="apiary", description="Run many API integrations in one process.")
    parser.add_argument("--version", action="version", version=f"apiary {__version__}")
    return parser


def main(argv: Optional[Sequence[str]] = None) -> int:
    """Entry point of the ``apiary`` console script."""
    _parser().parse_args(argv)
    print(f"apiary {__version__}")
    return 0
