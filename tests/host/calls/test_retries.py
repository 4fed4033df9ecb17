"""Retries a user controls: ``pool.max_retries``, ``[integrations.X]
max_retries``, ``[upstream_retries]`` per origin and a call's own
``retries`` (``apiary call --retries``), under a handler's explicit choice.

Each case counts the attempts at a URL where nothing listens (a connection
failure, which the SDK retries); the values stay at 0 and 1 so the back-off
sleeps (1 s before a first retry) stay short.
"""

from __future__ import annotations

import pytest
from yarl import URL

from apiary import ConfigError, parse_config
from apiary.hooks import hookimpl
from autohive_integrations_sdk import ResultType


class Attempts:
    def __init__(self):
        self.count = 0

    @hookimpl
    def apiary_upstream_request(self, call, request):
        self.count += 1


def origin(url: str) -> str:
    return str(URL(url).origin())


async def attempts(make_host, refused_url, config, inputs=None, **kwargs) -> int:
    counter = Attempts()
    host = await make_host("echo", config=config, plugins=[counter])
    result = await host.call("echo", "fetch_json", {"url": refused_url, **(inputs or {})}, **kwargs)
    assert result.type is ResultType.ERROR and result.result["error"] == "upstream_error", result
    return counter.count


async def test_pool_max_retries_is_every_integrations_default(make_host, refused_url):
    assert await attempts(make_host, refused_url, {"pool": {"max_retries": 0}}) == 1


async def test_an_integration_sets_its_own(make_host, refused_url):
    config = {"pool": {"max_retries": 0}, "integrations": {"echo": {"max_retries": 1}}}
    assert await attempts(make_host, refused_url, config) == 2


async def test_an_upstream_origin_sets_its_own_over_the_integrations(make_host, refused_url):
    config = {"integrations": {"echo": {"max_retries": 1}}, "upstream_retries": {origin(refused_url): 0}}
    assert await attempts(make_host, refused_url, config) == 1


async def test_the_calls_own_retries_win_over_the_config(make_host, refused_url):
    config = {"integrations": {"echo": {"max_retries": 1}}, "upstream_retries": {origin(refused_url): 1}}
    assert await attempts(make_host, refused_url, config, retries=0) == 1


async def test_a_handler_that_sets_max_retries_itself_is_obeyed(make_host, refused_url):
    config = {"pool": {"max_retries": 0}, "upstream_retries": {origin(refused_url): 0}}
    assert await attempts(make_host, refused_url, config, {"retries": 1}, retries=0) == 2


def test_config_defaults_and_mistakes():
    config = parse_config({})
    assert config.pool.max_retries == 3  # the SDK's own default
    assert config.retries_for("echo") == 3
    parsed = parse_config(
        {
            "pool": {"max_retries": 2},
            "integrations": {"echo": {"max_retries": 0}},
            "upstream_retries": {"HTTPS://API.Example.com:443": 1},
        }
    )
    assert (parsed.retries_for("echo"), parsed.retries_for("other")) == (0, 2)
    assert parsed.upstream_retries == {"https://api.example.com": 1}
    for bad, key in [
        ({"pool": {"max_retries": -1}}, "pool.max_retries"),
        ({"integrations": {"echo": {"max_retries": "two"}}}, "integrations.echo.max_retries"),
        ({"upstream_retries": {"https://api.example.com": True}}, "upstream_retries"),
        ({"upstream_retries": {"api.example.com": 1}}, "upstream_retries"),
    ]:
        with pytest.raises(ConfigError, match=key.replace(".", r"\.")):
            parse_config(bad)
