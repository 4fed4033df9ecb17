"""The host config checked against what is installed: ``[integrations.<id>]``
for an id nothing provides, credential fields the integration does not
declare, MCP selection entries naming nothing; each problem names its key
and the close alternatives. ``Host.check`` (``apiary check``) reports them
first, as the ``(host config)`` report."""

from __future__ import annotations

import pytest

from apiary import Host, parse_config

from .._support import fixture_source


def config_report(data: dict):
    host = Host(parse_config(data), sources=[fixture_source("echo", "keyed")], load_plugin_entry_points=False)
    reports = [report for report in host.check() if report.id == "(host config)"]
    return reports[0] if reports else None


def problem_of(data: dict) -> str:
    report = config_report(data)
    assert report is not None and not report.ok
    [problem] = report.problems
    return problem


def test_a_sound_config_has_no_report():
    data = {
        "integrations": {
            "echo": {"call_timeout": 5},
            "keyed": {"accounts": {"default": {"auth_type": "Custom", "credentials": {"api_key": {"env": "K"}}}}},
        },
        "mcp": {"include": ["echo", "keyed.whoami"]},
    }
    assert config_report(data) is None


def test_a_disabled_installed_integration_is_not_a_mistake():
    assert config_report({"integrations": {"echo": {"enabled": False}}}) is None


def test_an_id_nothing_provides_is_named_with_the_close_one():
    problem = problem_of({"integrations": {"ekho": {"call_timeout": 5}}})
    assert problem.startswith("integrations.ekho: ")
    assert "no installed integration" in problem and "did you mean 'echo'?" in problem


def test_an_id_far_from_anything_lists_the_installed_ones():
    problem = problem_of({"integrations": {"zzz": {"enabled": False}}})
    assert problem.startswith("integrations.zzz: ") and "installed: echo, keyed" in problem


@pytest.mark.parametrize(
    "account, key",
    [
        ({"auth_type": "Custom", "credentials": {"api_kye": {"env": "K"}}}, "accounts.default.credentials.api_kye"),
        ({"api_kye": {"env": "K"}}, "accounts.default.api_kye"),
    ],
)
def test_an_undeclared_credential_field_is_named_with_the_declared_ones(account, key):
    problem = problem_of({"integrations": {"keyed": {"accounts": {"default": account}}}})
    assert problem.startswith(f"integrations.keyed.{key}: ")
    assert "did you mean 'api_key'?" in problem and "auth.fields" in problem
    assert "{'env'" not in problem  # the reference, let alone its value, is no part of the message


@pytest.mark.parametrize(
    "mcp, key, hint",
    [
        ({"include": ["echo", "echo.ecko"]}, "mcp.include[1]", "did you mean 'echo.echo'"),
        ({"exclude": ["kyed"]}, "mcp.exclude[0]", "did you mean 'keyed'?"),
    ],
)
def test_mcp_selection_entries_naming_nothing(mcp, key, hint):
    problem = problem_of({"mcp": mcp})
    assert problem.startswith(f"{key}: ") and hint in problem
