"""The stall one slow import causes: how long another integration's call, and
``GET /healthz``, wait while one integration's first import sleeps N s.

Two folder integrations are generated in a temp directory: ``quick`` (one
action answering at once) and ``sleepy`` (``time.sleep(N)`` at import, as a
heavy SDK or a slow disk would take). ``quick`` is called once first, so
only ``sleepy``'s import is in question. Then the first call to ``sleepy``
starts, and 0.05 s later (the due time) another call to ``quick`` (and, over
HTTP, a ``GET /healthz``) is sent. Its wait is the time from the due time to
its answer; the stall ratio is that wait over N: about 1.0 when the import
holds the event loop (every other caller waits it out), about 0.0 when it
does not.

Measured two ways, each in the same run:

  host   ``await host.call(...)`` on an entered ``Host`` in this process;
  serve  a real ``apiary serve`` subprocess (``python -c`` running
         ``apiary.cli.main``, so ``PYTHONPATH`` picks the code under test)
         and an aiohttp client in this process.

Runs against whatever ``apiary`` is importable, so the same script measures
the code before a change: ``PYTHONPATH=/tmp/before/host:/tmp/before/sdk
python bench/import_stall.py``. Every wait is bounded.

Usage: python bench/import_stall.py [--seconds N [N ...]]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import signal
import socket
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path

import aiohttp

DUE = 0.05  # seconds after the slow call starts that the other request is sent

PING = '''
from autohive_integrations_sdk import ActionHandler, ActionResult, Integration

integration = Integration.load()


@integration.action("ping")
class Ping(ActionHandler):
    async def execute(self, inputs, context):
        return ActionResult(data={"pong": True})
'''


def _config(name: str) -> str:
    action = {"description": "Answer pong", "input_schema": {"type": "object"}, "output_schema": {"type": "object"}}
    config = {"name": name, "version": "1.0.0", "description": f"import_stall {name}", "entry_point": "main.py",
              "actions": {"ping": action}}
    return json.dumps(config)


def write_folders(root: Path, seconds: float) -> tuple[str, str]:
    """A directory of two folder integrations; their ids (unique per round,
    so each round imports afresh)."""
    tag = uuid.uuid4().hex[:6]
    quick, sleepy = f"quick-{tag}", f"sleepy-{tag}"
    for name, code in ((quick, PING), (sleepy, f"import time\ntime.sleep({seconds})\n" + PING)):
        folder = root / name
        folder.mkdir(parents=True)
        (folder / "config.json").write_text(_config(name), encoding="utf-8")
        (folder / "main.py").write_text(code, encoding="utf-8")
    return quick, sleepy


async def measure_host(seconds: float, workdir: Path) -> float:
    """The other call's wait past its due time, on a Host in this process."""
    from apiary import FolderSource, Host, parse_config

    root = workdir / f"host-{uuid.uuid4().hex[:6]}"
    quick, sleepy = write_folders(root, seconds)
    config = parse_config({"logging": {"level": "warning"}})
    async with Host(config, sources=[FolderSource([root])], load_plugin_entry_points=False) as host:
        assert (await host.call(quick, "ping")).result.data == {"pong": True}
        started = time.perf_counter()
        slow = asyncio.ensure_future(host.call(sleepy, "ping"))
        await asyncio.sleep(DUE)
        due = started + DUE
        other = await host.call(quick, "ping")
        waited = time.perf_counter() - due
        assert other.result.data == {"pong": True}
        assert (await asyncio.wait_for(slow, seconds + 30)).result.data == {"pong": True}
    return waited


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


async def measure_serve(seconds: float, workdir: Path) -> tuple[float, float]:
    """(/healthz's wait, the other call's wait) past their due time, over HTTP."""
    root = workdir / f"serve-{uuid.uuid4().hex[:6]}"
    quick, sleepy = write_folders(root / "folders", seconds)
    config = root / "apiary.toml"
    config.write_text(f'[host]\nfolders = ["{root / "folders"}"]\n[logging]\nlevel = "warning"\n', encoding="utf-8")
    port = free_port()
    code = "import sys\nfrom apiary.cli import main\nsys.exit(main())\n"
    argv = [sys.executable, "-c", code, "serve", "--port", str(port), "--config", str(config)]
    env = {key: value for key, value in os.environ.items() if not key.startswith("APIARY_")}
    with open(root / "server.err", "wb") as err:
        server = subprocess.Popen(argv, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=err, env=env)
    base = f"http://127.0.0.1:{port}"
    try:
        async with aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=seconds + 60)) as client:
            await _wait_ready(client, base, server)
            await _call(client, base, quick)
            started = time.perf_counter()
            slow = asyncio.ensure_future(_call(client, base, sleepy))
            await asyncio.sleep(DUE)
            due = started + DUE

            async def health() -> float:
                async with client.get(base + "/healthz") as response:
                    assert response.status == 200
                return time.perf_counter() - due

            async def other() -> float:
                await _call(client, base, quick)
                return time.perf_counter() - due

            waits = await asyncio.gather(health(), other())
            await slow
            return waits[0], waits[1]
    finally:
        server.send_signal(signal.SIGTERM)
        try:
            server.wait(timeout=30)
        except subprocess.TimeoutExpired:
            server.kill()
            server.wait(timeout=10)


async def _wait_ready(client: aiohttp.ClientSession, base: str, server: subprocess.Popen[bytes]) -> None:
    for _ in range(600):
        if server.poll() is not None:
            raise RuntimeError(f"apiary serve exited with {server.returncode}")
        try:
            async with client.get(base + "/readyz") as response:
                if response.status == 200:
                    return
        except aiohttp.ClientError:
            pass
        await asyncio.sleep(0.05)
    raise RuntimeError("apiary serve was not ready within 30 s")


async def _call(client: aiohttp.ClientSession, base: str, integration: str) -> None:
    async with client.post(f"{base}/integrations/{integration}/actions/ping", json={"inputs": {}}) as response:
        body = await response.json()
        assert response.status == 200 and body["result"]["data"] == {"pong": True}, body


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--seconds", type=float, nargs="+", default=[2.0], help="import sleeps to measure")
    args = parser.parse_args()
    import apiary

    print(f"apiary from {Path(apiary.__file__).parent}")
    print(f"{'import s':>9} {'host: other call':>17} {'serve: /healthz':>16} {'serve: other call':>18}")
    with tempfile.TemporaryDirectory(prefix="import-stall-") as directory:
        for seconds in args.seconds:
            host_wait = await measure_host(seconds, Path(directory))
            health_wait, other_wait = await measure_serve(seconds, Path(directory))
            cells = [f"{wait:7.3f} s {wait / seconds:5.2f}x" for wait in (host_wait, health_wait, other_wait)]
            print(f"{seconds:>9.1f} {cells[0]:>17} {cells[1]:>16} {cells[2]:>18}")
    print("(each cell: the wait past the due time, and that wait as a ratio to the import time)")


if __name__ == "__main__":
    asyncio.run(main())
