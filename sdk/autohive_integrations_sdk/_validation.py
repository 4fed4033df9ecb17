"""JSON Schema validation, compiled once per schema, with Draft 7 semantics.

Two validators cooperate. ``jsonschema_rs`` (compiled, a few microseconds
per call) answers "is this valid?" on every call. Only when it says no do we
ask the pure-Python ``jsonschema`` for the errors, because integrations'
tests match its exact message text, and because it is the authority: if it
finds nothing wrong, the data is valid. So the fast path can only speed a
call up, never reject what the reference would accept.

The other direction, the fast engine accepting what jsonschema rejects, is
kept out by not using the fast engine for schemas where the two are known
to disagree (``_diverges``): regular expressions whose class escapes mean
ASCII-only sets in ECMA-262 but Unicode sets in Python, and fractional
``multipleOf``, where jsonschema's float arithmetic is stricter. One
difference is accepted on purpose: a tuple counts as an array.

Both are imported when first needed, not with the SDK: ``jsonschema`` costs
~130 ms to import and is needed only on a failure.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Iterator
from typing import TYPE_CHECKING, Any

from ._errors import ConfigurationError, ValidationError

if TYPE_CHECKING:
    import jsonschema


def _refuse_remote(uri: str) -> Any:
    raise ValueError(f"remote $ref {uri!r} is not fetched")


# Escapes whose sets differ between ECMA-262 (jsonschema_rs) and Python's re.
# \d and \w are only narrower in ECMA-262, which is harmless unless negated.
_ALWAYS_DIVERGENT = re.compile(r"\\[DWSsbB]")
_NARROWER = re.compile(r"\\[dw]")
# Keywords under which a narrower match can turn into a wider acceptance.
_INVERTING = ("not", "oneOf", "if", "patternProperties")


def _patterns_and_keywords(schema: Any) -> Iterator[tuple[str, Any]]:
    """Every (keyword, value) pair anywhere in ``schema``."""
    stack = [schema]
    while stack:
        node = stack.pop()
        if isinstance(node, dict):
            for key, value in node.items():
                yield key, value
                stack.append(value)
        elif isinstance(node, list):
            stack.extend(node)


def _diverges(schema: Any) -> bool:
    """Whether jsonschema_rs might accept an instance jsonschema rejects."""
    patterns: list[str] = []
    inverting = False
    for key, value in _patterns_and_keywords(schema):
        if key == "pattern" and isinstance(value, str):
            patterns.append(value)
        elif key == "patternProperties" and isinstance(value, dict):
            patterns.extend(str(name) for name in value)
        elif key == "multipleOf" and isinstance(value, float) and not value.is_integer():
            return True
        inverting = inverting or key in _INVERTING
    for pattern in patterns:
        if _ALWAYS_DIVERGENT.search(pattern):
            return True
        if _NARROWER.search(pattern) and (inverting or "[^" in pattern):
            return True
    return False


def _compile_fast(schema: Any) -> Any | None:
    import jsonschema_rs

    if _diverges(schema):
        return None
    try:
        return jsonschema_rs.Draft7Validator(schema, validate_formats=False, retriever=_refuse_remote)
    except Exception:  # unsupported by the fast engine, or not a valid schema
        return None


class CompiledSchema:
    """One JSON Schema, ready to validate many instances."""

    __slots__ = ("schema", "_fast", "_full")

    def __init__(self, schema: Any) -> None:
        self.schema = schema
        self._fast = _compile_fast(schema)
        self._full: jsonschema.Draft7Validator | None = None
        if self._fast is None:
            # A schema the fast engine must not or cannot run, or an invalid
            # one: the latter must fail now, loudly.
            self._full_validator().check_schema(schema)

    def _full_validator(self) -> jsonschema.Draft7Validator:
        if self._full is None:
            import jsonschema

            self._full = jsonschema.Draft7Validator(self.schema)
        return self._full

    def errors(self, instance: Any) -> list[jsonschema.ValidationError]:
        """The errors of ``instance``, sorted by location; empty when valid."""
        if self._fast is not None:
            try:
                if self._fast.is_valid(instance):
                    return []
            except (ValueError, TypeError, OverflowError):
                pass  # a Python value with no JSON equivalent: let jsonschema judge
        return sorted(self._full_validator().iter_errors(instance), key=lambda error: list(error.path))


def compile_schema(schema: Any, where: str) -> CompiledSchema:
    """Compile ``schema``; an invalid one raises ``ConfigurationError`` naming ``where``."""
    try:
        return CompiledSchema(schema)
    except Exception as error:
        reason = getattr(error, "message", None) or str(error)
        raise ConfigurationError(f"The {where} is not a valid JSON Schema: {reason}") from None


def _location(path: Iterable[Any]) -> str:
    text = ""
    for part in path:
        text += f"[{part}]" if isinstance(part, int) else (f".{part}" if text else str(part))
    return text


def _pointed_property(error: jsonschema.ValidationError) -> str | None:
    """Dotted path of the offending property; for a missing required
    property, the path of the property that is missing."""
    parts = list(error.path)
    if error.validator == "required" and isinstance(error.instance, dict):
        required = error.validator_value if isinstance(error.validator_value, list) else []
        missing = [name for name in required if name not in error.instance]
        if missing:  # one error per missing property, its name quoted first in the message
            parts.append(next((name for name in missing if error.message.startswith(repr(name))), missing[0]))
    return _location(parts) or None


def _secret_safe_message(error: jsonschema.ValidationError) -> str:
    """A message about auth that names fields and rules but no value."""
    if error.validator in ("required", "additionalProperties", "dependencies", "dependentRequired"):
        return error.message  # these name properties only
    where = _location(error.path) or "auth"
    return f"{where!r} does not satisfy {error.validator!r}: {error.validator_value!r}"


def check(
    compiled: CompiledSchema,
    instance: Any,
    *,
    source: str,
    secret: bool = False,
) -> None:
    """Raise ``ValidationError`` when ``instance`` fails ``compiled``.

    The message keeps the reference SDK's shape, one line per error:
    ``"<schema path>, <jsonschema message>,\\n "``. With ``secret`` (auth),
    messages name fields but never values, and the exception carries no data.
    """
    errors = compiled.errors(instance)
    if not errors:
        return
    describe: Callable[[Any], str] = _secret_safe_message if secret else (lambda error: error.message)
    message = "".join(f"{list(error.schema_path)}, {describe(error)},\n " for error in errors)
    listed = [{"property": _pointed_property(error), "message": describe(error)} for error in errors]
    first = errors[0]
    raise ValidationError(
        message,
        compiled.schema,
        None if secret else instance,
        source=source,
        property=_pointed_property(first),
        value=None if secret or first.validator == "required" else first.instance,
        errors=listed,
    )
