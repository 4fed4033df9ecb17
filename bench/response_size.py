"""Peak memory of one ``host.call`` whose upstream answers a large body.

A local upstream (``aiohttp.web`` on 127.0.0.1, in this process) streams N
MiB of text; a child process enters a ``Host`` on the shipped defaults and
makes one call of the shipped ``http`` integration's ``request`` action to
it, the call that forwards a response to a client. The child measures its
own resident memory: the baseline after a warm-up call (imports, the
integration loaded, the pool open), then the peak during the measured call
(the kernel's high-water mark ``VmHWM``, reset just before the call through
``/proc/self/clear_refs``), and keeps the result alive while it does. The
growth (peak - baseline) is printed against the body's size, and against
the host's response limit when the call was refused.

Cases, each in a fresh child:

  streamed     N MiB without Content-Length (chunked): a limit must act while
               reading;
  declared     N MiB with Content-Length: a limit can refuse it unread;
  under-limit  8 MiB, chunked: below the 10 MiB default, read whole (memory
               a small multiple of the body).

Runs against whatever ``apiary`` and SDK are importable, so the same script
measures another checkout:
PYTHONPATH=/tmp/base/host:/tmp/base/sdk .venv/bin/python bench/response_size.py

Usage: python bench/response_size.py [--mib N] [--cases streamed,declared,under-limit]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import resource
import sys
import time
from typing import Any

from aiohttp import web

MIB = 1024 * 1024
CHUNK = b"a" * MIB


def _rss_kib() -> int:
    with open("/proc/self/status", encoding="ascii") as status:
        for line in status:
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    raise RuntimeError("no VmRSS in /proc/self/status")


def _peak_kib() -> int:
    with open("/proc/self/status", encoding="ascii") as status:
        for line in status:
            if line.startswith("VmHWM:"):
                return int(line.split()[1])
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss


def _reset_peak() -> bool:
    """Reset VmHWM to the current RSS (Linux 4.0+); False where not allowed."""
    try:
        with open("/proc/self/clear_refs", "w", encoding="ascii") as clear:
            clear.write("5")
        return True
    except OSError:
        return False


async def child(url: str, warmup_url: str) -> None:
    """Run in the child: one warm-up call, then the measured one; print JSON."""
    from apiary import Host, parse_config

    async with Host(parse_config({}, source="bench")) as host:
        warm = await host.call("http", "request", {"method": "GET", "url": warmup_url})
        assert warm.type.value == "action", warm.result
        del warm
        baseline = _rss_kib()
        exact = _reset_peak()
        started = time.perf_counter()
        result = await host.call("http", "request", {"method": "GET", "url": url})
        seconds = time.perf_counter() - started
        peak = _peak_kib()
        outcome = result.type.value
        details = result.result if isinstance(result.result, dict) else {}
        body = result.result.data.get("body") if outcome == "action" else None
        print(
            json.dumps(
                {
                    "baseline_kib": baseline,
                    "peak_kib": peak,
                    "exact_peak": exact,
                    "seconds": seconds,
                    "outcome": outcome if outcome == "action" else details.get("error", outcome),
                    "limit": details.get("limit"),
                    "body_bytes": len(body) if isinstance(body, str) else None,
                }
            )
        )
        del result


def _upstream() -> web.Application:
    async def stream(request: web.Request) -> web.StreamResponse:
        size = int(request.query["mib"]) * MIB
        response = web.StreamResponse(headers={"Content-Type": "text/plain"})
        if request.query.get("declared") == "1":
            response.content_length = size
        else:
            response.enable_chunked_encoding()
        await response.prepare(request)
        try:
            for _ in range(size // MIB):
                await response.write(CHUNK)
            await response.write_eof()
        except ConnectionError:  # the client stopped reading: the point of a limit
            pass
        return response

    app = web.Application()
    app.router.add_get("/stream", stream)
    return app


async def run_case(base: str, name: str, mib: int) -> dict[str, Any]:
    query = {"streamed": f"mib={mib}", "declared": f"mib={mib}&declared=1", "under-limit": "mib=8"}[name]
    process = await asyncio.create_subprocess_exec(
        sys.executable, __file__, "--child", f"{base}/stream?{query}", f"{base}/stream?mib=1",
        stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE,
    )
    stdout, stderr = await asyncio.wait_for(process.communicate(), timeout=300)
    if process.returncode != 0:
        raise RuntimeError(f"child failed ({process.returncode}):\n{stderr.decode()[-3000:]}")
    measured = json.loads(stdout.decode().strip().splitlines()[-1])
    measured["case"] = name
    measured["size_mib"] = 8 if name == "under-limit" else mib
    return measured


def report(rows: list[dict[str, Any]]) -> None:
    print(f"{'case':<12} {'body':>8} {'outcome':<15} {'RSS growth':>11} {'growth/body':>12} {'growth/limit':>13}")
    for row in rows:
        growth = (row["peak_kib"] - row["baseline_kib"]) / 1024
        size = row["size_mib"]
        per_limit = f"{growth / (row['limit'] / MIB):.2f}" if row["limit"] else "-"
        print(
            f"{row['case']:<12} {size:>5} MiB {row['outcome']:<15} {growth:>7.1f} MiB "
            f"{growth / size:>12.3f} {per_limit:>13}"
        )
    if not all(row["exact_peak"] for row in rows):
        print("note: /proc/self/clear_refs not writable: peaks are the process's lifetime maximum")


async def main(arguments: argparse.Namespace) -> None:
    runner = web.AppRunner(_upstream(), access_log=None)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    base = f"http://127.0.0.1:{runner.addresses[0][1]}"
    try:
        rows = [await run_case(base, name, arguments.mib) for name in arguments.cases.split(",")]
    finally:
        await runner.cleanup()
    import apiary
    import autohive_integrations_sdk

    sdk = os.path.dirname(autohive_integrations_sdk.__file__)
    print(f"apiary from {os.path.dirname(apiary.__file__)}, SDK from {sdk}; one http.request call per case")
    report(rows)


if __name__ == "__main__":
    if len(sys.argv) == 4 and sys.argv[1] == "--child":
        asyncio.run(child(sys.argv[2], sys.argv[3]))
        sys.exit(0)
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--mib", type=int, default=200, help="size of the large answer in MiB (default 200)")
    parser.add_argument("--cases", default="streamed,declared,under-limit", help="comma-separated cases to run")
    arguments = parser.parse_args()
    unknown = set(arguments.cases.split(",")) - {"streamed", "declared", "under-limit"}
    if unknown or arguments.mib < 1:
        parser.error(f"unknown cases {sorted(unknown)}" if unknown else "--mib must be at least 1")
    asyncio.run(main(arguments))
