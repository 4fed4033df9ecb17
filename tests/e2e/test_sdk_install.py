"""``pip install ./sdk`` into a fresh virtual environment, then the seed's
"Typical usage" integration (one action doing ``context.fetch``) runs against
a local server, from outside this repository.

No network: the new environment borrows this one's third-party packages
through a ``.pth`` file, and pip installs the SDK itself with ``--no-deps``.
"""

from __future__ import annotations

import json
import subprocess
import textwrap
from pathlib import Path

from ._venv import fresh_venv, pip_install

REPO = Path(__file__).resolve().parents[2]

CONFIG = {
    "name": "typical",
    "version": "1.0.0",
    "description": "The typical usage of the SDK's core module",
    "actions": {
        "my_action": {
            "description": "Fetch a resource",
            "input_schema": {"type": "object", "properties": {"url": {"type": "string"}}, "required": ["url"]},
            "output_schema": {"type": "object"},
        }
    },
}

INTEGRATION = """
from autohive_integrations_sdk import Integration, ActionHandler, ActionResult, ExecutionContext

integration = Integration.load()

@integration.action("my_action")
class MyAction(ActionHandler):
    async def execute(self, inputs, context):
        response = await context.fetch(inputs["url"])
        return ActionResult(data=response.data)
"""

RUNNER = """
import asyncio, json, sys
sys.path.insert(0, sys.argv[1])
from aiohttp import web
from aiohttp.test_utils import TestServer
import autohive_integrations_sdk
from autohive_integrations_sdk import ExecutionContext
from typical import integration

async def main():
    app = web.Application()
    app.router.add_get("/resource", lambda request: web.json_response({"id": 7, "name": "thing"}))
    async with TestServer(app, host="127.0.0.1") as server:
        async with ExecutionContext() as context:
            result = await integration.execute_action(
                "my_action", {"url": str(server.make_url("/resource"))}, context
            )
    print(json.dumps({"type": result.type.value, "data": result.result.data,
                      "sdk": autohive_integrations_sdk.__file__}))

asyncio.run(main())
"""


def test_pip_install_sdk_then_typical_usage_runs(tmp_path):
    python = fresh_venv(tmp_path / "venv")
    pip_install(python, REPO / "sdk", cwd=tmp_path)
    package = tmp_path / "work" / "typical"
    package.mkdir(parents=True)
    (package / "config.json").write_text(json.dumps(CONFIG))
    (package / "typical.py").write_text(textwrap.dedent(INTEGRATION))
    runner = tmp_path / "work" / "run.py"
    runner.write_text(textwrap.dedent(RUNNER))

    completed = subprocess.run(
        [str(python), str(runner), str(package)], cwd=tmp_path / "work",
        check=True, capture_output=True, text=True, timeout=60,
    )
    outcome = json.loads(completed.stdout)
    assert outcome["type"] == "action"
    assert outcome["data"] == {"id": 7, "name": "thing"}
    assert outcome["sdk"].startswith(str(tmp_path / "venv")), "the SDK must come from the fresh install"
