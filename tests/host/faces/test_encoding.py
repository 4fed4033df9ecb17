"""The faces' one JSON encoder."""

from __future__ import annotations

import json
import math

from apiary._faces.encoding import to_json


def test_compact_by_default_and_indented_when_pretty():
    assert to_json({"a": [1, 2]}) == '{"a": [1, 2]}'
    assert to_json({"a": [1, 2]}, pretty=True) == '{\n  "a": [\n    1,\n    2\n  ]\n}'


def test_non_finite_numbers_become_null_so_the_text_is_json():
    text = to_json({"nan": math.nan, "deep": [{"inf": math.inf}, -math.inf], "ok": 1.5})
    assert json.loads(text, parse_constant=lambda name: (_ for _ in ()).throw(ValueError(name))) == {
        "nan": None,
        "deep": [{"inf": None}, None],
        "ok": 1.5,
    }


def test_text_stays_readable_and_unknown_objects_become_text():
    class Thing:
        def __str__(self) -> str:
            return "a thing"

    assert to_json({"name": "Zoë ✓", "thing": Thing()}) == '{"name": "Zoë ✓", "thing": "a thing"}'
