"""``apiary serve`` survives handlers that raise ``SystemExit`` or
``KeyboardInterrupt``: each call answers 500 ``handler_error`` and the
server keeps serving (health, other calls, the same action again).

The integration is a folder made in the test's temporary directory, so no
shared fixture changes for it.
"""

from __future__ import annotations

import json
from pathlib import Path

import aiohttp

from ._serve import SHIPPED, disabled, start_serve

CONFIG_JSON = {
    "name": "quitter",
    "version": "1.0.0",
    "description": "handlers that try to end the process",
    "entry_point": "quitter.py",
    "actions": {
        name: {"description": name, "input_schema": {"type": "object"}, "output_schema": {"type": "object"}}
        for name in ("exit", "interrupt", "ok")
    },
}

CODE = '''
import os
import sys

from autohive_integrations_sdk import ActionHandler, ActionResult, Integration

quitter = Integration.load(os.path.join(os.path.dirname(__file__), "config.json"))


@quitter.action("exit")
class Exit(ActionHandler):
    async def execute(self, inputs, context):
        sys.exit(0)


@quitter.action("interrupt")
class Interrupt(ActionHandler):
    async def execute(self, inputs, context):
        raise KeyboardInterrupt


@quitter.action("ok")
class Ok(ActionHandler):
    async def execute(self, inputs, context):
        return ActionResult(data={"alive": True})
'''


async def test_a_handler_calling_sys_exit_does_not_stop_the_server(installed_plugins: Path, tmp_path: Path):
    folder = tmp_path / "folders" / "quitter"
    folder.mkdir(parents=True)
    (folder / "config.json").write_text(json.dumps(CONFIG_JSON), encoding="utf-8")
    (folder / "quitter.py").write_text(CODE, encoding="utf-8")
    config = tmp_path / "apiary.toml"
    config.write_text(
        f'[host]\nfolders = ["{tmp_path / "folders"}"]\n[logging]\nformat = "json"\n' + disabled(*SHIPPED),
        encoding="utf-8",
    )
    server = start_serve(installed_plugins, tmp_path, config=config)
    try:
        server.wait_ready()
        async with aiohttp.ClientSession(
            base_url=server.base_url, timeout=aiohttp.ClientTimeout(total=30)
        ) as client:
            for action in ("exit", "interrupt", "exit"):
                async with client.post(f"/integrations/quitter/actions/{action}", json={}) as response:
                    body = await response.json()
                    assert response.status == 500, body
                    assert body["result"]["error"] == "handler_error"
                    assert body["result"]["exception"] in ("SystemExit", "KeyboardInterrupt")
                assert server.running()
                async with client.get("/healthz") as response:
                    assert response.status == 200
            async with client.post("/integrations/quitter/actions/ok", json={}) as response:
                assert response.status == 200
                assert (await response.json())["result"]["data"] == {"alive": True}
        assert server.running()
        assert len(server.events("handler_raised")) == 3
    finally:
        server.stop()
