"""The one JSON encoder of the faces: results, listings and errors as text.

Made once (``json.dumps`` with options builds a new encoder per call).
Unknown objects become their ``str``; NaN and infinities, which have no JSON
form, become ``null`` instead of the invalid ``NaN`` that ``json.dumps``
writes by default, so every body a face writes parses anywhere.
"""

from __future__ import annotations

import json
import math
from typing import Any

__all__ = ["to_json"]

_COMPACT = json.JSONEncoder(default=str, allow_nan=False, ensure_ascii=False)
_PRETTY = json.JSONEncoder(default=str, allow_nan=False, ensure_ascii=False, indent=2)


def _finite(value: Any) -> Any:
    """``value`` with NaN and infinities as null."""
    if isinstance(value, float) and not math.isfinite(value):
        return None
    if isinstance(value, dict):
        return {key: _finite(inner) for key, inner in value.items()}
    if isinstance(value, (list, tuple)):
        return [_finite(inner) for inner in value]
    return value


def to_json(data: Any, *, pretty: bool = False) -> str:
    """``data`` as JSON text: compact, or indented for a person (``pretty``)."""
    encoder = _PRETTY if pretty else _COMPACT
    try:
        return encoder.encode(data)
    except ValueError:  # NaN or an infinity somewhere: rare, so only then walk the data
        return encoder.encode(_finite(data))
