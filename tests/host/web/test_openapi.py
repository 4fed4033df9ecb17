"""The HTTP face's pure parts: the status of each result, and the OpenAPI
document built from describe data."""

from __future__ import annotations

import pytest

from apiary._faces.outcomes import outcome_for
from apiary.web.openapi import openapi_document


@pytest.mark.parametrize(
    "kind, result, status",
    [
        ("action", {"data": {}}, 200),
        ("connected_account", {"email": None}, 200),
        ("validation_error", {"source": "input"}, 422),
        ("validation_error", {"source": "output"}, 502),
        ("action_error", {"message": "no such user"}, 424),
        ("error", {"error": "unknown_integration"}, 404),
        ("error", {"error": "unknown_action"}, 404),
        ("error", {"error": "unsupported"}, 404),
        ("error", {"error": "credentials_unavailable"}, 424),
        ("error", {"error": "integration_broken"}, 503),
        ("error", {"error": "upstream_error", "status": 404}, 502),
        ("error", {"error": "timeout"}, 504),
        ("error", {"error": "handler_error"}, 500),
    ],
)
def test_status_for_each_result(kind, result, status):
    assert outcome_for({"version": "2.0.0", "type": kind, "result": result}).http_status == status


RECURSIVE = {
    "id": "tree",
    "state": "discovered",
    "actions": [
        {
            "name": "get",
            "description": "Get a node\nwith its children",
            "input_schema": {"$schema": "http://json-schema.org/draft-07/schema#", "type": "object"},
            "output_schema": {
                "type": "object",
                "definitions": {
                    "node": {
                        "type": "object",
                        "properties": {"kids": {"type": "array", "items": {"$ref": "#/definitions/node"}}},
                    }
                },
                "properties": {"root": {"$ref": "#/definitions/node"}},
            },
        }
    ],
}


def test_one_operation_per_action_with_refs_rewritten_into_components():
    document = openapi_document([RECURSIVE, {"id": "gone", "state": "broken", "actions": [{"name": "x"}]}], "1.0")
    assert document["openapi"] == "3.1.0"
    operation = document["paths"]["/integrations/tree/actions/get"]["post"]
    assert operation["summary"] == "Get a node"
    assert "/integrations/gone/actions/x" not in document["paths"], "broken integrations are not offered"
    output = document["components"]["schemas"]["tree__get__output"]
    node_ref = output["definitions"]["node"]["properties"]["kids"]["items"]["$ref"]
    assert node_ref == "#/components/schemas/tree__get__output/definitions/node"
    assert "$schema" not in document["components"]["schemas"]["tree__get__input"]
    assert set(operation["responses"]) >= {"200", "400", "401", "404", "413", "422", "424", "500", "502", "503", "504"}
