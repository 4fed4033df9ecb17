"""One error model: every exception the host raises is an ``ApiaryError``,
drawn in ``apiary._exceptions``' docstring and exported from ``apiary``."""

from __future__ import annotations

import inspect

import pytest

import apiary
from apiary import _exceptions

CLASSES = [
    value for value in vars(_exceptions).values() if inspect.isclass(value) and issubclass(value, BaseException)
]


def test_every_exception_is_under_apiary_error():
    assert apiary.ApiaryError in CLASSES
    for cls in CLASSES:
        assert issubclass(cls, apiary.ApiaryError)


@pytest.mark.parametrize("cls", CLASSES, ids=lambda cls: cls.__name__)
def test_each_is_drawn_in_the_hierarchy_and_exported(cls):
    assert cls.__name__ in _exceptions.__doc__
    assert getattr(apiary, cls.__name__) is cls
    assert cls.__doc__


def test_no_other_exception_class_in_the_host():
    """Exceptions live in one module: a new one elsewhere is a second error model."""
    import pathlib

    root = pathlib.Path(apiary.__file__).parent
    offenders = [
        f"{path.relative_to(root)}: {line.strip()}"
        for path in root.rglob("*.py")
        if path.name != "_exceptions.py"
        for line in path.read_text(encoding="utf-8").splitlines()
        if line.startswith("class ") and ("Error(" in line or "Exception)" in line)
    ]
    assert offenders == []


def test_a_bad_config_is_a_config_error_naming_the_key():
    with pytest.raises(apiary.ApiaryError, match=r"pool\.limit"):
        apiary.parse_config({"pool": {"limit": 0}})
