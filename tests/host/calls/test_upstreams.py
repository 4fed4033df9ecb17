"""The upstream override: every request for a configured origin goes to its
replacement instead, so integrations run unmodified against local fakes."""

from __future__ import annotations

import pytest

from apiary import ConfigError, HostConfig, parse_config


def test_off_by_default():
    assert HostConfig().upstreams == {}
    assert parse_config({}).upstreams == {}


def test_origins_are_normalised():
    config = parse_config({"upstreams": {"HTTPS://API.GitHub.com:443/": "http://127.0.0.1:8081"}})
    assert config.upstreams == {"https://api.github.com": "http://127.0.0.1:8081"}


@pytest.mark.parametrize(
    "origin, target",
    [
        ("https://api.github.com/repos", "http://127.0.0.1:8081"),  # a path is not an origin
        ("https://api.github.com", "ftp://127.0.0.1"),  # not http(s)
        ("api.github.com", "http://127.0.0.1:8081"),  # no scheme
        ("https://api.github.com", "http://user:pw@127.0.0.1:8081"),  # user info
        ("https://api.github.com", "http://127.0.0.1:8081?x=1"),  # a query
    ],
)
def test_anything_but_an_origin_is_refused_naming_the_key(origin, target):
    with pytest.raises(ConfigError, match=r"upstreams\."):
        parse_config({"upstreams": {origin: target}})


async def test_requests_for_the_origin_reach_the_replacement(make_host, fake_upstream, logs):
    origin = fake_upstream.url("").rstrip("/")
    host = await make_host("echo", config={"upstreams": {"https://api.example.test": origin}})

    result = await host.call("echo", "fetch_json", {"url": "https://api.example.test/json?page=2"})

    assert result.type.value == "action", result.result
    assert result.result.data["data"] == {"hello": "world", "items": [1, 2, 3]}
    seen = fake_upstream.seen("/json")
    assert len(seen) == 1 and seen[0].query == {"page": "2"}
    overridden = [line for line in logs.lines() if line.get("event") == "upstream_overridden"]
    assert overridden and overridden[0]["origin"] == "https://api.example.test"
    assert overridden[0]["to"] == origin and overridden[0]["path"] == "/json"
    assert "page" not in str(overridden[0]), "query strings are never logged"


async def test_other_origins_are_left_alone(make_host, fake_upstream, logs):
    host = await make_host("echo", config={"upstreams": {"https://api.example.test": "http://127.0.0.1:9"}})

    result = await host.call("echo", "fetch_json", {"url": fake_upstream.url("/json")})

    assert result.type.value == "action", result.result
    assert not [line for line in logs.lines() if line.get("event") == "upstream_overridden"]
