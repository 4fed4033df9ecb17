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

A schema that is not strictly valid Draft 7 (``"required": false`` inside a
property, a Draft 3 habit seen in public integrations) validates exactly as
the reference validates it: ``jsonschema.Draft7Validator(schema)`` without
``check_schema``. The fast engine refuses to compile such a schema, so it
always goes to jsonschema. Refused at compile time is only what nothing can
validate with: a schema that is neither an object nor a boolean, or a
``type`` naming no JSON type (jsonschema raises on every instance). When
jsonschema itself raises on an instance (``"required": false`` on an
object), the ``ConfigurationError`` names the schema. ``schema_problems``
lists every departure from Draft 7, for ``apiary check``'s warnings.

Both are imported when first needed, not with the SDK: ``jsonschema`` costs
~130 ms to import and is needed only on a failure.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Iterator, Mapping
from typing import TYPE_CHECKING, Any, NamedTuple

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


# Keywords whose value maps names to schemas or lists: in a path through a
# schema, the part after one of them is a name, not a keyword.
_NAMING = frozenset({"properties", "patternProperties", "definitions", "dependencies"})
# Where a wrong value makes jsonschema raise on every instance, not answer.
_UNUSABLE = frozenset({"type"})


class SchemaProblem(NamedTuple):
    """One way a schema departs from strict Draft 7."""

    pointer: str  # JSON pointer to the offending value, inside the schema ("" for the schema itself)
    keyword: str | None  # the keyword holding it; None for the schema itself
    message: str  # jsonschema's text


def schema_problems(schema: Any) -> list[SchemaProblem]:
    """Every error ``check_schema`` could raise for ``schema`` (it raises only
    the first), in document order; empty for a valid Draft 7 schema."""
    import jsonschema

    meta = jsonschema.Draft7Validator(
        jsonschema.Draft7Validator.META_SCHEMA, format_checker=jsonschema.Draft7Validator.FORMAT_CHECKER
    )
    errors = sorted(meta.iter_errors(schema), key=lambda error: [str(part) for part in error.absolute_path])
    return [SchemaProblem(_pointer(error.absolute_path), _keyword(error.absolute_path), error.message)
            for error in errors]


def _pointer(path: Iterable[Any]) -> str:
    return "".join("/" + str(part).replace("~", "~0").replace("/", "~1") for part in path)


def _keyword(path: Iterable[Any]) -> str | None:
    """The last keyword on ``path`` (skipping property names and indexes)."""
    keyword: str | None = None
    skip = False
    for part in path:
        if skip or isinstance(part, int):
            skip = False
            continue
        keyword = str(part)
        skip = keyword in _NAMING
    return keyword


def _refuse_unusable(schema: Any) -> None:
    """Raise for a schema nothing can validate with (see the module's docstring)."""
    if not isinstance(schema, (Mapping, bool)):
        raise ValueError(f"{schema!r} is not an object or a boolean")
    for problem in schema_problems(schema):
        if problem.keyword in _UNUSABLE:
            raise ValueError(f"{problem.message} (at {problem.pointer})")


class CompiledSchema:
    """One JSON Schema, ready to validate many instances."""

    __slots__ = ("schema", "where", "_fast", "_full")

    def __init__(self, schema: Any, where: str = "schema") -> None:
        self.schema = schema
        self.where = where
        self._fast = _compile_fast(schema)
        self._full: jsonschema.Draft7Validator | None = None
        if self._fast is None:
            # A schema the fast engine must not or cannot run (invalid Draft 7
            # among them): jsonschema runs it, as the reference does, unless
            # nothing could.
            _refuse_unusable(schema)

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
        try:
            return sorted(self._full_validator().iter_errors(instance), key=lambda error: list(error.path))
        except Exception as error:  # a schema that is not Draft 7, on an instance it cannot judge
            kind = type(error).__qualname__
            kind = kind if type(error).__module__ == "builtins" else f"{type(error).__module__}.{kind}"
            raise ConfigurationError(f"The {self.where} cannot be evaluated: {kind}: {error}") from None


def compile_schema(schema: Any, where: str) -> CompiledSchema:
    """Compile ``schema``; one nothing can validate with raises
    ``ConfigurationError`` naming ``where``."""
    try:
        return CompiledSchema(schema, where)
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
