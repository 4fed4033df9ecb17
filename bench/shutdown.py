"""Seconds ``apiary serve`` takes to exit on SIGTERM with a call in flight
that outlives the grace period, as a ratio to the grace period.

The server is the real console script (``apiary`` beside ``sys.executable``)
started as a user would, with a config file setting ``serve.grace_period``
and a call timeout far beyond it. The call is the shipped ``http``
integration's ``request`` action fetching ``/slow`` from a local upstream on
127.0.0.1 (an aiohttp server in this process) that never answers. Once the
upstream holds the request, SIGTERM goes to the server; the time until the
process has exited is measured, and the ratio exit-time/grace printed (the
goal: 1 plus a small bound, not 2). Beside it, for the same run:

* the shutdown of an idle server (no call in flight), the baseline: what
  exiting costs at all;
* what ``GET /readyz`` answered 0.2 s after the signal (a fresh connection);
* what the client of the call in flight got (a status and error kind, or the
  connection error).

To measure other code with the same script (e.g. the base commit), put its
``host`` and ``sdk`` folders first on PYTHONPATH: the server subprocess then
imports that code; the first line printed names the ``apiary`` package in
use.

Usage: python bench/shutdown.py [--grace 3 8] [--rounds 1]
"""

from __future__ import annotations

import argparse
import asyncio
import os
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import aiohttp
from aiohttp import web

APIARY = Path(sys.executable).parent / "apiary"
CALL_PATH = "/integrations/http/actions/request"


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


class SlowUpstream:
    """An HTTP server on 127.0.0.1 whose ``/slow`` never answers."""

    def __init__(self) -> None:
        self.arrived = 0
        self.runner: web.AppRunner | None = None
        self.port = 0

    async def start(self) -> None:
        async def slow(request: web.Request) -> web.Response:
            self.arrived += 1
            await asyncio.sleep(3600)
            return web.Response(text="too late")

        app = web.Application()
        app.router.add_get("/slow", slow)
        self.runner = web.AppRunner(app, access_log=None, handle_signals=False, shutdown_timeout=0.1)
        await self.runner.setup()
        site = web.TCPSite(self.runner, "127.0.0.1", 0)
        await site.start()
        self.port = self.runner.addresses[0][1]

    async def close(self) -> None:
        if self.runner is not None:
            await self.runner.cleanup()


class Server:
    """``apiary serve`` on a free port with a config of its own."""

    def __init__(self, workdir: Path, grace: float) -> None:
        self.port = _free_port()
        self.base = f"http://127.0.0.1:{self.port}"
        config = workdir / f"apiary-{self.port}.toml"
        config.write_text(
            '[logging]\nformat = "json"\nlevel = "warning"\n'
            f"[host]\ncall_timeout = {grace * 10 + 60}\n"
            f"[serve]\ngrace_period = {grace}\n",
            encoding="utf-8",
        )
        self.log = workdir / f"apiary-{self.port}.err"
        with open(self.log, "wb") as err:
            self.process = subprocess.Popen(
                [str(APIARY), "serve", "--port", str(self.port), "--config", str(config)],
                stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=err,
            )

    async def ready(self, session: aiohttp.ClientSession) -> None:
        for _ in range(600):
            if self.process.poll() is not None:
                raise SystemExit(f"apiary serve exited with {self.process.returncode}:\n{self.log.read_text()}")
            try:
                async with session.get(self.base + "/readyz") as response:
                    if response.status == 200:
                        return
            except aiohttp.ClientError:
                pass
            await asyncio.sleep(0.05)
        raise SystemExit("apiary serve was not ready after 30 s")

    async def exited(self, bound: float) -> float:
        """Seconds until the process exits (bounded; killed past ``bound``)."""
        started = time.monotonic()
        while self.process.poll() is None:
            if time.monotonic() - started > bound:
                self.process.kill()
                self.process.wait()
                return float("inf")
            await asyncio.sleep(0.005)
        return time.monotonic() - started


async def _readyz(base: str) -> str:
    try:
        async with aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=2)) as session:
            async with session.get(base + "/readyz") as response:
                body = await response.json(content_type=None)
                message = body["result"].get("message", "") if isinstance(body.get("result"), dict) else ""
                return f"{response.status} {message[:22]}".strip()
    except (aiohttp.ClientError, TimeoutError) as error:
        return f"no answer ({type(error).__name__})"


async def _call(session: aiohttp.ClientSession, base: str, upstream: int) -> str:
    body = {"inputs": {"method": "GET", "url": f"http://127.0.0.1:{upstream}/slow"}}
    try:
        async with session.post(base + CALL_PATH, json=body) as response:
            answer = await response.json(content_type=None)
            return f"{response.status} {answer['result'].get('error', answer['type'])}"
    except (aiohttp.ClientError, TimeoutError) as error:
        return f"connection error ({type(error).__name__})"


async def shutdown_idle(workdir: Path) -> float:
    server = Server(workdir, 3)
    async with aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=5)) as session:
        await server.ready(session)
    server.process.send_signal(signal.SIGTERM)
    return await server.exited(60)


async def shutdown_with_call(workdir: Path, grace: float, upstream: SlowUpstream) -> tuple[float, str, str]:
    server = Server(workdir, grace)
    timeout = aiohttp.ClientTimeout(total=grace * 4 + 60)
    async with aiohttp.ClientSession(timeout=timeout) as session:
        await server.ready(session)
        before = upstream.arrived
        call = asyncio.create_task(_call(session, server.base, upstream.port))
        for _ in range(1000):
            if upstream.arrived > before:
                break
            await asyncio.sleep(0.01)
        else:
            raise SystemExit(f"the call never reached the upstream:\n{server.log.read_text()}")
        server.process.send_signal(signal.SIGTERM)
        exiting = asyncio.create_task(server.exited(grace * 4 + 60))
        await asyncio.sleep(0.2)
        readyz = await _readyz(server.base)
        seconds = await exiting
        got = await asyncio.wait_for(call, 10)
    return seconds, readyz, got


def _code_in_use() -> str:
    found = subprocess.run(
        [sys.executable, "-c", "import apiary; print(apiary.__file__)"], capture_output=True, text=True, check=True
    )
    return str(Path(found.stdout.strip()).parents[1])


async def main(args: argparse.Namespace) -> None:
    print(f"apiary serve from {_code_in_use()}; Python {sys.version.split()[0]}")
    upstream = SlowUpstream()
    await upstream.start()
    try:
        with tempfile.TemporaryDirectory(prefix="apiary-bench-shutdown-") as tmp:
            workdir = Path(tmp)
            idle = statistics.median([await shutdown_idle(workdir) for _ in range(args.rounds)])
            header = f"{'grace':>6}  {'exit (s)':>8}  {'exit/grace':>10}  {'/readyz after SIGTERM':<30}"
            print(f"\n{header}  the call in flight got")
            print(f"{'idle':>6}  {idle:8.2f}  {'-':>10}  {'-':<30}  (no call)")
            for grace in args.grace:
                rows = [await shutdown_with_call(workdir, grace, upstream) for _ in range(args.rounds)]
                seconds = statistics.median(row[0] for row in rows)
                readyz, got = rows[-1][1], rows[-1][2]
                print(f"{grace:>5g}s  {seconds:8.2f}  {seconds / grace:10.2f}  {readyz:<30}  {got}")
    finally:
        await upstream.close()


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--grace", type=float, nargs="+", default=[3.0, 8.0], help="grace periods to measure (s)")
    parser.add_argument("--rounds", type=int, default=1, help="rounds per grace period (the median is printed)")
    os.environ.pop("APIARY_CONFIG", None)
    os.environ.pop("APIARY_TOKEN", None)
    asyncio.run(main(parser.parse_args()))
