"""Import cost of the SDK, next to importing aiohttp alone, in fresh processes.

Each figure is the median wall time of N fresh interpreters running one
``import`` (``python -c pass`` is shown for the interpreter's own start-up).
The SDK's budget: aiohttp + 30 ms.

Usage: python bench/sdk_import.py [--runs N]
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import time

CASES = {
    "python -c pass": "pass",
    "import aiohttp": "import aiohttp",
    "import autohive_integrations_sdk": "import autohive_integrations_sdk",
}


# An installed package has its bytecode compiled at install time; an editable
# checkout gets it on first import, unless PYTHONDONTWRITEBYTECODE forbids it
# (this machine sets it), which would charge compilation to every run.
_ENV = {key: value for key, value in os.environ.items() if key != "PYTHONDONTWRITEBYTECODE"}


def _median_seconds(code: str, runs: int) -> float:
    times = []
    for _ in range(runs):
        started = time.perf_counter()
        subprocess.run([sys.executable, "-c", code], check=True, env=_ENV)
        times.append(time.perf_counter() - started)
    return statistics.median(times)


def main(runs: int) -> None:
    # Interleave the cases so drift on the machine hits them alike.
    for code in CASES.values():  # warm-up: bytecode written, files cached
        _median_seconds(code, 1)
    samples: dict[str, list[float]] = {name: [] for name in CASES}
    for _ in range(runs):
        for name, code in CASES.items():
            samples[name].append(_median_seconds(code, 1))
    medians = {name: statistics.median(values) * 1000 for name, values in samples.items()}
    base, aiohttp_ms, sdk_ms = medians.values()
    print(f"runs: {runs} (median of each)")
    for name, value in medians.items():
        print(f"{name:36s} {value:7.1f} ms")
    print(f"SDK over aiohttp alone: {sdk_ms - aiohttp_ms:+.1f} ms (budget +30 ms), "
          f"ratio {sdk_ms / aiohttp_ms:.3f}")
    leaked = subprocess.run(
        [sys.executable, "-c", "import sys, autohive_integrations_sdk; print('jsonschema' in sys.modules)"],
        capture_output=True, text=True, check=True,
    ).stdout.strip()
    print(f"jsonschema imported by the SDK at import time: {leaked}")


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--runs", type=int, default=15)
    main(parser.parse_args().runs)
