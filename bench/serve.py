"""Requests per second of ``apiary serve`` for an action doing no I/O, beside a
bare aiohttp.web app answering a constant JSON, both measured in one run.

What is measured is ``POST /integrations/bench/actions/echo`` with the body
``{"inputs": {...}}`` (a few small fields) on loopback, HTTP/1.1 keep-alive:
the whole HTTP face of the host (routing, body parsing, input and output
schema validation, the ``Host`` call with its hooks, bulkhead, timeout and
call logging, the result rendered as JSON) around a handler that returns its
inputs (``ActionResult(data=inputs)``). The baseline is the least an
aiohttp.web server can do for the same request: a POST route that reads the
JSON body and answers a constant ``json_response`` shaped like apiary's
answer (same size within a few bytes), no middleware, no access log.

The integration is generated in a temp directory: a package with config.json
(one action ``echo``, small input and output schemas) and a hand-written
dist-info whose ``entry_points.txt`` declares ``[apiary.integrations]
bench = bench_integration``, so the real ``apiary serve`` (the console script
beside ``sys.executable``) discovers it through ``PYTHONPATH`` like any
installed integration. The server runs with a config file setting
``[logging] level = "warning"`` (so no access-log or call line is written
per request; the lines it did write are counted and printed) and the
bulkhead (``[pool] per_integration``) raised to at least the number of
connections so it does not queue the load.

Three processes besides this one: ``apiary serve``, the bare app (both
pinned to one CPU when the machine has two; only one of them is under load
at a time) and the load generator (pinned to the other CPU): ``wrk`` with a
Lua script for the POST (``apt-get install wrk`` on Debian) when it is on
PATH, else an aiohttp client process (N workers over keep-alive connections,
a fixed number of requests, bounded by time; note that one Python client
process may itself be the limit for the bare app, which flatters the
ratio; the run says so when a server was below 90 % CPU). Before measuring,
each server gets a warm-up of requests whose every response is checked:
status 200 and the expected body (apiary: ``type`` "action" and
``result.data`` equal to the inputs; bare: the constant).

Rounds are interleaved (bare, apiary, bare, apiary, ...) so drift on the
machine hits both alike; the median round of each is reported: req/s (and
the spread of the rounds), latency percentiles, the server process's CPU
use during the round (near 100 % means the server, not the load generator,
is the limit) and its CPU time per request, then the ratio apiary/bare
(issue 5's goal: at least 0.6). Any non-2xx response or socket error during
a round is printed and makes the exit status 1.

Usage: python bench/serve.py [--connections N] [--seconds S] [--rounds R]
                             [--warmup N] [--loader auto|wrk|aiohttp]
                             [--requests N] [--no-pin]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import resource
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import textwrap
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

INTEGRATION_ID = "bench"
MODULE = "bench_integration"
ACTION = "echo"
PATH = f"/integrations/{INTEGRATION_ID}/actions/{ACTION}"

INPUTS = {"message": "hello, apiary", "count": 3, "tags": ["a", "b"]}
BODY = json.dumps({"inputs": INPUTS}, separators=(",", ":"))

# What the bare app answers: shaped like apiary's answer to the same request.
BARE_ANSWER = {"version": "2.0.0", "type": "action", "result": {"data": INPUTS, "cost_usd": None}}

ECHO_SCHEMA = {
    "type": "object",
    "properties": {
        "message": {"type": "string", "maxLength": 200},
        "count": {"type": "integer", "minimum": 0, "maximum": 100},
        "tags": {"type": "array", "items": {"type": "string"}, "maxItems": 10},
    },
    "required": ["message"],
}

CONFIG = {
    "name": INTEGRATION_ID,
    "display_name": "Bench",
    "version": "1.0.0",
    "description": "serve benchmark: an action that echoes its inputs and does no I/O",
    "entry_point": "__init__.py",
    "actions": {
        ACTION: {
            "description": "Return the inputs unchanged",
            "input_schema": ECHO_SCHEMA,
            "output_schema": ECHO_SCHEMA,
        }
    },
}

INTEGRATION_CODE = '''\
from autohive_integrations_sdk import ActionHandler, ActionResult, Integration

integration = Integration.load()


@integration.action("echo")
class Echo(ActionHandler):
    async def execute(self, inputs, context):
        return ActionResult(data=inputs)
'''

# The bare app, run with ``python -c``: prints its port once listening,
# exits when its stdin closes (or on SIGTERM).
BARE_CODE = textwrap.dedent(
    '''\
    import asyncio, json, sys
    from aiohttp import web

    answer = json.loads(sys.argv[1])

    async def action(request):
        await request.json()
        return web.json_response(answer)

    async def main():
        app = web.Application()
        app.router.add_post("/integrations/{id}/actions/{action}", action)
        runner = web.AppRunner(app, access_log=None, handle_signals=False)
        await runner.setup()
        site = web.TCPSite(runner, "127.0.0.1", 0, backlog=1024)
        await site.start()
        print(runner.addresses[0][1], flush=True)
        await asyncio.get_running_loop().run_in_executor(None, sys.stdin.read)  # until the parent goes
        await runner.cleanup()

    asyncio.run(main())
    '''
)

# wrk's script: the POST, and a machine-readable summary on stdout.
WRK_LUA = '''\
wrk.method = "POST"
wrk.body = {body}
wrk.headers["Content-Type"] = "application/json"

done = function(summary, latency, requests)
  local e = summary.errors
  io.write(string.format(
    "WRK_RESULT {{\\"requests\\": %d, \\"duration_us\\": %d, \\"connect\\": %d, \\"read\\": %d, " ..
    "\\"write\\": %d, \\"status\\": %d, \\"timeout\\": %d, \\"p50\\": %d, \\"p90\\": %d, \\"p99\\": %d, " ..
    "\\"mean\\": %.1f}}\\n",
    summary.requests, summary.duration, e.connect, e.read, e.write, e.status, e.timeout,
    latency:percentile(50), latency:percentile(90), latency:percentile(99), latency.mean))
end
'''

# The fallback load generator, run with ``python -c``: JSON on stdout.
AIOHTTP_LOADER_CODE = textwrap.dedent(
    '''\
    import asyncio, json, sys, time
    import aiohttp

    url, body = sys.argv[1], sys.argv[2].encode()
    connections, requests, max_seconds = int(sys.argv[3]), int(sys.argv[4]), float(sys.argv[5])
    headers = {"Content-Type": "application/json"}

    async def main():
        connector = aiohttp.TCPConnector(limit=connections, limit_per_host=connections)
        async with aiohttp.ClientSession(connector=connector, cookie_jar=aiohttp.DummyCookieJar()) as session:
            remaining, done, bad, errors, latencies = requests, 0, 0, 0, []
            deadline = time.perf_counter() + max_seconds

            async def worker():
                nonlocal remaining, done, bad, errors
                while remaining > 0 and time.perf_counter() < deadline:
                    remaining -= 1
                    started = time.perf_counter()
                    try:
                        async with session.post(url, data=body, headers=headers) as response:
                            await response.read()
                            if response.status != 200:
                                bad += 1
                    except aiohttp.ClientError:
                        errors += 1
                    latencies.append(time.perf_counter() - started)
                    done += 1

            started, cpu = time.perf_counter(), time.process_time()
            await asyncio.gather(*(worker() for _ in range(connections)))
            seconds, cpu = time.perf_counter() - started, time.process_time() - cpu
        latencies.sort()
        pick = lambda q: latencies[min(len(latencies) - 1, int(q * len(latencies)))] * 1e6 if latencies else 0
        print(json.dumps({"requests": done, "duration_us": int(seconds * 1e6), "connect": 0, "read": errors,
                          "write": 0, "status": bad, "timeout": 0, "p50": pick(0.5), "p90": pick(0.9),
                          "p99": pick(0.99), "mean": sum(latencies) / len(latencies) * 1e6 if latencies else 0,
                          "stopped": done < requests, "cpu_seconds": cpu}))

    asyncio.run(main())
    '''
)


# ---- processes -------------------------------------------------------------------


def pinned(cpu: int) -> Callable[[], None] | None:
    """A ``preexec_fn`` pinning the child to ``cpu`` (None: no pinning)."""
    if cpu < 0 or not hasattr(os, "sched_setaffinity"):
        return None
    return lambda: os.sched_setaffinity(0, {cpu})


def cpu_seconds(pid: int) -> float | None:
    """User + system CPU time of process ``pid`` so far (Linux only)."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return None
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def children_cpu_seconds() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def stop(process: subprocess.Popen, grace: float = 5) -> None:
    """Terminate, then kill; always reaps."""
    if process.poll() is not None:
        return
    try:
        if process.stdin is not None:
            process.stdin.close()
    except OSError:
        pass
    process.terminate()
    try:
        process.wait(grace)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def read_line(process: subprocess.Popen, seconds: float) -> str:
    import selectors

    with selectors.DefaultSelector() as selector:
        selector.register(process.stdout, selectors.EVENT_READ)
        if not selector.select(seconds):
            raise RuntimeError(f"no output from process {process.pid} within {seconds} s")
    return process.stdout.readline().strip()


@dataclass
class Server:
    name: str
    process: subprocess.Popen
    url: str
    describe: str
    log_path: Path | None = None

    def log_lines(self) -> int:
        if self.log_path is None:
            return 0
        return len(self.log_path.read_text(encoding="utf-8", errors="replace").splitlines())


def write_integration(site: Path) -> None:
    """The integration package and its dist-info under ``site``."""
    package = site / MODULE
    package.mkdir()
    (package / "__init__.py").write_text(INTEGRATION_CODE, encoding="utf-8")
    (package / "config.json").write_text(json.dumps(CONFIG, indent=2), encoding="utf-8")
    dist_info = site / "apiary_bench_serve-1.0.0.dist-info"
    dist_info.mkdir()
    (dist_info / "METADATA").write_text(
        f"Metadata-Version: 2.1\nName: apiary-bench-serve\nVersion: 1.0.0\nSummary: {CONFIG['description']}\n",
        encoding="utf-8",
    )
    (dist_info / "entry_points.txt").write_text(
        f"[apiary.integrations]\n{INTEGRATION_ID} = {MODULE}\n", encoding="utf-8"
    )
    (dist_info / "top_level.txt").write_text(f"{MODULE}\n", encoding="utf-8")
    (dist_info / "INSTALLER").write_text("bench\n", encoding="utf-8")
    (dist_info / "RECORD").write_text("", encoding="utf-8")


def start_apiary(apiary: Path, folder: Path, cpu: int, connections: int, ready_seconds: float) -> Server:
    site = folder / "site-packages"
    site.mkdir()
    write_integration(site)
    config = folder / "apiary.toml"
    config.write_text(
        '[logging]\nlevel = "warning"\nformat = "json"\n\n'
        f"[pool]\nper_integration = {max(32, connections)}\n",
        encoding="utf-8",
    )
    env = {k: v for k, v in os.environ.items()
           if k not in ("APIARY_CONFIG", "APIARY_TOKEN", "PYTHONPATH", "PYTHONSTARTUP")}
    env["PYTHONPATH"] = str(site)
    port = free_port()
    log_path = folder / "apiary-serve.log"
    command = [str(apiary), "serve", "--host", "127.0.0.1", "--port", str(port), "--config", str(config)]
    with open(log_path, "wb") as log:
        process = subprocess.Popen(command, env=env, stdin=subprocess.DEVNULL, stdout=log, stderr=subprocess.STDOUT,
                                   preexec_fn=pinned(cpu))
    server = Server("apiary", process, f"http://127.0.0.1:{port}",
                    f"apiary serve --host 127.0.0.1 --port {port} --config <tmp>/apiary.toml", log_path)
    try:
        asyncio.run(wait_ready(server, ready_seconds))
    except BaseException:
        stop(process)
        tail = log_path.read_text(encoding="utf-8", errors="replace")[-3000:]
        print(f"apiary serve output:\n{tail}", file=sys.stderr)
        raise
    return server


async def wait_ready(server: Server, seconds: float) -> None:
    """Until ``GET /readyz`` answers 200 (bounded; fails if the process exits)."""
    import aiohttp

    deadline = time.monotonic() + seconds
    async with aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=2)) as session:
        while True:
            if server.process.poll() is not None:
                raise RuntimeError(f"{server.name} exited with {server.process.returncode} before it was ready")
            try:
                async with session.get(server.url + "/readyz") as response:
                    if response.status == 200:
                        return
            except (TimeoutError, aiohttp.ClientError):
                pass
            if time.monotonic() > deadline:
                raise RuntimeError(f"{server.name}: /readyz not 200 within {seconds} s")
            await asyncio.sleep(0.1)


def start_bare(cpu: int, ready_seconds: float) -> Server:
    process = subprocess.Popen([sys.executable, "-c", BARE_CODE, json.dumps(BARE_ANSWER)],
                               stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True, preexec_fn=pinned(cpu))
    try:
        line = read_line(process, ready_seconds)
        if not line.isdigit():
            raise RuntimeError(f"bare app failed to start (said {line!r})")
    except BaseException:
        stop(process)
        raise
    return Server(
        "bare",
        process,
        f"http://127.0.0.1:{int(line)}",
        "aiohttp.web POST route: request.json() + constant json_response",
    )


# ---- checking -----------------------------------------------------------------------


def check_apiary(status: int, body: Any) -> str | None:
    if status != 200:
        return f"status {status}: {body!r}"[:300]
    if not isinstance(body, dict) or set(body) != {"version", "type", "result"}:
        return f"body is not {{version, type, result}}: {body!r}"[:300]
    if body["type"] != "action" or not isinstance(body["result"], dict) or body["result"].get("data") != INPUTS:
        return f"unexpected result: {body!r}"[:300]
    return None


def check_bare(status: int, body: Any) -> str | None:
    if status != 200 or body != BARE_ANSWER:
        return f"status {status}: {body!r}"[:300]
    return None


async def warm_up(server: Server, check: Callable[[int, Any], str | None], requests: int, connections: int) -> int:
    """``requests`` POSTs, every response checked; returns the answer's size in bytes."""
    import aiohttp

    remaining, size, problems = requests, 0, []
    connector = aiohttp.TCPConnector(limit=connections)
    async with aiohttp.ClientSession(connector=connector, timeout=aiohttp.ClientTimeout(total=30)) as session:

        async def worker() -> None:
            nonlocal remaining, size
            while remaining > 0 and not problems:
                remaining -= 1
                headers = {"Content-Type": "application/json"}
                async with session.post(server.url + PATH, data=BODY, headers=headers) as response:
                    raw = await response.read()
                    try:
                        body: Any = json.loads(raw)
                    except ValueError:
                        body = raw[:200]
                    problem = check(response.status, body)
                    if problem:
                        problems.append(problem)
                    size = len(raw)

        await asyncio.gather(*(worker() for _ in range(min(connections, requests))))
    if problems:
        raise RuntimeError(f"{server.name}: unexpected response during warm-up: {problems[0]}")
    return size


# ---- load ----------------------------------------------------------------------------


@dataclass
class Round:
    requests: int
    seconds: float
    errors: dict[str, int]
    p50_us: float
    p90_us: float
    p99_us: float
    server_cpu: float | None
    loader_cpu: float
    stopped: bool = False

    @property
    def rate(self) -> float:
        return self.requests / self.seconds


class Loader:
    def __init__(self, kind: str, cpu: int, connections: int, seconds: float, requests: int, lua: Path) -> None:
        self.kind, self.cpu, self.connections = kind, cpu, connections
        self.seconds, self.requests, self.lua = seconds, requests, lua

    def describe(self) -> str:
        where = f"pinned to CPU {self.cpu}" if self.cpu >= 0 else "not pinned"
        if self.kind == "wrk":
            version = subprocess.run(["wrk", "-v"], stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True).stdout
            return (f"{version.split(' Copyright')[0].strip()}, 1 thread, {self.connections} connections, "
                    f"{self.seconds:g} s per round ({where})")
        return (f"aiohttp client process, {self.connections} workers over keep-alive, {self.requests} requests "
                f"per round, at most {self.seconds:g} s ({where})")

    def command(self, url: str, seconds: float, requests: int) -> list[str]:
        if self.kind == "wrk":
            return ["wrk", "-t1", f"-c{self.connections}", f"-d{max(1, round(seconds))}s", "--timeout", "10s",
                    "-s", str(self.lua), url]
        return [sys.executable, "-c", AIOHTTP_LOADER_CODE, url, BODY, str(self.connections), str(requests),
                str(seconds)]

    def run(self, server: Server, seconds: float | None = None, requests: int | None = None) -> Round:
        seconds = self.seconds if seconds is None else seconds
        requests = self.requests if requests is None else requests
        command = self.command(server.url + PATH, seconds, requests)
        server_before, loader_before = cpu_seconds(server.process.pid), children_cpu_seconds()
        completed = subprocess.run(command, stdin=subprocess.DEVNULL, capture_output=True,
                                   text=True, timeout=seconds + 60, preexec_fn=pinned(self.cpu))
        server_after, loader_after = cpu_seconds(server.process.pid), children_cpu_seconds()
        if completed.returncode != 0:
            raise RuntimeError(f"load generator exited {completed.returncode}: {completed.stderr.strip()[-2000:]}")
        line = next((each for each in completed.stdout.splitlines() if each.startswith(("WRK_RESULT ", "{"))), None)
        if line is None:
            raise RuntimeError(f"no result from the load generator: {completed.stdout[-2000:]}")
        data = json.loads(line.split(" ", 1)[1] if line.startswith("WRK_RESULT ") else line)
        if server.process.poll() is not None:
            raise RuntimeError(f"{server.name} exited with {server.process.returncode} during the round")
        return Round(
            requests=data["requests"],
            seconds=data["duration_us"] / 1e6,
            errors={k: data[k] for k in ("connect", "read", "write", "status", "timeout") if data[k]},
            p50_us=data["p50"], p90_us=data["p90"], p99_us=data["p99"],
            server_cpu=None if server_before is None or server_after is None else server_after - server_before,
            # the aiohttp loader measures its own CPU over the timed part (not its start-up)
            loader_cpu=data.get("cpu_seconds", loader_after - loader_before),
            stopped=bool(data.get("stopped")),
        )


# ---- reporting --------------------------------------------------------------------------


def median_round(rounds: list[Round]) -> Round:
    return sorted(rounds, key=lambda r: r.rate)[len(rounds) // 2]


def report(results: dict[str, list[Round]]) -> bool:
    print(f"\n{len(results['bare'])} rounds each, interleaved (bare, apiary, ...); median round:")
    print(f"  {'server':<7} {'req/s':>8}  {'rounds min-max':>15}  {'p50':>8} {'p90':>8} {'p99':>8}  "
          f"{'server CPU':>10}  {'server CPU/req':>14}  {'loader CPU':>10}")
    medians, clean = {}, True
    for name, rounds in results.items():
        middle = medians[name] = median_round(rounds)
        low, high = min(r.rate for r in rounds), max(r.rate for r in rounds)
        if middle.server_cpu is not None:
            server_use = f"{middle.server_cpu / middle.seconds * 100:8.0f} %"
            per_request = f"{middle.server_cpu / middle.requests * 1e6:11.0f} us"
        else:
            server_use, per_request = f"{'?':>10}", f"{'?':>14}"
        flag = "  (stopped at the time limit)" if any(r.stopped for r in rounds) else ""
        print(f"  {name:<7} {middle.rate:8.0f}  {low:7.0f}-{high:<7.0f}  "
              f"{middle.p50_us / 1000:5.2f} ms {middle.p90_us / 1000:5.2f} ms {middle.p99_us / 1000:5.2f} ms  "
              f"{server_use}  {per_request}  {middle.loader_cpu / middle.seconds * 100:8.0f} %{flag}")
        for index, r in enumerate(rounds, 1):
            if r.errors:
                clean = False
                print(f"    round {index}: {r.requests} requests, errors {r.errors} (status = non-2xx answers)")
    for name, middle in medians.items():
        if middle.server_cpu is not None and middle.server_cpu / middle.seconds < 0.9:
            print(f"  note: {name} was at {middle.server_cpu / middle.seconds * 100:.0f} % CPU, so the load generator "
                  f"(at {middle.loader_cpu / middle.seconds * 100:.0f} %) or the machine, not the server, set its rate")
    apiary, bare = medians["apiary"], medians["bare"]
    print(f"apiary / bare: {apiary.rate / bare.rate:5.2f}x  (goal >= 0.6)")
    if apiary.server_cpu is not None and bare.server_cpu is not None:
        extra = (apiary.server_cpu / apiary.requests - bare.server_cpu / bare.requests) * 1e6
        print(f"(apiary's server CPU per request over bare's: {extra:.0f} us)")
    return clean


def main(args: argparse.Namespace) -> int:
    apiary = Path(sys.executable).parent / "apiary"
    if not apiary.exists():
        raise SystemExit(f"no console script at {apiary}: install the project (pip install -e .)")
    kind = args.loader
    if kind == "auto":
        kind = "wrk" if shutil.which("wrk") else "aiohttp"
    elif kind == "wrk" and not shutil.which("wrk"):
        raise SystemExit("wrk is not on PATH (apt-get install wrk), or use --loader aiohttp")

    cpus = sorted(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else []
    pin = not args.no_pin and len(cpus) >= 2
    load_cpu, server_cpu = (cpus[0], cpus[1]) if pin else (-1, -1)
    if pin:
        os.sched_setaffinity(0, {load_cpu})  # this process only waits during the rounds

    servers: list[Server] = []
    with tempfile.TemporaryDirectory(prefix="apiary-bench-serve-") as root:
        folder = Path(root)
        lua = folder / "post.lua"
        lua.write_text(WRK_LUA.format(body=json.dumps(BODY)), encoding="utf-8")
        loader = Loader(kind, load_cpu, args.connections, args.seconds, args.requests, lua)
        try:
            servers.append(start_bare(server_cpu, args.ready_seconds))
            servers.append(start_apiary(apiary, folder, server_cpu, args.connections, args.ready_seconds))
            bare, served = servers
            pinning = f"pinned to CPU {server_cpu}" if pin else "not pinned"
            print(f"apiary: {served.describe} (pid {served.process.pid}, {pinning}), the console script "
                  f"{apiary}; integration '{INTEGRATION_ID}' discovered from PYTHONPATH=<tmp>/site-packages "
                  f"(a dist-info with an apiary.integrations entry point)")
            print(f"apiary logging: level warning, so no per-request access-log or call line; "
                  f"bulkhead per_integration = {max(32, args.connections)}")
            print(f"bare:   {bare.describe} (pid {bare.process.pid}, {pinning})")
            print(f"load:   {loader.describe()}")
            sizes = {
                "bare": asyncio.run(warm_up(bare, check_bare, args.warmup, args.connections)),
                "apiary": asyncio.run(warm_up(served, check_apiary, args.warmup, args.connections)),
            }
            print(f"request: POST {PATH}, {len(BODY)}-byte JSON body {BODY}; answers {sizes['apiary']} bytes "
                  f"(apiary) / {sizes['bare']} bytes (bare)")
            print(f"warm-up: {args.warmup} requests to each, every one 200 with the expected body "
                  f"(apiary: type 'action', result.data == inputs; bare: its constant)")
            log_before = served.log_lines()
            for server in (bare, served):  # warm the loader's path too (not counted)
                loader.run(server, seconds=1, requests=max(1, args.requests // 5))
            results: dict[str, list[Round]] = {"bare": [], "apiary": []}
            for _ in range(args.rounds):
                for name, server in (("bare", bare), ("apiary", served)):
                    results[name].append(loader.run(server))
            clean = report(results)
            written = served.log_lines() - log_before
            total = sum(r.requests for r in results["apiary"])
            print(f"apiary log lines written during the load: {written} (for {total} requests)")
            if served.process.poll() is not None:
                raise RuntimeError(f"apiary exited with {served.process.returncode}")
            return 0 if clean else 1
        finally:
            for server in servers:
                stop(server.process)


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--connections", type=int, default=64, help="concurrent keep-alive connections (default 64)")
    parser.add_argument("--seconds", type=float, default=5,
                        help="length of a round with wrk; the time limit of a round with the aiohttp loader "
                             "(default 5)")
    parser.add_argument("--rounds", type=int, default=5, help="interleaved rounds per server (default 5)")
    parser.add_argument("--warmup", type=int, default=500, help="checked warm-up requests per server (default 500)")
    parser.add_argument("--loader", choices=["auto", "wrk", "aiohttp"], default="auto",
                        help="load generator (default auto: wrk when on PATH, else aiohttp)")
    parser.add_argument("--requests", type=int, default=50000,
                        help="requests per round with the aiohttp loader (default 50000; bounded by --seconds)")
    parser.add_argument("--ready-seconds", type=float, default=30,
                        help="wait at most this long for a server to start (default 30)")
    parser.add_argument("--no-pin", action="store_true", help="do not pin servers and load generator to separate CPUs")
    arguments = parser.parse_args()
    if not 1 <= arguments.connections <= 1000:
        parser.error("--connections must be between 1 and 1000")
    if not 1 <= arguments.rounds <= 50 or not 1 <= arguments.warmup <= 100000 or not 1 <= arguments.requests <= 10**7:
        parser.error("--rounds (1-50), --warmup (1-100000) and --requests (1-10^7) out of range")
    if not 1 <= arguments.seconds <= 120:
        parser.error("--seconds must be between 1 and 120")
    # SIGTERM unwinds like Ctrl-C, so the finally blocks stop the servers and the load generator.
    signal.signal(signal.SIGTERM, lambda signum, frame: sys.exit(128 + signum))
    sys.exit(main(arguments))
