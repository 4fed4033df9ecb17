"""Per-call cost of ``Integration.execute_action`` for an action doing no I/O.

Prints, from one run in one process:
  - the direct handler call (``await Handler().execute(inputs, context)``),
  - ``execute_action`` (lookup, input + auth + output validation, result),
  - the reference SDK's validation pattern (a jsonschema Draft7Validator built
    and run per call, for inputs and outputs), for scale,
and the overhead of ``execute_action`` over the direct call.

Usage: python bench/sdk_dispatch.py [--calls N]
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import time

from autohive_integrations_sdk import ActionHandler, ActionResult, ExecutionContext, Integration
from autohive_integrations_sdk._config import parse_config

INPUT_SCHEMA = {
    "type": "object",
    "properties": {
        "owner": {"type": "string", "minLength": 1},
        "repo": {"type": "string", "minLength": 1},
        "state": {"type": "string", "enum": ["open", "closed", "all"]},
        "labels": {"type": "array", "items": {"type": "string"}},
        "per_page": {"type": "integer", "minimum": 1, "maximum": 100},
        "filter": {
            "type": "object",
            "properties": {"since": {"type": "string", "format": "date-time"}, "assignee": {"type": "string"}},
        },
    },
    "required": ["owner", "repo"],
    "additionalProperties": False,
}
OUTPUT_SCHEMA = {
    "type": "object",
    "properties": {
        "issues": {
            "type": "array",
            "items": {
                "type": "object",
                "properties": {
                    "id": {"type": "integer"},
                    "title": {"type": "string"},
                    "state": {"type": "string", "enum": ["open", "closed"]},
                    "user": {"type": "object", "properties": {"login": {"type": "string"}}, "required": ["login"]},
                    "labels": {"type": "array", "items": {"type": "string"}},
                },
                "required": ["id", "title", "state"],
            },
        },
        "total": {"type": "integer"},
    },
    "required": ["issues", "total"],
}
AUTH_FIELDS = {"type": "object", "properties": {"token": {"type": "string"}}, "required": ["token"]}

INPUTS = {
    "owner": "octocat",
    "repo": "hello-world",
    "state": "open",
    "labels": ["bug", "ui"],
    "per_page": 30,
    "filter": {"since": "2026-01-01T00:00:00Z", "assignee": "me"},
}
OUTPUT = {
    "issues": [
        {"id": n, "title": f"Issue {n}", "state": "open", "user": {"login": "octocat"}, "labels": ["bug"]}
        for n in range(5)
    ],
    "total": 5,
}

integration = Integration(
    parse_config(
        {
            "name": "bench",
            "version": "1.0.0",
            "description": "benchmark",
            "auth": {"type": "custom", "fields": AUTH_FIELDS},
            "actions": {
                "list_issues": {
                    "description": "List issues",
                    "input_schema": INPUT_SCHEMA,
                    "output_schema": OUTPUT_SCHEMA,
                }
            },
        }
    )
)


@integration.action("list_issues")
class ListIssues(ActionHandler):
    async def execute(self, inputs, context):
        return ActionResult(data=OUTPUT)


async def _direct(context: ExecutionContext, calls: int) -> float:
    started = time.perf_counter()
    for _ in range(calls):
        await ListIssues().execute(INPUTS, context)
    return (time.perf_counter() - started) / calls


async def _execute_action(context: ExecutionContext, calls: int) -> float:
    started = time.perf_counter()
    for _ in range(calls):
        result = await integration.execute_action("list_issues", INPUTS, context)
    assert result.type.value == "action", result
    return (time.perf_counter() - started) / calls


async def _reference_pattern(context: ExecutionContext, calls: int) -> float:
    from jsonschema import Draft7Validator

    started = time.perf_counter()
    for _ in range(calls):
        assert not list(Draft7Validator(INPUT_SCHEMA).iter_errors(INPUTS))
        assert not list(Draft7Validator(AUTH_FIELDS).iter_errors(context.auth))
        data = (await ListIssues().execute(INPUTS, context)).data
        assert not list(Draft7Validator(OUTPUT_SCHEMA).iter_errors(data))
    return (time.perf_counter() - started) / calls


async def main(calls: int, rounds: int) -> None:
    context = ExecutionContext(auth={"token": "t"})
    runs = {"direct": _direct, "execute_action": _execute_action}
    for run in runs.values():  # warm up: compile schemas, fill caches
        await run(context, 200)
    best = {name: min([await run(context, calls) for _ in range(rounds)]) for name, run in runs.items()}
    reference = statistics.median([await _reference_pattern(context, max(calls // 20, 50)) for _ in range(3)])

    direct, dispatch = best["direct"] * 1e6, best["execute_action"] * 1e6
    print(f"calls per round: {calls}, rounds: {rounds} (best round reported)")
    print(f"direct handler call:          {direct:8.2f} us/call")
    print(f"execute_action:               {dispatch:8.2f} us/call")
    print(f"overhead of execute_action:   {dispatch - direct:8.2f} us/call (budget 40 us)")
    print(f"reference validation pattern: {reference * 1e6:8.2f} us/call "
          f"({reference * 1e6 / dispatch:.1f}x execute_action)")


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--calls", type=int, default=20000)
    parser.add_argument("--rounds", type=int, default=5)
    arguments = parser.parse_args()
    asyncio.run(main(arguments.calls, arguments.rounds))
