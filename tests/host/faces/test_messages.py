"""Validation errors as a person reads them, the same on every face:
``property 'limit': 'three' is not of type 'integer'``, one per error."""

from __future__ import annotations

import mcp_types as types

from apiary._faces.messages import validation_errors, validation_lines
from apiary.mcp.server import McpFace
from apiary.mcp.tools import build_tools


def test_lines_name_the_property_of_each_error():
    result = {
        "message": "...",
        "property": "limit",
        "source": "input",
        "errors": [
            {"property": "limit", "message": "'three' is not of type 'integer'"},
            {"property": None, "message": "'q' is a required property"},
        ],
    }
    assert validation_lines(result) == [
        "property 'limit': 'three' is not of type 'integer'",
        "the input: 'q' is a required property",
    ]


def test_a_result_without_the_list_is_read_from_its_reference_message():
    # As an SDK without the "errors" key (or a plugin's own result) gives it.
    result = {
        "message": "['properties', 'limit', 'type'], 'three' is not of type 'integer',\n "
        "['properties', 'q', 'minLength'], '' is too short,\n ",
        "property": "limit",
        "value": "three",
        "source": "input",
    }
    assert validation_errors(result) == [
        {"property": "limit", "message": "'three' is not of type 'integer'"},
        {"property": None, "message": "'' is too short"},
    ]
    assert validation_errors({"message": "Action 'x' not registered", "source": "legacy"}) == [
        {"property": None, "message": "Action 'x' not registered"}
    ]


async def test_mcp_lists_every_error(make_host):
    host = await make_host("echo")
    tools, _ = build_tools(host.registry)
    [tool] = [tool for tool in tools if tool.full_name == "echo.fetch_json"]
    answer = await McpFace(host, tools).call_tool(
        None, types.CallToolRequestParams(name=tool.name, arguments={"url": 5, "retries": "three"})
    )
    assert answer.is_error
    text = answer.content[0].text
    assert "property 'retries': 'three' is not of type 'integer'; property 'url': 5 is not of type 'string'" in text
    assert "Fix the arguments" in text
