"""JSON Schema validation: compiled once, with exactly jsonschema's Draft 7
verdicts (the reference SDK's), whatever engine answers first."""

import datetime
import decimal
from collections import OrderedDict

import jsonschema
import jsonschema_rs
import pytest

from autohive_integrations_sdk import ActionHandler, ActionResult, ExecutionContext, ResultType, _validation
from autohive_integrations_sdk.integration import ConfigurationError, ValidationError

from .conftest import VALID_AUTH


def reference_valid(schema, instance):
    return not list(jsonschema.Draft7Validator(schema).iter_errors(instance))


def register_echo(integration, name="greet"):
    """Register a handler that returns its input ``data`` as output."""

    @integration.action(name)
    class Echo(ActionHandler):
        async def execute(self, inputs, context):
            return ActionResult(data=inputs.get("data", {"greeting": "x"}))

    return Echo


# ---- compiled once -----------------------------------------------------------


@pytest.fixture
def fast_builds(monkeypatch):
    """Schemas handed to the fast engine's compiler, in order."""
    built = []
    real = jsonschema_rs.Draft7Validator

    def counting(schema, **kwargs):
        built.append(schema)
        return real(schema, **kwargs)

    monkeypatch.setattr(jsonschema_rs, "Draft7Validator", counting)
    return built


async def test_schemas_compiled_once_and_reused(integration, fast_builds):
    register_echo(integration)
    context = ExecutionContext(auth=VALID_AUTH)
    for name in ("a", "b", "c", "d", "e"):
        result = await integration.execute_action("greet", {"name": name}, context)
        assert result.type == ResultType.ACTION
    assert len(fast_builds) == 3, "input, auth and output schema, each compiled once"
    assert len(integration._schemas) == 3
    compiled = dict(integration._schemas)
    result = await integration.execute_action("greet", {}, context)  # a failing call too
    assert result.type == ResultType.VALIDATION_ERROR
    assert len(fast_builds) == 3
    assert integration._schemas.keys() == compiled.keys()
    for key, value in integration._schemas.items():
        assert value is compiled[key]
        assert isinstance(value, _validation.CompiledSchema)


async def test_compile_schemas_up_front(integration, fast_builds):
    integration.compile_schemas()
    assert len(fast_builds) == 5, "auth, the action's two schemas and the trigger's two"
    register_echo(integration)
    result = await integration.execute_action("greet", {"name": "x"}, ExecutionContext(auth=VALID_AUTH))
    assert result.type == ResultType.ACTION
    assert len(fast_builds) == 5


def test_compile_schemas_names_broken_trigger_schema(config_dict, make_integration):
    config_dict["polling_triggers"]["new_items"]["output_schema"] = {"type": "nope"}
    integration = make_integration(config_dict)
    with pytest.raises(ConfigurationError, match="'new_items'") as caught:
        integration.compile_schemas()
    assert "output_schema" in str(caught.value)


async def test_schemas_compiled_lazily(integration):
    assert integration._schemas == {}


async def test_each_integration_has_its_own_schemas(config_dict, make_integration):
    first, second = make_integration(config_dict), make_integration(config_dict)
    for integration in (first, second):
        register_echo(integration)
        await integration.execute_action("greet", {"name": "x"}, ExecutionContext(auth=VALID_AUTH))
    assert first._schemas.keys() == second._schemas.keys()
    assert all(first._schemas[key] is not second._schemas[key] for key in first._schemas)


# ---- invalid schemas ---------------------------------------------------------


async def test_a_schema_naming_an_unknown_type_is_configuration_error_naming_action(config_dict, make_integration):
    # jsonschema raises UnknownType on every instance: nothing could ever validate.
    config_dict["actions"]["greet"]["input_schema"] = {"type": "nope"}
    integration = make_integration(config_dict)
    register_echo(integration)
    with pytest.raises(ConfigurationError, match="'greet'") as caught:
        await integration.execute_action("greet", {"name": "x"}, ExecutionContext(auth=VALID_AUTH))
    assert "input_schema" in str(caught.value)


def reference_message(schema, instance):
    """The reference SDK's VALIDATION_ERROR message: Draft7Validator(schema)
    without check_schema, one line per error."""
    errors = sorted(jsonschema.Draft7Validator(schema).iter_errors(instance), key=lambda error: list(error.path))
    return "".join(f"{list(error.schema_path)}, {error.message},\n " for error in errors)


DRAFT3_PROPERTY = {"type": "object", "properties": {"name": {"type": "string", "required": False}}}
NOT_STRICTLY_DRAFT7 = [
    # (id, schema, instance): schemas the reference accepts though check_schema would not
    ("draft3-required-false-valid", DRAFT3_PROPERTY, {"name": "x"}),
    ("draft3-required-false-invalid", DRAFT3_PROPERTY, {"name": 5}),
    ("draft3-required-true", {"type": "object", "properties": {"name": {"type": "string", "required": True}}}, {}),
    ("required-a-string", {"type": "object", "required": "name"}, {"name": "x"}),
    ("negative-minLength", {"type": "object", "properties": {"name": {"type": "string", "minLength": -1}}},
     {"name": ""}),
    ("bad-pattern-not-reached", {"type": "object", "properties": {"n": {"type": "integer", "pattern": "(("}}},
     {"n": 5}),
]


@pytest.mark.parametrize("schema, instance", [case[1:] for case in NOT_STRICTLY_DRAFT7],
                         ids=[case[0] for case in NOT_STRICTLY_DRAFT7])
async def test_schema_not_strictly_draft7_validates_as_the_reference(config_dict, make_integration, schema, instance):
    config_dict["actions"]["greet"]["input_schema"] = schema
    integration = make_integration(config_dict)
    integration.compile_schemas()  # no ConfigurationError: the reference never checks the schema
    register_echo(integration)
    result = await integration.execute_action("greet", instance, ExecutionContext(auth=VALID_AUTH))
    expected = reference_message(schema, instance)
    if expected:
        assert result.type == ResultType.VALIDATION_ERROR
        assert result.result["message"] == expected
    else:
        assert result.type == ResultType.ACTION


async def test_auth_fields_with_a_draft3_required_false_validate_as_the_reference(config_dict, make_integration):
    # Seen in a public integration: a Draft 3 habit inside auth.fields.
    fields = {"type": "object", "required": ["api_key"],
              "properties": {"api_key": {"type": "string", "required": False}, "region": {"required": False}}}
    config_dict["auth"]["fields"] = fields
    integration = make_integration(config_dict)
    integration.compile_schemas()
    register_echo(integration)
    ok = await integration.execute_action("greet", {"name": "x"}, ExecutionContext(auth={"api_key": "k"}))
    assert ok.type == ResultType.ACTION
    missing = await integration.execute_action("greet", {"name": "x"}, ExecutionContext(auth={"region": "eu"}))
    assert missing.type == ResultType.VALIDATION_ERROR
    assert missing.result["message"] == reference_message(fields, {"region": "eu"})


async def test_a_schema_jsonschema_cannot_evaluate_is_configuration_error_naming_it(config_dict, make_integration):
    # The reference raises jsonschema's own TypeError here; ours names the schema.
    config_dict["actions"]["greet"]["input_schema"] = {"type": "object", "required": False}
    integration = make_integration(config_dict)
    register_echo(integration)
    with pytest.raises(ConfigurationError) as caught:
        await integration.execute_action("greet", {"name": "x"}, ExecutionContext(auth=VALID_AUTH))
    assert str(caught.value).startswith("The input_schema of action 'greet' cannot be evaluated: TypeError: ")


async def test_invalid_output_schema_is_configuration_error_naming_action(config_dict, make_integration):
    config_dict["actions"]["greet"]["output_schema"] = {"type": 12}
    integration = make_integration(config_dict)
    register_echo(integration)
    with pytest.raises(ConfigurationError, match="'greet'") as caught:
        await integration.execute_action("greet", {"name": "x"}, ExecutionContext(auth=VALID_AUTH))
    assert "output_schema" in str(caught.value)


def test_compile_schema_names_where():
    with pytest.raises(ConfigurationError, match="the thing"):
        _validation.compile_schema({"type": "nope"}, "the thing")


# ---- same verdicts as jsonschema Draft 7 -------------------------------------

CASES = [
    # (id, schema, instance)
    ("type-ok", {"type": "object", "properties": {"a": {"type": "integer"}}}, {"a": 1}),
    ("type-bad", {"type": "object", "properties": {"a": {"type": "integer"}}}, {"a": "1"}),
    ("integer-float-1.0", {"type": "integer"}, 1.0),
    ("integer-float-1.5", {"type": "integer"}, 1.5),
    ("bool-not-integer", {"type": "integer"}, True),
    ("bool-not-number", {"type": "number"}, False),
    ("big-int", {"type": "integer", "minimum": 0}, 2**70),
    ("big-int-over-max", {"maximum": 2**64}, 2**64 + 1),
    ("null", {"type": "null"}, None),
    ("required-missing", {"required": ["a", "b"]}, {"a": 1}),
    ("additional-props", {"properties": {"a": {}}, "additionalProperties": False}, {"a": 1, "b": 2}),
    ("enum-bool-vs-int", {"enum": [1, 2]}, True),
    ("enum-float-vs-int", {"enum": [1, 2]}, 1.0),
    ("const-false-vs-0", {"const": False}, 0),
    ("unique-1-true", {"uniqueItems": True}, [1, True]),
    ("unique-1-1.0", {"uniqueItems": True}, [1, 1.0]),
    ("unique-dicts", {"uniqueItems": True}, [{"a": 1}, {"a": 1}]),
    ("min-items", {"type": "array", "minItems": 2}, [1]),
    ("items-tuple-form", {"items": [{"type": "string"}, {"type": "integer"}]}, ["a", "b"]),
    ("min-length-emoji", {"type": "string", "minLength": 2}, "\U0001f600"),
    ("max-length-combining", {"type": "string", "maxLength": 1}, "e\u0301"),
    ("one-of", {"oneOf": [{"type": "string"}, {"maxLength": 3}]}, "ab"),
    ("any-of", {"anyOf": [{"type": "string"}, {"type": "integer"}]}, 1.5),
    ("not", {"not": {"type": "string"}}, "x"),
    ("if-then", {"if": {"properties": {"a": {"const": 1}}}, "then": {"required": ["b"]}}, {"a": 1}),
    ("dependencies", {"dependencies": {"a": ["b"]}}, {"a": 1}),
    ("property-names", {"propertyNames": {"maxLength": 2}}, {"abc": 1}),
    (
        "ref-definitions",
        {"definitions": {"s": {"type": "string"}}, "properties": {"a": {"$ref": "#/definitions/s"}}},
        {"a": 1},
    ),
    ("contains", {"contains": {"type": "integer"}}, ["a", "b"]),
    ("exclusive-maximum", {"exclusiveMaximum": 5}, 5),
    ("nan-is-number", {"type": "number"}, float("nan")),
    ("decimal-is-number", {"type": "number", "maximum": 1}, decimal.Decimal("1.5")),
    ("ordered-dict", {"type": "object", "required": ["a"]}, OrderedDict(b=1)),
    ("int-key", {"type": "object", "required": ["1"]}, {1: "a"}),
    # formats are annotations only, as with Draft7Validator's defaults
    ("format-email", {"type": "string", "format": "email"}, "not-an-email"),
    ("format-date-time", {"type": "string", "format": "date-time"}, "yesterday"),
    ("format-uri", {"type": "string", "format": "uri"}, "no scheme"),
    ("format-regex", {"type": "string", "format": "regex"}, "(("),
    ("content-media-type", {"type": "string", "contentMediaType": "application/json"}, "{not json"),
    ("content-encoding", {"type": "string", "contentEncoding": "base64"}, "!!!"),
    # patterns: jsonschema matches with Python's re, so Unicode classes
    ("pattern-ascii", {"type": "string", "pattern": "^\\d+$"}, "123"),
    ("pattern-arabic-indic-digits", {"type": "string", "pattern": "^\\d+$"}, "\u0661\u0662"),
    ("pattern-word-accented", {"type": "string", "pattern": "^\\w+$"}, "caf\u00e9"),
    ("pattern-dollar-before-newline", {"type": "string", "pattern": "^[a-z]+$"}, "abc\n"),
    ("pattern-search-not-match", {"type": "string", "pattern": "b"}, "abc"),
    ("pattern-inline-flag", {"type": "string", "pattern": "(?i)^abc$"}, "ABC"),
    ("pattern-not-digit-arabic", {"type": "string", "pattern": "^\\D+$"}, "\u0661\u0662"),
    ("pattern-not-word-accented", {"type": "string", "pattern": "^\\W+$"}, "\u00e9"),
    ("pattern-not-space-x1c", {"type": "string", "pattern": "^\\S+$"}, "\x1c"),
    ("pattern-space-bom", {"type": "string", "pattern": "^\\s+$"}, "\ufeff"),
    (
        "pattern-properties-not-digit",
        {"patternProperties": {"^\\D+$": {}}, "additionalProperties": False},
        {"\u0661": 1},
    ),
    # multipleOf on floats: jsonschema divides and checks the quotient is whole
    ("multiple-of-int", {"multipleOf": 3}, 9),
    ("multiple-of-0.5", {"multipleOf": 0.5}, 2.5),
    ("multiple-of-0.1", {"type": "number", "multipleOf": 0.1}, 0.3),
    ("multiple-of-0.01", {"type": "number", "multipleOf": 0.01}, 19.99),
    # Python values with no JSON form: jsonschema's verdict stands
    ("datetime-not-string", {"type": "string"}, datetime.datetime(2024, 1, 1)),
    ("datetime-unconstrained", {}, datetime.datetime(2024, 1, 1)),
    ("datetime-in-object", {"type": "object", "properties": {"at": {}}}, {"at": datetime.date(2024, 1, 1)}),
    ("set-not-array", {"type": "array"}, {1, 2}),
    ("bytes-not-string", {"type": "string"}, b"abc"),
]


@pytest.mark.parametrize("schema, instance", [case[1:] for case in CASES], ids=[case[0] for case in CASES])
def test_same_verdict_and_errors_as_jsonschema(schema, instance):
    errors = _validation.compile_schema(schema, "test schema").errors(instance)
    expected = sorted(jsonschema.Draft7Validator(schema).iter_errors(instance), key=lambda e: list(e.path))
    assert [error.message for error in errors] == [error.message for error in expected]


def test_fast_engine_disagrees_on_unicode_digits():
    """Guard for the test above: the fast engine alone rejects what
    jsonschema accepts, so our acceptance is the fallback working."""
    schema = {"type": "string", "pattern": "^\\d+$"}
    assert not jsonschema_rs.Draft7Validator(schema, validate_formats=False).is_valid("\u0661\u0662")
    assert reference_valid(schema, "\u0661\u0662")


async def test_unicode_digits_accepted_through_execute_action(config_dict, make_integration):
    config_dict["actions"]["greet"]["input_schema"]["properties"]["name"]["pattern"] = "^\\d+$"
    integration = make_integration(config_dict)
    register_echo(integration)
    result = await integration.execute_action("greet", {"name": "\u0661\u0662"}, ExecutionContext(auth=VALID_AUTH))
    assert result.type == ResultType.ACTION


def test_tuples_count_as_arrays():
    """The one deliberate difference from jsonschema: a tuple is an array
    (every face serialises it as one), so checking for tuples does not cost
    a walk over every output."""
    compiled = _validation.compile_schema({"type": "object", "properties": {"tags": {"type": "array"}}}, "test")
    assert compiled.errors({"tags": ("a", "b")}) == []
    assert not reference_valid({"type": "array"}, ("a", "b"))


async def test_tuple_output_accepted_as_array(config_dict, make_integration):
    config_dict["actions"]["greet"]["output_schema"] = {
        "type": "object",
        "properties": {"tags": {"type": "array"}},
    }
    integration = make_integration(config_dict)

    @integration.action("greet")
    class Tags(ActionHandler):
        async def execute(self, inputs, context):
            return ActionResult(data={"tags": ("a", "b")})

    result = await integration.execute_action("greet", {"name": "x"}, ExecutionContext(auth=VALID_AUTH))
    assert result.type == ResultType.ACTION
    assert result.result.data == {"tags": ("a", "b")}


async def test_datetime_output_falls_back_to_jsonschema(config_dict, make_integration):
    config_dict["actions"]["greet"]["output_schema"] = {
        "type": "object",
        "properties": {"at": {"type": "string"}},
    }
    integration = make_integration(config_dict)

    @integration.action("greet")
    class At(ActionHandler):
        async def execute(self, inputs, context):
            return ActionResult(data={"at": datetime.datetime(2024, 1, 1)})

    result = await integration.execute_action("greet", {"name": "x"}, ExecutionContext(auth=VALID_AUTH))
    assert result.type == ResultType.VALIDATION_ERROR
    assert "is not of type 'string'" in result.result["message"]
    assert result.result["property"] == "at"


# ---- check(): the ValidationError it raises ----------------------------------


def test_check_passes_valid_instance():
    compiled = _validation.compile_schema({"type": "object"}, "x")
    assert _validation.check(compiled, {}, source="input") is None


def test_check_error_fields():
    schema = {"type": "object", "properties": {"items": {"type": "array", "items": {"type": "integer"}}}}
    compiled = _validation.compile_schema(schema, "x")
    instance = {"items": [1, "two"]}
    with pytest.raises(ValidationError) as caught:
        _validation.check(compiled, instance, source="output")
    error = caught.value
    assert error.source == "output"
    assert error.schema == schema
    assert error.inputs == instance
    assert error.property == "items[1]"
    assert error.value == "two"
    assert error.message == str(error)
    assert error.message == "['properties', 'items', 'items', 'type'], 'two' is not of type 'integer',\n "


def test_check_nested_required_points_at_missing_property():
    schema = {"properties": {"user": {"required": ["email"]}}}
    compiled = _validation.compile_schema(schema, "x")
    with pytest.raises(ValidationError) as caught:
        _validation.check(compiled, {"user": {}}, source="input")
    assert caught.value.property == "user.email"
    assert caught.value.value is None


def test_check_secret_mode_hides_values():
    schema = {"type": "object", "properties": {"token": {"type": "string", "maxLength": 4}}}
    compiled = _validation.compile_schema(schema, "x")
    with pytest.raises(ValidationError) as caught:
        _validation.check(compiled, {"token": "SECRET-VALUE"}, source="input", secret=True)
    error = caught.value
    assert "SECRET-VALUE" not in error.message
    assert error.inputs is None and error.value is None
    assert error.property == "token"
    assert "maxLength" in error.message
