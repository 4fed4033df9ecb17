"""``apiary check``'s engine: every problem of every integration, named."""

from __future__ import annotations

from apiary._loading.checks import check_all, check_record
from apiary._loading.registry import Registry

from .._support import PING_CODE, StaticSource, fixture_discovered, fixture_source, simple_config


def report_of(registry, integration_id):
    [report] = [report for report in check_all(registry) if report.id == integration_id]
    return report


def test_healthy_integrations_pass():
    registry = Registry([fixture_source("echo", "keyed")])
    reports = check_all(registry)
    assert [(report.id, report.ok, report.problems) for report in reports] == [("echo", True, []), ("keyed", True, [])]


def test_missing_handler_is_named():
    report = report_of(Registry([fixture_source("nohandler")]), "nohandler")
    assert not report.ok
    assert any("no handler" in problem and "'forgotten'" in problem for problem in report.problems)


def test_import_failure_is_named():
    report = report_of(Registry([fixture_source("broken")]), "broken")
    assert not report.ok
    assert any("ImportError" in problem for problem in report.problems)


def test_config_json_against_the_published_schema(make_package):
    config = simple_config(
        version="one",
        actions={
            "ping": {"input_schema": {"type": "object"}, "output_schema": {"type": "object"}},
            "bad name!": {"description": "x", "input_schema": {"type": "object"}, "output_schema": {}},
        },
    )
    del config["description"]
    module = make_package.make(config, PING_CODE)
    report = report_of(Registry([StaticSource([make_package.discovered("cfg", module)])]), "cfg")
    assert not report.ok
    problems = "\n".join(report.problems)
    assert "'description' is a required property" in problems
    assert "config.json version:" in problems
    assert "config.json actions/ping: 'description' is a required property" in problems
    assert "bad name!" in problems


def test_schema_that_is_not_valid_draft7_is_a_warning_naming_file_pointer_and_keyword(make_package):
    # The reference SDK validates with such schemas (it never checks them): a warning, not a failure.
    config = simple_config(
        actions={
            "ping": {
                "description": "bad schemas",
                "input_schema": {"type": "object", "properties": {"n": {"type": "integer", "minimum": "zero"}}},
                "output_schema": {"type": "object", "required": "n"},
            }
        }
    )
    module = make_package.make(config, PING_CODE)
    discovered = make_package.discovered("draft", module)
    report = report_of(Registry([StaticSource([discovered])]), "draft")
    assert report.ok, report.problems
    assert report.problems == []
    where = discovered.config_path
    assert report.warnings == [
        f"{where}: /actions/ping/input_schema/properties/n/minimum: 'minimum' is not valid Draft 7 "
        "('zero' is not of type 'number'); validated as the reference SDK does, without checking the schema",
        f"{where}: /actions/ping/output_schema/required: 'required' is not valid Draft 7 "
        "('n' is not of type 'array'); validated as the reference SDK does, without checking the schema",
    ]


def test_auth_fields_schema_is_checked(make_package):
    config = simple_config(auth={"type": "custom", "fields": {
        "type": "object", "properties": {"api_key": {"type": "string", "required": False}}}})
    module = make_package.make(config, PING_CODE)
    report = report_of(Registry([StaticSource([make_package.discovered("authf", module)])]), "authf")
    assert report.ok, report.problems
    [warning] = report.warnings
    assert warning.endswith(": /auth/fields/properties/api_key/required: 'required' is not valid Draft 7 "
                            "(False is not of type 'array'); validated as the reference SDK does, "
                            "without checking the schema")


def test_a_schema_nothing_can_validate_with_is_still_a_failure(make_package):
    config = simple_config(actions={"ping": {"description": "x", "input_schema": {"type": "objekt"}}})
    module = make_package.make(config, PING_CODE)
    report = report_of(Registry([StaticSource([make_package.discovered("unusable", module)])]), "unusable")
    assert not report.ok
    assert any("not a valid JSON Schema" in problem and "'objekt'" in problem for problem in report.problems)


def test_unreadable_config_json_is_reported(make_package):
    module = make_package.make("not json at all", PING_CODE)
    report = report_of(Registry([StaticSource([make_package.discovered("unread", module)])]), "unread")
    assert not report.ok
    assert any("is not valid JSON" in problem for problem in report.problems)


def test_duplicates_are_both_reported():
    registry = Registry(
        [StaticSource([fixture_discovered("dup-a", as_id="dup"), fixture_discovered("dup-b", as_id="dup")])]
    )
    reports = [report for report in check_all(registry) if report.id == "dup"]
    assert len(reports) == 2
    assert all(not report.ok and "claimed by 2" in report.problems[0] for report in reports)


def test_one_bad_integration_does_not_hide_the_next():
    registry = Registry([fixture_source("broken", "echo", "nohandler", "keyed")])
    assert {report.id: report.ok for report in check_all(registry)} == {
        "broken": False,
        "echo": True,
        "keyed": True,
        "nohandler": False,
    }
    # Checking leaves healthy records loaded and usable.
    assert registry.get("echo").state.value == "loaded"
    assert check_record(registry, registry.get("echo")).ok
