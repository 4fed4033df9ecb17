"""How long one integration's call waits while another fans out.

Integration ``fanout`` runs 10 calls at once, each fetching 25 URLs at once
(250 requests) from a slow local upstream (every answer takes ``--delay``
seconds); integration ``bystander`` then makes one call of one request. Its
latency is printed as a ratio to its latency on an idle host, measured in the
same run: 1.0x means the fan-out cost it nothing.

Two layouts of the upstream, both on loopback addresses of this machine:

  same host    the fan-out and the bystander call the same upstream host
               (127.0.0.1): on a pool shared by every integration they share
               its per-host limit (20);
  other hosts  the fan-out spreads over 127.0.0.2-127.0.0.6, the bystander
               calls an address it has no idle connection to yet
               (127.0.0.7, .8...): on a shared pool the fan-out can hold
               every connection of the pool's total (100 by default then).

The host runs on its default configuration, so the same script measures the
code before and after a change: run it on another checkout with
``PYTHONPATH=<checkout>/host:<checkout>/sdk python bench/bulkhead_share.py``.
Printed per layout: the bystander's unloaded and loaded latency, their ratio,
and how long the fan-out took (a per-integration share of connections makes
the fan-out itself slower when it could otherwise take the whole pool).

Usage: python bench/bulkhead_share.py [--delay SECONDS] [--rounds N]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import statistics
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from aiohttp import web

CALLS, FAN_OUT = 10, 25
FANOUT_HOSTS = [f"127.0.0.{n}" for n in range(2, 7)]

CODE = '''
import asyncio

from autohive_integrations_sdk import ActionHandler, ActionResult, Integration

integration = Integration.load()


@integration.action("fetch_all")
class FetchAll(ActionHandler):
    async def execute(self, inputs, context):
        responses = await asyncio.gather(*(context.fetch(url) for url in inputs["urls"]))
        return ActionResult(data={"fetched": len(responses)})
'''

CONFIG = {
    "name": "bench",
    "version": "1.0.0",
    "description": "fetches URLs",
    "actions": {
        "fetch_all": {
            "description": "Fetch every URL at once",
            "input_schema": {"type": "object", "properties": {"urls": {"type": "array"}}, "required": ["urls"]},
            "output_schema": {"type": "object"},
        }
    },
}


class Upstream:
    """A slow JSON API on several loopback addresses; counts requests in flight."""

    def __init__(self, delay: float) -> None:
        self.delay = delay
        self.in_flight = 0
        self.ports: dict[str, int] = {}
        self._runner: web.AppRunner | None = None

    async def start(self, addresses: list[str]) -> None:
        async def slow(request: web.Request) -> web.Response:
            self.in_flight += 1
            try:
                await asyncio.sleep(self.delay)
            finally:
                self.in_flight -= 1
            return web.json_response({"ok": True})

        app = web.Application()
        app.router.add_get("/slow", slow)
        self._runner = web.AppRunner(app, access_log=None)
        await self._runner.setup()
        for address in addresses:
            site = web.TCPSite(self._runner, address, 0)
            await site.start()
            server = site._server
            assert server is not None and server.sockets
            self.ports[address] = server.sockets[0].getsockname()[1]

    def url(self, address: str) -> str:
        return f"http://{address}:{self.ports[address]}/slow"

    async def close(self) -> None:
        if self._runner is not None:
            await self._runner.cleanup()


class Source:
    """The two bench integrations as discovery records."""

    def __init__(self, root: Path, modules: dict[str, str]) -> None:
        self.root, self.modules = root, modules

    def discover(self) -> Iterator[Any]:
        from apiary import Discovered

        for integration_id, module in self.modules.items():
            yield Discovered(
                id=integration_id,
                module=module,
                attribute=None,
                source="bench",
                config_path=self.root / module / "config.json",
            )


def write_packages(root: Path) -> dict[str, str]:
    modules = {}
    for integration_id in ("fanout", "bystander"):
        module = f"bench_share_{integration_id}"
        (root / module).mkdir()
        (root / module / "config.json").write_text(json.dumps({**CONFIG, "name": integration_id}), "utf-8")
        (root / module / "__init__.py").write_text(CODE, "utf-8")
        modules[integration_id] = module
    sys.path.insert(0, str(root))
    return modules


async def bystander_call(host: Any, url: str) -> float:
    started = time.perf_counter()
    result = await host.call("bystander", "fetch_all", {"urls": [url]})
    seconds = time.perf_counter() - started
    if result.type.value != "action":
        raise RuntimeError(f"the bystander's call failed: {result.result}")
    return seconds


async def loaded_round(host: Any, upstream: Upstream, fan_urls: list[str], url: str) -> tuple[float, float]:
    """The bystander's latency while the fan-out holds what it can; and the fan-out's duration."""
    started = time.perf_counter()
    fan = [
        asyncio.create_task(host.call("fanout", "fetch_all", {"urls": fan_urls[i::CALLS]})) for i in range(CALLS)
    ]
    for _ in range(1000):  # bounded: until the fan-out's requests reach the upstream
        if upstream.in_flight >= 20:
            break
        await asyncio.sleep(0.005)
    await asyncio.sleep(0.05)  # and the rest queue up behind them
    waited = await bystander_call(host, url)
    results = await asyncio.wait_for(asyncio.gather(*fan), timeout=120)
    if any(result.type.value != "action" for result in results):
        raise RuntimeError(f"a fan-out call failed: {[r.result for r in results if r.type.value != 'action']}")
    return waited, time.perf_counter() - started


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--delay", type=float, default=0.25, help="seconds the upstream takes to answer")
    parser.add_argument("--rounds", type=int, default=2, help="loaded rounds per layout (median reported)")
    args = parser.parse_args()

    import apiary
    from apiary import Host, LoggingConfig, parse_config
    from apiary._observe import logs

    logs.configure(LoggingConfig(format="json", level="error"), stream=open("/dev/null", "w"))  # noqa: SIM115
    upstream = Upstream(args.delay)
    fresh = [f"127.0.0.{7 + n}" for n in range(args.rounds)]  # one per loaded round of "other hosts"
    await upstream.start(["127.0.0.1", *FANOUT_HOSTS, *fresh])
    print(f"apiary from {Path(apiary.__file__).parent}; upstream delay {args.delay:g} s; "
          f"fan-out {CALLS} calls x {FAN_OUT} requests")
    try:
        with tempfile.TemporaryDirectory() as tmp:
            source = Source(Path(tmp), write_packages(Path(tmp)))
            async with Host(parse_config({}), sources=[source], load_plugin_entry_points=False) as host:
                bystander_url = upstream.url("127.0.0.1")
                unloaded = statistics.median([await bystander_call(host, bystander_url) for _ in range(5)])
                layouts = {
                    "same host": ([bystander_url] * (CALLS * FAN_OUT), [bystander_url] * args.rounds),
                    "other hosts": (
                        [upstream.url(FANOUT_HOSTS[i % len(FANOUT_HOSTS)]) for i in range(CALLS * FAN_OUT)],
                        [upstream.url(address) for address in fresh],
                    ),
                }
                print(f"bystander unloaded: {unloaded * 1000:7.1f} ms")
                for name, (fan_urls, bystander_urls) in layouts.items():
                    rounds = [await loaded_round(host, upstream, fan_urls, url) for url in bystander_urls]
                    waited = statistics.median(r[0] for r in rounds)
                    fan_seconds = statistics.median(r[1] for r in rounds)
                    print(
                        f"{name:>11}: bystander loaded {waited * 1000:7.1f} ms = {waited / unloaded:5.1f}x unloaded;"
                        f" fan-out took {fan_seconds:5.2f} s"
                    )
    finally:
        await upstream.close()


if __name__ == "__main__":
    asyncio.run(main())
