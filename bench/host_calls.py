"""Throughput of ``host.call`` for an action doing one ``context.fetch``, beside
the reference pattern and the raw-session limit, all measured in one run.

The action (``get_doc``) GETs a small JSON document from a local aiohttp
upstream and returns it. The upstream is an ``aiohttp.web`` server on
127.0.0.1 in a separate process (pinned to its own core when the machine has
two), so it shares neither the client's event loop nor its CPU accounting.
Four patterns run the same GET + JSON decode, at concurrency 1 and 64:

  host          ``await host.call("bench", "get_doc", {"url": ...})`` on an
                entered ``Host`` (its shared pool, bulkhead, timeout,
                credentials hook, call-logging hooks, tracer), logging at
                level ``warning`` into a null stream, so no per-call line is
                written and what is measured is the routing;
  new-context   the reference SDK pattern: a new ``ExecutionContext()`` per
                call (no session passed: it opens and closes its own
                ``ClientSession``, so a new connection per call) running the
                same integration's ``execute_action``;
  sdk-on-pool   ``execute_action`` in an ``ExecutionContext`` borrowing the
                host's pooled session, without the router: what the SDK's
                fetch and validation cost, and so the best the host can reach;
  raw           one shared ``aiohttp.ClientSession``: ``session.get`` +
                ``json.loads`` and nothing else (the limit).

The integration is built in-process: a package with config.json in a temp
directory put on ``sys.path``, given to the Host through an explicit
discovery source (no entry points, no host plugins). Pool limits are raised
to at least the concurrency so concurrency 64 is not capped by the config.

Each pattern runs a fixed number of calls per round (bounded by a time
limit too), after a warm-up; rounds are interleaved across patterns and the
median round is reported. Printed per concurrency: calls/s of each pattern
(with the spread of the rounds), the client process's CPU time per call, the
upstream process's CPU use (near 100 % means the upstream, not the client,
is the limit), the ratios host/raw (target >= 0.8 at c=64) and
host/new-context (target >= 3 at c=64), and for scale raw/new-context (the
best host/new-context any client could reach) and the host's extra client
CPU per call over raw.

Usage: python bench/host_calls.py [--calls-c64 N] [--calls-c1 N] [--rounds R]
                                  [--max-seconds S] [--log-level LEVEL] [--no-pin]
"""

from __future__ import annotations

import argparse
import asyncio
import io
import json
import os
import subprocess
import sys
import tempfile
import textwrap
import time
from collections.abc import Awaitable, Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import aiohttp

DOCUMENT = {
    "id": 4711,
    "name": "widget",
    "price": 9.99,
    "in_stock": True,
    "tags": ["blue", "small", "metal"],
    "owner": {"login": "octocat", "id": 1},
}

MODULE = "apiary_bench_host_calls"
INTEGRATION_ID = "bench"

CONFIG = {
    "name": INTEGRATION_ID,
    "version": "1.0.0",
    "description": "host_calls benchmark: one GET of a small JSON document",
    "actions": {
        "get_doc": {
            "description": "GET a JSON document",
            "input_schema": {
                "type": "object",
                "properties": {"url": {"type": "string"}},
                "required": ["url"],
            },
            "output_schema": {"type": "object"},
        }
    },
}

INTEGRATION_CODE = '''\
from autohive_integrations_sdk import ActionHandler, ActionResult, Integration

integration = Integration.load()


@integration.action("get_doc")
class GetDoc(ActionHandler):
    async def execute(self, inputs, context):
        response = await context.fetch(inputs["url"])
        return ActionResult(data=response.data)
'''

# The upstream, run with ``python -c``: serves DOCUMENT at /doc, prints its
# port once listening, exits when its stdin closes.
UPSTREAM_CODE = textwrap.dedent(
    '''\
    import asyncio, json, os, sys
    from aiohttp import web

    cpu = int(sys.argv[1])
    if cpu >= 0 and hasattr(os, "sched_setaffinity"):
        os.sched_setaffinity(0, {cpu})
    body = json.dumps(json.loads(sys.argv[2])).encode()

    async def doc(request):
        return web.Response(body=body, content_type="application/json")

    async def main():
        app = web.Application()
        app.router.add_get("/doc", doc)
        runner = web.AppRunner(app, access_log=None, handle_signals=False)
        await runner.setup()
        site = web.TCPSite(runner, "127.0.0.1", 0, backlog=1024)
        await site.start()
        port = runner.addresses[0][1]
        print(port, flush=True)
        loop = asyncio.get_running_loop()
        await loop.run_in_executor(None, sys.stdin.read)  # until the parent goes
        await runner.cleanup()

    asyncio.run(main())
    '''
)


# ---- the upstream process ---------------------------------------------------


class Upstream:
    """The aiohttp.web upstream in its own process; ``url`` once started."""

    def __init__(self, cpu: int, ready_seconds: float = 20) -> None:
        self.process = subprocess.Popen(
            [sys.executable, "-c", UPSTREAM_CODE, str(cpu), json.dumps(DOCUMENT)],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
        )
        line = self._read_port(ready_seconds)
        self.url = f"http://127.0.0.1:{int(line)}/doc"

    def _read_port(self, seconds: float) -> str:
        import selectors

        with selectors.DefaultSelector() as selector:
            selector.register(self.process.stdout, selectors.EVENT_READ)
            if not selector.select(seconds):
                self.stop()
                raise RuntimeError(f"upstream did not start within {seconds} s")
        line = self.process.stdout.readline().strip()
        if not line.isdigit():
            self.stop()
            raise RuntimeError(f"upstream failed to start (said {line!r})")
        return line

    async def wait_ready(self, seconds: float = 10) -> None:
        """Until one GET answers with the document."""
        deadline = time.monotonic() + seconds
        async with aiohttp.ClientSession() as session:
            while True:
                try:
                    async with session.get(self.url) as response:
                        if response.status == 200 and json.loads(await response.read()) == DOCUMENT:
                            return
                except aiohttp.ClientError:
                    pass
                if time.monotonic() > deadline:
                    raise RuntimeError("upstream is not answering")
                await asyncio.sleep(0.05)

    def cpu_seconds(self) -> float | None:
        """User + system CPU time of the upstream process so far (Linux only)."""
        try:
            fields = Path(f"/proc/{self.process.pid}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            return None
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")

    def stop(self) -> None:
        if self.process.poll() is None:
            try:
                self.process.stdin.close()
                self.process.wait(5)
            except (OSError, subprocess.TimeoutExpired):
                self.process.terminate()
                try:
                    self.process.wait(5)
                except subprocess.TimeoutExpired:
                    self.process.kill()
                    self.process.wait()


# ---- the integration and the host --------------------------------------------


def write_integration(folder: Path) -> Path:
    """The integration package under ``folder``; returns its config.json."""
    package = folder / MODULE
    package.mkdir()
    (package / "__init__.py").write_text(INTEGRATION_CODE, encoding="utf-8")
    config_path = package / "config.json"
    config_path.write_text(json.dumps(CONFIG, indent=2), encoding="utf-8")
    return config_path


class BenchSource:
    """A discovery source yielding the one benchmark integration."""

    def __init__(self, config_path: Path) -> None:
        self.config_path = config_path

    def discover(self) -> Iterator[Any]:
        from apiary import Discovered

        yield Discovered(
            id=INTEGRATION_ID, module=MODULE, attribute=None, source="bench", config_path=self.config_path
        )


def make_host(config_path: Path, concurrency: int, log_level: str) -> Any:
    from apiary import Host, parse_config

    limit = max(100, concurrency)
    config = parse_config(
        {
            "host": {"call_timeout": 30},
            "logging": {"format": "json", "level": log_level},
            "pool": {
                "limit": limit,
                "limit_per_host": limit,
                "per_integration": limit,
                "connections_per_integration": limit,
            },
        },
        source="bench",
    )
    return Host(config, sources=[BenchSource(config_path)], load_plugin_entry_points=False)


class NullStream(io.TextIOBase):
    """Swallows log lines (counting them) so writing them costs nothing."""

    lines = 0

    def write(self, text: str) -> int:
        NullStream.lines += text.count("\n")
        return len(text)

    def isatty(self) -> bool:
        return False


# ---- the load loop -------------------------------------------------------------

Call = Callable[[], Awaitable[Any]]


@dataclass
class Round:
    calls: int
    seconds: float
    cpu_seconds: float
    upstream_cpu_seconds: float | None
    timed_out: bool

    @property
    def rate(self) -> float:
        return self.calls / self.seconds


async def run_round(call: Call, check: Callable[[Any], None], calls: int, concurrency: int,
                    max_seconds: float, upstream: Upstream) -> Round:
    """``calls`` calls by ``concurrency`` workers, stopping early at ``max_seconds``."""
    remaining = calls
    done = 0
    deadline = time.perf_counter() + max_seconds

    async def worker() -> None:
        nonlocal remaining, done
        while remaining > 0 and time.perf_counter() < deadline:
            remaining -= 1
            check(await call())
            done += 1

    upstream_before = upstream.cpu_seconds()
    cpu_before = time.process_time()
    started = time.perf_counter()
    await asyncio.gather(*(worker() for _ in range(concurrency)))
    seconds = time.perf_counter() - started
    cpu = time.process_time() - cpu_before
    upstream_after = upstream.cpu_seconds()
    upstream_cpu = None if upstream_before is None or upstream_after is None else upstream_after - upstream_before
    return Round(done, seconds, cpu, upstream_cpu, done < calls)


def check_result(result: Any) -> None:
    if result.type.value != "action" or result.result.data != DOCUMENT:
        raise RuntimeError(f"unexpected result: {result.type.value} {result.result!r}")


def check_document(data: Any) -> None:
    if data != DOCUMENT:
        raise RuntimeError(f"unexpected document: {data!r}")


async def measure(concurrency: int, calls: int, rounds: int, warmup: int, max_seconds: float,
                  upstream: Upstream, config_path: Path, log_level: str) -> dict[str, list[Round]]:
    import importlib

    from autohive_integrations_sdk import ExecutionContext

    integration = importlib.import_module(MODULE).integration
    url = upstream.url
    inputs = {"url": url}

    async with make_host(config_path, concurrency, log_level) as host, aiohttp.ClientSession(
        connector=aiohttp.TCPConnector(limit=max(100, concurrency), limit_per_host=max(100, concurrency)),
        cookie_jar=aiohttp.DummyCookieJar(),
    ) as raw_session:

        async def host_call() -> Any:
            return await host.call(INTEGRATION_ID, "get_doc", inputs)

        async def new_context_call() -> Any:
            async with ExecutionContext() as context:
                return await integration.execute_action("get_doc", inputs, context)

        async def sdk_on_pool_call() -> Any:
            # The SDK alone on the host's pooled session: no routing, hooks,
            # credentials, bulkhead or timeout. Separates the SDK's cost from the host's.
            context = ExecutionContext(session=host._pool.session_for(INTEGRATION_ID, max(100, concurrency)))
            return await integration.execute_action("get_doc", inputs, context)

        async def raw_call() -> Any:
            async with raw_session.get(url) as response:
                response.raise_for_status()
                return json.loads(await response.read())

        patterns = {
            "host": (host_call, check_result),
            "new-context": (new_context_call, check_result),
            "sdk-on-pool": (sdk_on_pool_call, check_result),
            "raw": (raw_call, check_document),
        }
        # Warm up each (imports, schema compilation, connections), then
        # interleave the rounds so drift on the machine hits all alike.
        for call, check in patterns.values():
            await run_round(call, check, warmup, concurrency, max_seconds, upstream)
        results: dict[str, list[Round]] = {name: [] for name in patterns}
        for _ in range(rounds):
            for name, (call, check) in patterns.items():
                results[name].append(await run_round(call, check, calls, concurrency, max_seconds, upstream))
    return results


# ---- reporting -------------------------------------------------------------------


def median_round(rounds: list[Round]) -> Round:
    return sorted(rounds, key=lambda r: r.rate)[len(rounds) // 2]


def report(concurrency: int, calls: int, results: dict[str, list[Round]]) -> None:
    print(f"\nconcurrency {concurrency}: {calls} calls per round, {len(results['host'])} rounds (median round)")
    print(f"  {'pattern':<12} {'calls/s':>9}  {'rounds min-max':>15}  {'client CPU/call':>15}  {'upstream CPU':>12}")
    medians = {}
    for name, rounds in results.items():
        middle = medians[name] = median_round(rounds)
        low, high = min(r.rate for r in rounds), max(r.rate for r in rounds)
        upstream = (
            f"{middle.upstream_cpu_seconds / middle.seconds * 100:10.0f} %"
            if middle.upstream_cpu_seconds is not None
            else "           ?"
        )
        flag = "  (stopped at --max-seconds)" if any(r.timed_out for r in rounds) else ""
        print(
            f"  {name:<12} {middle.rate:9.0f}  {low:7.0f}-{high:<7.0f}  "
            f"{middle.cpu_seconds / middle.calls * 1e6:12.0f} us  {upstream}{flag}"
        )
    host, raw, new, sdk = (medians[n].rate for n in ("host", "raw", "new-context", "sdk-on-pool"))
    target_raw = "  (target >= 0.8)" if concurrency == 64 else ""
    target_new = "  (target >= 3)" if concurrency == 64 else ""
    print(f"  host / raw:         {host / raw:5.2f}x{target_raw}")
    print(f"  host / new-context: {host / new:5.2f}x{target_new}")
    print(f"  sdk-on-pool / raw:  {sdk / raw:5.2f}x  (the SDK's fetch path alone, the host's ceiling)")
    host_round, raw_round = medians["host"], medians["raw"]
    host_over_raw = host_round.cpu_seconds / host_round.calls - raw_round.cpu_seconds / raw_round.calls
    print(f"  (ceiling: raw / new-context = {raw / new:.2f}x; host CPU/call over raw: "
          f"{host_over_raw * 1e6:.0f} us)")


def pin_to(cpu: int) -> None:
    if cpu >= 0 and hasattr(os, "sched_setaffinity"):
        os.sched_setaffinity(0, {cpu})


async def main(args: argparse.Namespace) -> None:
    from apiary import LoggingConfig
    from apiary._observe import logs

    cpus = sorted(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else []
    pin = not args.no_pin and len(cpus) >= 2
    client_cpu, upstream_cpu = (cpus[0], cpus[1]) if pin else (-1, -1)
    pin_to(client_cpu)

    logs.configure(LoggingConfig(format="json", level=args.log_level), stream=NullStream())
    upstream = Upstream(upstream_cpu)
    try:
        await upstream.wait_ready()
        with tempfile.TemporaryDirectory(prefix="apiary-bench-") as folder:
            config_path = write_integration(Path(folder))
            sys.path.insert(0, folder)
            try:
                print(f"upstream: aiohttp.web at {upstream.url} in process {upstream.process.pid}"
                      + (f" (pinned to CPU {upstream_cpu}; client on CPU {client_cpu})" if pin else " (not pinned)"))
                print(f"document: {len(json.dumps(DOCUMENT))} bytes of JSON; action get_doc = one context.fetch GET")
                quiet = args.log_level in ("warning", "error")
                print(f"host logging: level {args.log_level}, JSON into a null stream "
                      + ("(no per-call line is written: the figure is routing, not log output)" if quiet
                         else "(the call and upstream_request lines are rendered and dropped)"))
                print("patterns: host = host.call on an entered Host; new-context = a new ExecutionContext() "
                      "(own ClientSession) per call + execute_action; raw = one shared ClientSession, GET + json.loads")
                plan = [(1, args.calls_c1), (64, args.calls_c64)]
                for concurrency, calls in plan:
                    warmup = max(concurrency * 4, calls // 10)
                    results = await measure(concurrency, calls, args.rounds, warmup, args.max_seconds,
                                            upstream, config_path, args.log_level)
                    report(concurrency, calls, results)
                print(f"\nlog lines written during the run: {NullStream.lines}")
            finally:
                sys.path.remove(folder)
    finally:
        upstream.stop()


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--calls-c64", type=int, default=3000, help="calls per round at concurrency 64 (default 3000)")
    parser.add_argument("--calls-c1", type=int, default=1000, help="calls per round at concurrency 1 (default 1000)")
    parser.add_argument("--rounds", type=int, default=5, help="interleaved rounds per pattern (default 5)")
    parser.add_argument("--max-seconds", type=float, default=20,
                        help="a round stops after this many seconds even if calls remain (default 20)")
    parser.add_argument("--log-level", choices=["debug", "info", "warning", "error"], default="warning",
                        help="host log level (default warning: no per-call lines)")
    parser.add_argument("--no-pin", action="store_true", help="do not pin client and upstream to separate CPUs")
    arguments = parser.parse_args()
    for name in ("calls_c64", "calls_c1", "rounds"):
        if getattr(arguments, name) < 1:
            parser.error(f"--{name.replace('_', '-')} must be at least 1")
    asyncio.run(main(arguments))
