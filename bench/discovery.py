"""``apiary list --json`` with 100 installed integrations, as whole processes,
beside Python start-up alone and a bare scan-and-read floor, in one run.

Generates, in a temp directory laid out like site-packages, 100 integration
distributions (5 actions each, small realistic schemas): a package with
``__init__.py`` (a real SDK integration which, if ever imported, first drops
a marker file named after itself into ``$APIARY_BENCH_IMPORT_MARKERS``) and
``config.json``, and a hand-written ``<name>-<version>.dist-info`` with
METADATA and an ``[apiary.integrations]`` entry point. Then times, as fresh
processes with ``PYTHONPATH`` set to that directory (median of N runs, the
three cases interleaved, after one warm-up run each):

  start-up   ``python -c pass``;
  floor      ``import importlib_metadata, json``, the entry point group
             scanned, each module's folder found with ``find_spec`` on its
             top-level name, each config.json ``json.load``-ed, the count
             printed: the least any discovery of installed integrations does;
  apiary     ``apiary list --json`` (the console script beside
             ``sys.executable``), its output checked to list the 100
             integrations with 5 actions each.

Prints each median in ms, apiary/floor (target <= 1.5), the same ratio with
the start-up subtracted from both, and the number of integration modules
imported by ``apiary list --json`` (marker files; must be 0). A positive
control imports one generated module and checks that its marker appears.
With ``--importtime K`` it also runs ``apiary list --json`` once under
``-X importtime`` and prints the K most expensive imports.

Usage: python bench/discovery.py [--runs N] [--integrations M] [--importtime K]
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Sequence
from pathlib import Path

PACKAGE_PREFIX = "apiary_bench_disc_"
ID_PREFIX = "bench_disc_"
MARKER_ENV = "APIARY_BENCH_IMPORT_MARKERS"
ACTIONS_PER_INTEGRATION = 5

FLOOR_SCRIPT = """\
import importlib.util, json
from pathlib import Path
import importlib_metadata

integrations = actions = 0
for entry_point in importlib_metadata.entry_points(group="apiary.integrations"):
    top = entry_point.value.partition(":")[0].strip().split(".")[0]
    spec = importlib.util.find_spec(top)
    with open(Path(spec.origin).parent / "config.json", encoding="utf-8") as file:
        config = json.load(file)
    integrations += 1
    actions += len(config.get("actions", {}))
print(integrations, actions)
"""

INIT_TEMPLATE = '''\
"""Generated benchmark integration {index:03d}."""
import os as _os

if _os.environ.get("{marker_env}"):
    open(_os.path.join(_os.environ["{marker_env}"], __name__), "w").close()

from autohive_integrations_sdk import ActionHandler, ActionResult, Integration

integration = Integration.load()
{handlers}
'''

HANDLER_TEMPLATE = '''

@integration.action("{action}")
class {cls}(ActionHandler):
    async def execute(self, inputs, context):
        response = await context.fetch("https://api.example.invalid/{resource}", params=inputs)
        return ActionResult(data=response.data)
'''

RESOURCES = ["contacts", "invoices", "tickets", "orders", "projects", "messages", "files", "events", "tasks", "deals"]


def _item_schema(resource: str) -> dict:
    return {
        "type": "object",
        "properties": {
            "id": {"type": "string", "description": f"The {resource[:-1]}'s id"},
            "name": {"type": "string"},
            "status": {"type": "string", "enum": ["active", "archived", "draft"]},
            "created_at": {"type": "string", "format": "date-time"},
            "owner": {"type": "object", "properties": {"id": {"type": "string"}, "email": {"type": "string"}}},
            "tags": {"type": "array", "items": {"type": "string"}},
        },
        "required": ["id", "name"],
    }


def _actions(resource: str) -> dict[str, dict]:
    item = _item_schema(resource)
    singular = resource[:-1]
    id_input = {
        "type": "object",
        "properties": {"id": {"type": "string", "minLength": 1, "description": f"The {singular} to act on"}},
        "required": ["id"],
    }
    fields = {
        "name": {"type": "string", "minLength": 1, "maxLength": 200},
        "status": {"type": "string", "enum": ["active", "archived", "draft"]},
        "tags": {"type": "array", "items": {"type": "string"}, "maxItems": 20},
    }
    return {
        f"list_{resource}": {
            "description": f"List {resource}, newest first, one page at a time",
            "input_schema": {
                "type": "object",
                "properties": {
                    "status": fields["status"],
                    "limit": {"type": "integer", "minimum": 1, "maximum": 100, "default": 25},
                    "cursor": {"type": "string", "description": "From the previous page's next_cursor"},
                },
            },
            "output_schema": {
                "type": "object",
                "properties": {"items": {"type": "array", "items": item}, "next_cursor": {"type": ["string", "null"]}},
                "required": ["items"],
            },
        },
        f"get_{singular}": {
            "description": f"Get one {singular} by id",
            "input_schema": id_input,
            "output_schema": item,
        },
        f"create_{singular}": {
            "description": f"Create a {singular}",
            "input_schema": {
                "type": "object",
                "properties": fields,
                "required": ["name"],
                "additionalProperties": False,
            },
            "output_schema": item,
        },
        f"update_{singular}": {
            "description": f"Change fields of a {singular}",
            "input_schema": {
                "type": "object",
                "properties": {"id": id_input["properties"]["id"], **fields},
                "required": ["id"],
                "additionalProperties": False,
            },
            "output_schema": item,
        },
        f"delete_{singular}": {
            "description": f"Delete a {singular}",
            "input_schema": id_input,
            "output_schema": {
                "type": "object",
                "properties": {"deleted": {"type": "boolean"}},
                "required": ["deleted"],
            },
        },
    }


def generate(site: Path, count: int) -> list[str]:
    """``count`` installed integration distributions under ``site``; returns their ids."""
    ids = []
    for index in range(count):
        package = f"{PACKAGE_PREFIX}{index:03d}"
        integration_id = f"{ID_PREFIX}{index:03d}"
        distribution = f"apiary-bench-disc-{index:03d}"
        version = f"1.{index % 7}.0"
        resource = RESOURCES[index % len(RESOURCES)]
        actions = _actions(resource)
        assert len(actions) == ACTIONS_PER_INTEGRATION
        config = {
            "name": integration_id,
            "display_name": f"Bench Service {index:03d}",
            "version": version,
            "description": f"Generated integration {index:03d}: {resource} of a made-up service",
            "entry_point": "__init__.py",
            "auth": {
                "type": "custom",
                "fields": {
                    "type": "object",
                    "properties": {"api_key": {"type": "string", "description": "API key from the settings page"}},
                    "required": ["api_key"],
                },
            },
            "actions": actions,
        }
        folder = site / package
        folder.mkdir()
        handlers = "".join(
            HANDLER_TEMPLATE.format(action=name, cls=f"Action{n}", resource=resource)
            for n, name in enumerate(actions)
        )
        (folder / "__init__.py").write_text(
            INIT_TEMPLATE.format(index=index, marker_env=MARKER_ENV, handlers=handlers), encoding="utf-8"
        )
        (folder / "config.json").write_text(json.dumps(config, indent=2), encoding="utf-8")

        dist_info = site / f"{distribution.replace('-', '_')}-{version}.dist-info"
        dist_info.mkdir()
        (dist_info / "METADATA").write_text(
            f"Metadata-Version: 2.1\nName: {distribution}\nVersion: {version}\n"
            f"Summary: {config['description']}\nRequires-Dist: apiary-sdk>=2.0\n",
            encoding="utf-8",
        )
        (dist_info / "entry_points.txt").write_text(
            f"[apiary.integrations]\n{integration_id} = {package}\n", encoding="utf-8"
        )
        (dist_info / "top_level.txt").write_text(f"{package}\n", encoding="utf-8")
        (dist_info / "INSTALLER").write_text("bench\n", encoding="utf-8")
        (dist_info / "RECORD").write_text("", encoding="utf-8")
        ids.append(integration_id)
    return ids


# ---- running the processes -----------------------------------------------------------


def run(command: Sequence[str], env: dict[str, str], timeout: float = 60) -> tuple[float, str]:
    """Wall seconds and stdout of ``command``; fails on a non-zero exit."""
    started = time.perf_counter()
    completed = subprocess.run(command, env=env, capture_output=True, text=True, timeout=timeout)
    seconds = time.perf_counter() - started
    if completed.returncode != 0:
        raise RuntimeError(f"{' '.join(command)} exited {completed.returncode}: {completed.stderr.strip()[-2000:]}")
    return seconds, completed.stdout


def check_floor(output: str, count: int) -> None:
    integrations, actions = (int(n) for n in output.split())
    if integrations < count or actions < count * ACTIONS_PER_INTEGRATION:
        raise RuntimeError(f"floor script found {integrations} integrations, {actions} actions")


def check_listing(output: str, ids: list[str]) -> int:
    """Every generated integration listed, discovered, with its 5 actions; returns other ids listed."""
    listed = {item["id"]: item for item in json.loads(output)}
    missing = [i for i in ids if i not in listed]
    if missing:
        raise RuntimeError(f"apiary list --json misses {len(missing)} integrations, e.g. {missing[0]}")
    for integration_id in ids:
        item = listed[integration_id]
        if item["state"] != "discovered" or len(item["actions"]) != ACTIONS_PER_INTEGRATION:
            raise RuntimeError(f"{integration_id}: state {item['state']} ({item.get('reason')}), "
                               f"{len(item['actions'])} actions")
    return len(set(listed) - set(ids))


def importtime_report(apiary: Path, env: dict[str, str], top: int) -> None:
    completed = subprocess.run(
        [sys.executable, "-X", "importtime", str(apiary), "list", "--json"],
        env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True, timeout=60,
    )
    rows = []
    for line in completed.stderr.splitlines():
        if not line.startswith("import time:") or "self [us]" in line:
            continue
        self_us, cumulative_us, name = line[len("import time:"):].split("|")
        depth = (len(name) - 1 - len(name.lstrip())) // 2  # "{' ' * 2 * depth}{name}" after one space
        rows.append((int(cumulative_us), int(self_us), depth, name.strip()))
    total = sum(cumulative for cumulative, _, depth, _ in rows if depth == 0)
    print(f"\n-X importtime of apiary list --json (one run; all top-level imports: {total / 1000:.1f} ms):")
    print(f"  {'cumulative':>10} {'self':>8}  module (depth)")
    for cumulative, self_us, depth, name in sorted(rows, reverse=True)[:top]:
        print(f"  {cumulative / 1000:8.1f} ms {self_us / 1000:6.1f} ms  {name} ({depth})")


def main(runs: int, count: int, importtime_top: int) -> None:
    apiary = Path(sys.executable).parent / "apiary"
    if not apiary.exists():
        raise SystemExit(f"no console script at {apiary}: install the project (pip install -e .)")
    with tempfile.TemporaryDirectory(prefix="apiary-bench-site-") as root:
        site, markers = Path(root) / "site-packages", Path(root) / "markers"
        site.mkdir()
        markers.mkdir()
        ids = generate(site, count)

        env = {k: v for k, v in os.environ.items() if k not in ("APIARY_CONFIG", "PYTHONPATH", "PYTHONSTARTUP")}
        env.update({"PYTHONPATH": str(site), MARKER_ENV: str(markers)})
        cases = {
            "python -c pass": ([sys.executable, "-c", "pass"], None),
            "bare scan + read (floor)": ([sys.executable, "-c", FLOOR_SCRIPT], lambda out: check_floor(out, count)),
            "apiary list --json": ([str(apiary), "list", "--json"], None),
        }
        others = 0
        for name, (command, check) in cases.items():  # warm up: page cache, and check each works
            _, output = run(command, env)
            if check is not None:
                check(output)
            if name == "apiary list --json":
                others = check_listing(output, ids)

        samples: dict[str, list[float]] = {name: [] for name in cases}
        for _ in range(runs):
            for name, (command, _check) in cases.items():
                seconds, output = run(command, env)
                samples[name].append(seconds)
                if name == "apiary list --json":
                    check_listing(output, ids)
        imported = sorted(path.name for path in markers.iterdir())

        # Positive control: importing a generated module does leave a marker.
        control = Path(root) / "control"
        control.mkdir()
        run([sys.executable, "-c", f"import {PACKAGE_PREFIX}000"], {**env, MARKER_ENV: str(control)})
        control_ok = (control / f"{PACKAGE_PREFIX}000").exists()

        medians = {name: statistics.median(values) * 1000 for name, values in samples.items()}
        start, floor, listing = (medians[name] for name in cases)
        print(f"{count} generated integration distributions x {ACTIONS_PER_INTEGRATION} actions, "
              f"PYTHONPATH={site.name}/ ({others} other integrations installed in the environment)")
        print(f"median of {runs} fresh processes each, cases interleaved, after one warm-up run each "
              f"(python {sys.version.split()[0]}, {sys.executable})")
        for name, value in medians.items():
            spread = f"{min(samples[name]) * 1000:6.1f}-{max(samples[name]) * 1000:<6.1f}"
            print(f"  {name:<26} {value:7.1f} ms   (min-max {spread} ms)")
        print(f"apiary / floor:                               {listing / floor:5.2f}x  (target <= 1.5)")
        print(f"(apiary - start-up) / (floor - start-up):     {(listing - start) / (floor - start):5.2f}x  "
              f"({listing - start:.1f} ms vs {floor - start:.1f} ms)")
        print(f"integration modules imported: {len(imported)}"
              + (f" ({', '.join(imported[:5])}{'...' if len(imported) > 5 else ''})" if imported else "")
              + f"  (positive control: importing one leaves a marker: {'yes' if control_ok else 'NO'})")
        if importtime_top:
            importtime_report(apiary, env, importtime_top)
        if imported or not control_ok:
            raise SystemExit(1)


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--runs", type=int, default=10, help="timed runs of each case (default 10)")
    parser.add_argument("--integrations", type=int, default=100, help="generated distributions (default 100)")
    parser.add_argument("--importtime", type=int, default=0, metavar="K",
                        help="also print the K most expensive imports of apiary list --json (default 0: off)")
    arguments = parser.parse_args()
    if not 1 <= arguments.runs <= 1000 or not 1 <= arguments.integrations <= 1000:
        parser.error("--runs and --integrations must be between 1 and 1000")
    main(arguments.runs, arguments.integrations, arguments.importtime)
