"""Folder integrations through every face, as a user runs them.

All six fixture folders of ``tests/fixtures/folders`` are named in a host
config (``[host] folders``) and hosted by one ``apiary`` process at a time:
the CLI (``list``, ``show``, ``check``, ``call``), ``apiary serve`` over
HTTP and ``apiary mcp`` over stdio, each a real subprocess. Each folder
answers with its own behaviour: the collision pair (``twin-alpha`` and
``twin-beta``, the same module names) keeps its own helpers however the
calls interleave.

The subprocesses host only the folders: no fixture plugins on PYTHONPATH and
the shipped integrations disabled by config. ``weather`` reaches its
upstream, ``https://api.weather.example``, through the host config's
``[upstreams]`` override, at a fake on 127.0.0.1 in this test process; its
key comes from the environment through the config and must never show up in
the logs.
"""

from __future__ import annotations

import asyncio
import json
import os
import shutil
import subprocess
from collections.abc import AsyncIterator, Sequence
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import aiohttp
import pytest
from aiohttp import web
from aiohttp.test_utils import TestServer
from mcp.client.session import ClientSession
from mcp.client.stdio import StdioServerParameters, stdio_client

from ._serve import APIARY, SHIPPED, ServerProcess, disabled, free_port

FOLDERS = (Path(__file__).parents[1] / "fixtures" / "folders").resolve()
WEATHER_KEY = "weather-canary-Pf83Kd2Rx6"

# id -> (folder name, action names in config.json order)
EXPECTED = {
    "lazy": ("lazy", ["render", "plugin"]),
    "noarg": ("noarg", ["count_words"]),
    "solo-notes": ("Solo_Notes", ["add", "shout"]),
    "twin-alpha": ("twin-alpha", ["lookup"]),
    "twin-beta": ("twin_beta", ["lookup"]),
    "weather": ("weather", ["forecast", "convert"]),
}

# What the fake upstream answers for GET /v1/forecast: 50 F is 10.0 C.
HIGH_F = 50


def twin(twin_id: str, x: int, folders: Path = FOLDERS) -> dict[str, Any]:
    """The data ``lookup`` of a twin returns for ``x``."""
    if twin_id == "twin-alpha":
        return {"twin": "alpha", "value": x * 2, "helpers_file": str(folders / "twin-alpha" / "helpers.py")}
    return {"twin": "beta", "value": x + 100, "helpers_file": str(folders / "twin_beta" / "helpers.py")}


# (integration, action, inputs, expected data) for every fixture action.
CALLS = [
    ("solo-notes", "add", {"a": 2, "b": 3.5}, {"sum": 5.5}),
    ("solo-notes", "shout", {"note": "quiet please"}, {"note": "QUIET PLEASE!"}),
    ("weather", "convert", {"fahrenheit": 212}, {"celsius": 100.0, "source": "weather"}),
    (
        "weather", "forecast", {"city": "Oslo"},
        {"city": "Oslo", "high_c": 10.0, "summary": "Sunny in Oslo", "source": "weather"},
    ),
    ("twin-alpha", "lookup", {"x": 5}, twin("twin-alpha", 5)),
    ("twin-beta", "lookup", {"x": 5}, twin("twin-beta", 5)),
    ("lazy", "render", {"name": "Ada"}, {"text": "Hello, Ada. -- lazy"}),
    # The modules live in lazy's private package, not under bare names.
    ("lazy", "plugin", {"kind": "upper", "text": "abc"},
     {"text": "ABC", "module": "_apiary_folders.lazy.plugin_upper"}),
    ("lazy", "plugin", {"kind": "reverse", "text": "abc"},
     {"text": "cba", "module": "_apiary_folders.lazy.plugin_reverse"}),
    ("noarg", "count_words", {"text": "one two  three\nfour"}, {"words": 4, "config_name": "noarg"}),
]


# ---- the fake weather API ---------------------------------------------------------


@dataclass
class WeatherApi:
    server: TestServer
    requests: list[web.Request] = field(default_factory=list)

    @property
    def origin(self) -> str:
        return f"http://127.0.0.1:{self.server.port}"

    def forecasts(self) -> list[dict[str, Any]]:
        return [
            {"path": request.path, "query": dict(request.query), "key": request.headers.get("X-Api-Key")}
            for request in self.requests
        ]


@pytest.fixture
async def weather_api() -> AsyncIterator[WeatherApi]:
    """A stand-in for https://api.weather.example on 127.0.0.1 recording what it got."""
    api = WeatherApi(server=None)  # type: ignore[arg-type]

    async def forecast(request: web.Request) -> web.Response:
        api.requests.append(request)
        return web.json_response({"high_f": HIGH_F, "summary": f"Sunny in {request.query.get('city')}"})

    app = web.Application()
    app.router.add_get("/v1/forecast", forecast)
    api.server = TestServer(app, host="127.0.0.1")
    await api.server.start_server()
    try:
        yield api
    finally:
        await api.server.close()


# ---- config, environment, subprocesses ----------------------------------------------


def host_config(path: Path, folders: Sequence[str], upstream: str = "http://127.0.0.1:9", extra: str = "") -> Path:
    """A host config at ``path`` hosting the ``folders`` directories only."""
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(
        "[logging]\nformat = \"json\"\n"
        f"[host]\nfolders = {json.dumps(list(folders))}\n"
        + disabled(*SHIPPED)
        + f'[upstreams]\n"https://api.weather.example" = "{upstream}"\n'
        + '[integrations.weather.accounts.default]\napi_key = { env = "WEATHER_KEY" }\n'
        + extra,
        encoding="utf-8",
    )
    return path


def folder_env() -> dict[str, str]:
    """No APIARY_* from outside, no fixture plugins, no bytecode written
    into the fixture folders; the weather key for the config to read."""
    env = {key: value for key, value in os.environ.items() if not key.startswith("APIARY_")}
    env.pop("PYTHONPATH", None)
    env.pop("COLUMNS", None)
    env["PYTHONDONTWRITEBYTECODE"] = "1"
    env["WEATHER_KEY"] = WEATHER_KEY
    return env


@dataclass
class Run:
    args: Sequence[str]
    returncode: int
    stdout: str
    stderr: str

    def json(self) -> Any:
        try:
            return json.loads(self.stdout)
        except ValueError as error:
            raise AssertionError(
                f"apiary {' '.join(self.args)}: stdout is not JSON:\n{self.stdout}\n{self.stderr}"
            ) from error

    def ok(self) -> Run:
        command = " ".join(self.args)
        assert self.returncode == 0, f"apiary {command} exited {self.returncode}:\n{self.stdout}\n{self.stderr}"
        return self

    def data(self) -> Any:
        """The data of a successful ``apiary call``."""
        document = self.ok().json()
        assert set(document) == {"version", "type", "result"}, document
        assert document["type"] == "action", document
        return document["result"]["data"]

    def events(self, event: str) -> list[dict[str, Any]]:
        lines = [json.loads(line) for line in self.stderr.splitlines() if line.startswith("{")]
        return [line for line in lines if line.get("event") == event]


def apiary(*args: str, cwd: Path | None = None) -> Run:
    """Run ``apiary args`` and wait (bounded)."""
    completed = subprocess.run(
        [str(APIARY), *args], stdin=subprocess.DEVNULL, capture_output=True, text=True,
        env=folder_env(), cwd=str(cwd) if cwd else None, timeout=60,
    )
    return Run(args, completed.returncode, completed.stdout, completed.stderr)


async def apiary_async(*args: str) -> Run:
    """The same without blocking the loop the fake upstream runs in."""
    process = await asyncio.create_subprocess_exec(
        str(APIARY), *args,
        stdin=asyncio.subprocess.DEVNULL, stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE,
        env=folder_env(),
    )
    try:
        stdout, stderr = await asyncio.wait_for(process.communicate(), timeout=60)
    finally:
        if process.returncode is None:
            process.kill()
            await process.wait()
    return Run(args, process.returncode, stdout.decode(), stderr.decode())


@pytest.fixture
def config(tmp_path: Path) -> Path:
    """The fixture folders by absolute path; weather's upstream unreachable
    (tests that call it use ``weather_config``)."""
    return host_config(tmp_path / "apiary.toml", [str(FOLDERS)])


@pytest.fixture
def weather_config(tmp_path: Path, weather_api: WeatherApi) -> Path:
    return host_config(tmp_path / "apiary.toml", [str(FOLDERS)], upstream=weather_api.origin)


def by_id(items: list[dict[str, Any]]) -> dict[str, dict[str, Any]]:
    return {item["id"]: item for item in items}


def assert_the_six(items: list[dict[str, Any]], state: str, folders: Path = FOLDERS) -> None:
    listed = by_id(items)
    assert sorted(listed) == sorted(EXPECTED)
    for integration_id, (folder, actions) in EXPECTED.items():
        item = listed[integration_id]
        assert (item["state"], item["reason"]) == (state, None), item
        assert [action["name"] for action in item["actions"]] == actions, item
        assert item["source"] == f"folder {folders / folder}", item


# ---- CLI ------------------------------------------------------------------------------


def test_list_shows_the_six_folders_discovered_and_eager_loads_them(config):
    listed = apiary("list", "--json", "--config", str(config)).ok()
    assert_the_six(listed.json(), "discovered")

    eager = apiary("list", "--eager", "--json", "--config", str(config)).ok()
    assert_the_six(eager.json(), "loaded")

    table = apiary("list", "--config", str(config)).ok()
    rows = [line.split() for line in table.stdout.splitlines()[1:]]
    assert sorted((row[0], row[2]) for row in rows) == sorted(
        (integration_id, action) for integration_id, (_, actions) in EXPECTED.items() for action in actions
    )


def test_a_relative_folders_path_is_taken_from_the_config_files_directory(tmp_path):
    config_dir = tmp_path / "conf" / "deeper"
    config_dir.mkdir(parents=True)
    relative = os.path.relpath(FOLDERS, config_dir)
    assert not os.path.isabs(relative) and relative.startswith("..")
    config = host_config(config_dir / "apiary.toml", [relative])
    # Run from a directory the relative path means nothing in (deeper than
    # the config's, so the `..`s do not climb to the same place).
    elsewhere = tmp_path / "elsewhere" / "much" / "deeper"
    elsewhere.mkdir(parents=True)
    assert not (elsewhere / relative).exists()

    listed = apiary("list", "--json", "--config", str(config), cwd=elsewhere).ok()
    assert_the_six(listed.json(), "discovered")
    called = apiary("call", "twin-beta", "lookup", "--input", '{"x": 7}', "--config", str(config), cwd=elsewhere)
    assert called.data() == twin("twin-beta", 7)


async def test_every_fixture_action_through_the_cli(weather_config, weather_api):
    # One process per call, run side by side (each waits for its own answer).
    runs = await asyncio.gather(*(
        apiary_async("call", integration, action, "--input", json.dumps(inputs), "--config", str(weather_config))
        for integration, action, inputs, _ in CALLS
    ))
    for (integration, action, inputs, expected), run in zip(CALLS, runs, strict=True):
        assert run.data() == expected, (integration, action, inputs)
        [call] = run.events("call")
        assert (call["integration"], call["action"], call["outcome"]) == (integration, action, "action")
        assert WEATHER_KEY not in run.stderr and WEATHER_KEY not in run.stdout

    # weather's one upstream request: overridden to the fake, with the key
    # from the config (via the environment) and the city.
    assert weather_api.forecasts() == [{"path": "/v1/forecast", "query": {"city": "Oslo"}, "key": WEATHER_KEY}]
    forecast_run = runs[[action for _, action, _, _ in CALLS].index("forecast")]
    [overridden] = forecast_run.events("upstream_overridden")
    assert (overridden["origin"], overridden["to"], overridden["path"]) == (
        "https://api.weather.example", weather_api.origin, "/v1/forecast"
    )


async def test_weather_without_its_key_is_a_credentials_error_naming_the_variable(weather_config, weather_api):
    process = await asyncio.create_subprocess_exec(
        str(APIARY), "call", "weather", "forecast", "--input", '{"city": "Oslo"}', "--config", str(weather_config),
        stdin=asyncio.subprocess.DEVNULL, stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE,
        env={key: value for key, value in folder_env().items() if key != "WEATHER_KEY"},
    )
    stdout, _ = await asyncio.wait_for(process.communicate(), timeout=60)
    assert process.returncode == 4
    result = json.loads(stdout)["result"]
    assert result["error"] == "credentials_unavailable" and "WEATHER_KEY" in result["message"]
    assert weather_api.requests == []


def test_check_reports_the_six_ok(config):
    checked = apiary("check", "--json", "--config", str(config)).ok()
    reports = by_id(checked.json())
    assert sorted(reports) == sorted(EXPECTED)
    for integration_id, report in reports.items():
        assert (report["ok"], report["problems"]) == (True, []), report
        assert report["source"] == f"folder {FOLDERS / EXPECTED[integration_id][0]}"

    text = apiary("check", "--config", str(config)).ok()
    assert sorted(line.split() for line in text.stdout.splitlines()[:-1]) == sorted(["ok", i] for i in EXPECTED)
    assert text.stdout.splitlines()[-1] == "6 integrations checked, 0 with problems"


def test_show_twin_beta(config):
    shown = apiary("show", "twin-beta", "--json", "--config", str(config)).ok().json()
    assert (shown["id"], shown["name"], shown["version"]) == ("twin-beta", "Twin beta", "1.0.0")
    assert shown["source"] == f"folder {FOLDERS / 'twin_beta'}"
    assert shown["config_path"] == str(FOLDERS / "twin_beta" / "config.json")
    assert shown["auth"]["type"] == "none"
    [lookup] = shown["actions"]
    assert lookup["name"] == "lookup" and lookup["input_schema"]["required"] == ["x"]

    page = apiary("show", "twin-beta", "--config", str(config)).ok().stdout
    assert page.splitlines()[0].startswith("twin-beta 1.0.0")
    assert f"source: folder {FOLDERS / 'twin_beta'}" in page and "lookup:" in page

    # The folder's name is not its id.
    missing = apiary("show", "twin_beta", "--config", str(config))
    assert missing.returncode == 4 and "twin_beta" in missing.stderr


# ---- HTTP -------------------------------------------------------------------------------


async def post(session: aiohttp.ClientSession, integration: str, action: str, inputs: dict[str, Any]) -> Any:
    async with session.post(f"/integrations/{integration}/actions/{action}", json={"inputs": inputs}) as response:
        body = await response.json()
        assert response.status == 200, (integration, action, response.status, body)
        assert body["type"] == "action", body
        return body["result"]["data"]


async def test_serve_answers_every_folder_and_keeps_the_twins_apart(tmp_path, weather_config, weather_api):
    port = free_port()
    server = ServerProcess(
        [str(APIARY), "serve", "--port", str(port), "--config", str(weather_config)],
        folder_env(),
        tmp_path / "serve",
        port,
    )
    try:
        await asyncio.to_thread(server.wait_ready)
        async with aiohttp.ClientSession(base_url=server.base_url, timeout=aiohttp.ClientTimeout(total=30)) as session:
            async with session.get("/integrations") as response:
                assert response.status == 200
                listed = await response.json()
            assert sorted(by_id(listed)) == sorted(EXPECTED)
            for integration_id, (folder, actions) in EXPECTED.items():
                item = by_id(listed)[integration_id]
                assert [action["name"] for action in item["actions"]] == actions
                assert item["source"] == f"folder {FOLDERS / folder}"
                assert item["state"] in ("discovered", "loaded")

            # The collision pair, interleaved: each keeps its own helpers.
            for round_ in range(5):
                for twin_id in (("twin-alpha", "twin-beta") if round_ % 2 == 0 else ("twin-beta", "twin-alpha")):
                    assert await post(session, twin_id, "lookup", {"x": round_}) == twin(twin_id, round_)
            # Both at once too.
            pair = await asyncio.gather(*(
                post(session, twin_id, "lookup", {"x": x}) for x in range(3) for twin_id in ("twin-alpha", "twin-beta")
            ))
            assert pair == [twin(twin_id, x) for x in range(3) for twin_id in ("twin-alpha", "twin-beta")]

            for integration, action, inputs, expected in CALLS:
                assert await post(session, integration, action, inputs) == expected, (integration, action)

            async with session.get("/integrations") as response:
                after = by_id(await response.json())
            assert {integration_id: item["state"] for integration_id, item in after.items()} == {
                integration_id: "loaded" for integration_id in EXPECTED
            }

        assert weather_api.forecasts() == [{"path": "/v1/forecast", "query": {"city": "Oslo"}, "key": WEATHER_KEY}]
        calls = server.events("call")
        assert len(calls) == 10 + 6 + len(CALLS)
        assert all(line["outcome"] == "action" for line in calls)
        assert WEATHER_KEY not in server.stderr() and WEATHER_KEY not in server.stdout()
    finally:
        await asyncio.to_thread(server.stop)


# ---- MCP over stdio -----------------------------------------------------------------


@asynccontextmanager
async def mcp_session(config: Path, errlog: Path) -> AsyncIterator[ClientSession]:
    params = StdioServerParameters(command=str(APIARY), args=["mcp", "--config", str(config)], env=folder_env())
    with open(errlog, "w", encoding="utf-8") as err:
        async with stdio_client(params, errlog=err) as (read, write):
            async with ClientSession(read, write, read_timeout_seconds=60) as session:
                await asyncio.wait_for(session.initialize(), timeout=60)
                yield session


async def test_mcp_lists_every_folder_action_and_calls_the_twins(tmp_path, config):
    async with mcp_session(config, tmp_path / "mcp.err") as session:
        tools = await asyncio.wait_for(session.list_tools(), timeout=60)
        calls = []
        for x in (1, 2, 3):
            for twin_id in ("twin-beta", "twin-alpha"):
                result = await asyncio.wait_for(session.call_tool(f"{twin_id}__lookup", {"x": x}), timeout=60)
                calls.append((twin_id, x, result))
    assert sorted(tool.name for tool in tools.tools) == sorted(
        f"{integration_id}__{action}" for integration_id, (_, actions) in EXPECTED.items() for action in actions
    )
    for twin_id, x, result in calls:
        assert result.is_error is False, result
        assert result.structured_content == twin(twin_id, x)


# ---- broken folders next to healthy ones -------------------------------------------


ACTION = {
    "description": "Does nothing",
    "input_schema": {"type": "object", "properties": {}},
    "output_schema": {"type": "object", "properties": {}},
}


def write_folder(folder: Path, entry_point: str, files: dict[str, str]) -> None:
    folder.mkdir(parents=True)
    config = {"name": folder.name, "version": "0.0.1", "description": "broken on purpose",
              "entry_point": entry_point, "actions": {"run": ACTION}}
    (folder / "config.json").write_text(json.dumps(config), encoding="utf-8")
    for name, text in files.items():
        (folder / name).write_text(text, encoding="utf-8")


def test_broken_folders_are_reported_and_a_healthy_one_still_answers(tmp_path):
    mixed = tmp_path / "mixed"
    shutil.copytree(FOLDERS / "twin_beta", mixed / "twin_beta", ignore=shutil.ignore_patterns("__pycache__"))
    write_folder(mixed / "missing-entry", "nowhere.py", {"helpers.py": "X = 1\n"})
    write_folder(
        mixed / "bad_import",
        "bad_import.py",
        {"bad_import.py": "import helpers_that_do_not_exist\n\nfrom autohive_integrations_sdk import Integration\n\n"
                          "bad_import = Integration.load()\n"},
    )
    config = host_config(tmp_path / "apiary.toml", [str(mixed)])

    listed = by_id(apiary("list", "--json", "--config", str(config)).ok().json())
    assert sorted(listed) == ["bad-import", "missing-entry", "twin-beta"]
    # Found wrong on disk: broken without importing anything.
    missing = listed["missing-entry"]
    assert missing["state"] == "broken"
    assert "nowhere.py" in missing["reason"] and "entry_point" in missing["reason"]
    # Only importing finds the missing module: plain `list` imports nothing.
    assert (listed["bad-import"]["state"], listed["bad-import"]["reason"]) == ("discovered", None)
    assert (listed["twin-beta"]["state"], listed["twin-beta"]["reason"]) == ("discovered", None)

    eager = by_id(apiary("list", "--eager", "--json", "--config", str(config)).ok().json())
    assert eager["bad-import"]["state"] == "broken"
    assert "helpers_that_do_not_exist" in eager["bad-import"]["reason"]
    assert eager["missing-entry"]["state"] == "broken" and "nowhere.py" in eager["missing-entry"]["reason"]
    assert (eager["twin-beta"]["state"], eager["twin-beta"]["reason"]) == ("loaded", None)

    healthy = apiary("call", "twin-beta", "lookup", "--input", '{"x": 5}', "--config", str(config))
    assert healthy.data() == twin("twin-beta", 5, folders=mixed)

    for integration_id, needle in (("bad-import", "helpers_that_do_not_exist"), ("missing-entry", "nowhere.py")):
        called = apiary("call", integration_id, "run", "--config", str(config))
        assert called.returncode == 4, called.stdout + called.stderr
        result = called.json()["result"]
        assert result["error"] == "integration_broken" and needle in result["message"], result
        assert "Traceback" not in called.stdout

    checked = apiary("check", "--json", "--config", str(config))
    assert checked.returncode == 1, checked.stdout + checked.stderr
    reports = by_id(checked.json())
    assert reports["twin-beta"]["ok"] is True
    assert reports["bad-import"]["ok"] is False
    assert any("helpers_that_do_not_exist" in problem for problem in reports["bad-import"]["problems"])
    assert reports["missing-entry"]["ok"] is False
    assert any("nowhere.py" in problem for problem in reports["missing-entry"]["problems"])
