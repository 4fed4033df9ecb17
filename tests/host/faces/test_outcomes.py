"""The one table from results to each face's outcome, and the faces that use it."""

from __future__ import annotations

import pytest

from apiary import ErrorKind, result_to_dict
from apiary._calls.results import error_result, validation_result
from apiary._faces.outcomes import (
    EXIT_HOST_ERROR,
    OUTCOMES_BY_ERROR_KIND,
    OUTCOMES_BY_RESULT_TYPE,
    Outcome,
    exit_code_table,
    outcome_for,
)
from apiary.mcp.server import render_result
from apiary.mcp.tools import ToolSpec
from autohive_integrations_sdk import ActionError, ActionResult, ConnectedAccountInfo, IntegrationResult, ResultType

TOOL = ToolSpec("demo__act", "demo", "act", "Act", {"type": "object"}, None)


@pytest.mark.parametrize("kind", list(ErrorKind), ids=lambda kind: kind.value)
def test_every_error_kind_has_its_own_outcome(kind):
    """A new ErrorKind must be given an outcome here, or this fails: it can
    never silently become a 500."""
    assert kind in OUTCOMES_BY_ERROR_KIND
    outcome = outcome_for(result_to_dict(error_result(kind, "m")))
    assert outcome is OUTCOMES_BY_ERROR_KIND[kind]
    assert outcome.exit_code == EXIT_HOST_ERROR
    assert 400 <= outcome.http_status < 600


@pytest.mark.parametrize("result_type", list(ResultType), ids=lambda result_type: result_type.value)
def test_every_result_type_has_an_outcome(result_type):
    assert result_type.value in OUTCOMES_BY_RESULT_TYPE


def _version() -> str:
    from autohive_integrations_sdk import __version__

    return __version__


@pytest.mark.parametrize(
    "result, exit_code, status",
    [
        (IntegrationResult(_version(), ResultType.ACTION, ActionResult(data={})), 0, 200),
        (IntegrationResult(_version(), ResultType.CONNECTED_ACCOUNT, ConnectedAccountInfo()), 0, 200),
        (IntegrationResult(_version(), ResultType.ACTION_ERROR, ActionError(message="no")), 1, 424),
        (validation_result("bad", "input"), 3, 422),
        (validation_result("bad", "auth"), 3, 422),
        (validation_result("bad", "output"), 3, 502),
    ],
    ids=["action", "connected_account", "action_error", "input", "auth", "output"],
)
def test_results_outcomes(result, exit_code, status):
    outcome = outcome_for(result_to_dict(result))
    assert (outcome.exit_code, outcome.http_status) == (exit_code, status)


def test_an_error_kind_no_one_knows_answers_as_a_host_error():
    envelope = {"version": "2", "type": "error", "result": {"error": "from_the_future", "message": "m"}}
    assert outcome_for(envelope) == Outcome(EXIT_HOST_ERROR, 500, "")


@pytest.mark.parametrize("kind", list(ErrorKind), ids=lambda kind: kind.value)
def test_mcp_error_text_carries_the_tables_advice(kind):
    rendered = render_result(TOOL, error_result(kind, "the reason"))
    text = rendered.content[0].text
    assert rendered.is_error
    assert f"failed ({kind.value}): the reason." in text
    assert text.endswith(OUTCOMES_BY_ERROR_KIND[kind].mcp_advice)


def test_exit_codes_in_words_for_help():
    assert exit_code_table() == "0 result, 1 action error, 2 usage error, 3 validation error, 4 host error"
