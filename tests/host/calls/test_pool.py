"""The shared session pool: cookie isolation, the per-integration bulkhead,
keep-alive reuse, limits from the config, and a clean close."""

from __future__ import annotations

import asyncio

import aiohttp
import pytest

from autohive_integrations_sdk import ResultType

# Cookies for IP-address hosts are refused by aiohttp's cookie jar (as by
# browsers), so the cookie tests address the fake upstream as "localhost".
HOST = "localhost"


def cookie_pair(fake_upstream) -> str:
    name, value = fake_upstream.cookie
    return f"{name}={value}"


async def test_a_cookie_set_in_a_call_is_sent_within_that_call(make_host, fake_upstream):
    host = await make_host("echo")
    result = await host.call(
        "echo",
        "set_cookie",
        {"url": fake_upstream.url("/set-cookie", HOST), "then_read": fake_upstream.url("/read-cookie", HOST)},
    )
    assert result.type is ResultType.ACTION, result
    assert result.result.data["cookie"] == cookie_pair(fake_upstream)


async def test_a_cookie_never_reaches_another_call(make_host, fake_upstream):
    host = await make_host("echo", "keyed")
    set_result = await host.call("echo", "set_cookie", {"url": fake_upstream.url("/set-cookie", HOST)})
    assert set_result.type is ResultType.ACTION

    # The same integration, next call.
    again = await host.call("echo", "read_cookie", {"url": fake_upstream.url("/read-cookie", HOST)})
    assert again.result.data == {"cookie": None}
    # Another integration and another account, same upstream host.
    other = await host.call(
        "keyed", "whoami", {"url": fake_upstream.url("/whoami", HOST)}, auth={"api_key": "key-other-account"}
    )
    assert other.type is ResultType.ACTION
    assert other.result.data["data"]["cookie"] is None
    assert [request.headers.get("Cookie") for request in fake_upstream.requests[1:]] == [None, None]


async def test_concurrent_calls_do_not_share_cookies(make_host, fake_upstream):
    """Call A is in flight while call B gets a cookie; A's next request,
    sent after that, carries none of B's cookies."""
    host = await make_host("echo")
    call_a = asyncio.create_task(
        host.call(
            "echo",
            "set_cookie",
            {"url": fake_upstream.url("/gate", HOST), "then_read": fake_upstream.url("/read-cookie", HOST)},
        )
    )
    await fake_upstream.wait_in_flight(1)
    call_b = await host.call(
        "echo",
        "set_cookie",
        {"url": fake_upstream.url("/set-cookie", HOST), "then_read": fake_upstream.url("/read-cookie", HOST)},
    )
    assert call_b.result.data["cookie"] == cookie_pair(fake_upstream)
    fake_upstream.gate.set()
    result_a = await call_a
    assert result_a.type is ResultType.ACTION
    assert result_a.result.data == {"status": 200, "cookie": None}
    # B's read came before A's: A's request was the last to reach the upstream.
    assert [request.headers.get("Cookie") for request in fake_upstream.seen("/read-cookie")] == [
        cookie_pair(fake_upstream),
        None,
    ]


async def test_bulkhead_caps_one_integration_without_blocking_others(make_host, fake_upstream):
    host = await make_host("echo", "keyed", config={"pool": {"per_integration": 2}})
    slow_calls = [
        asyncio.create_task(host.call("echo", "fetch_json", {"url": fake_upstream.url("/gate")}))
        for _ in range(6)
    ]
    await fake_upstream.wait_in_flight(2)
    # Give the other four every chance to reach the upstream if the cap leaked.
    for _ in range(20):
        await asyncio.sleep(0)
    assert fake_upstream.in_flight == 2

    # Another integration is not starved: its call completes while the six wait.
    other = await asyncio.wait_for(
        host.call("keyed", "whoami", {"url": fake_upstream.url("/whoami")}, auth={"api_key": "key-bystander"}),
        timeout=30,
    )
    assert other.type is ResultType.ACTION
    assert other.result.data["data"]["api_key"] == "key-bystander"
    assert not any(task.done() for task in slow_calls)
    assert fake_upstream.in_flight == 2

    fake_upstream.gate.set()
    results = await asyncio.gather(*slow_calls)
    assert [result.type for result in results] == [ResultType.ACTION] * 6
    assert len(fake_upstream.seen("/gate")) == 6
    assert fake_upstream.max_in_flight == 2


async def test_bulkhead_limit_per_integration_from_config(make_host, fake_upstream):
    host = await make_host(
        "echo", config={"pool": {"per_integration": 10}, "integrations": {"echo": {"per_integration": 1}}}
    )
    calls = [
        asyncio.create_task(host.call("echo", "fetch_json", {"url": fake_upstream.url("/gate")})) for _ in range(3)
    ]
    await fake_upstream.wait_in_flight(1)
    for _ in range(20):
        await asyncio.sleep(0)
    assert fake_upstream.in_flight == 1
    fake_upstream.gate.set()
    assert all(result.type is ResultType.ACTION for result in await asyncio.gather(*calls))
    assert fake_upstream.max_in_flight == 1


async def test_keep_alive_reuses_connections(make_host, fake_upstream):
    host = await make_host("echo")
    for _ in range(5):
        result = await host.call("echo", "fetch_json", {"url": fake_upstream.url("/json")})
        assert result.type is ResultType.ACTION
    peers = {request.peer for request in fake_upstream.seen("/json")}
    assert len(fake_upstream.seen("/json")) == 5
    assert len(peers) == 1


async def test_the_pool_is_closed_when_the_host_exits(fake_upstream):
    from apiary import Host, parse_config

    from .._support import fixture_source

    host = Host(parse_config({}), sources=[fixture_source("echo")], load_plugin_entry_points=False)
    async with host:
        assert host.is_open
        assert (await host.call("echo", "fetch_json", {"url": fake_upstream.url("/json")})).type is ResultType.ACTION
        sessions = list(host._pool._sessions.values())
        assert len(sessions) == 1 and not sessions[0].closed
    assert sessions[0].closed
    assert not host.is_open


async def test_limits_come_from_the_config(make_host):
    host = await make_host(
        "echo", config={"pool": {"limit": 7, "limit_per_host": 3, "dns_cache_ttl": 42, "keepalive_timeout": 5}}
    )
    assert (await host.call("echo", "echo", {})).type is ResultType.ACTION
    session = host._pool._sessions["echo"]
    assert session.connector.limit == 7  # its share of 20, cut to what the pool's limit allows
    assert session.connector.limit_per_host == 3
    assert session.connector.use_dns_cache
    assert isinstance(session.cookie_jar, aiohttp.DummyCookieJar)


# ---- connections: each integration its own share --------------------------------------


async def _settle() -> None:
    for _ in range(20):  # give any request the cap would let through every chance to start
        await asyncio.sleep(0)


async def _gated(host, integration, count, fake_upstream, host_name="127.0.0.1"):
    return [
        asyncio.create_task(host.call(integration, "fetch_json", {"url": fake_upstream.url("/gate", host_name)}))
        for _ in range(count)
    ]


async def test_a_fan_out_does_not_take_another_integrations_connections_to_the_same_host(make_host, fake_upstream):
    """Default config: one integration holds every connection its share
    allows to the upstream host (20); another integration calling the same
    host does not wait for them."""
    host = await make_host("echo", "keyed")
    fanned = await _gated(host, "echo", 25, fake_upstream)
    await fake_upstream.wait_in_flight(20)
    await _settle()
    assert fake_upstream.in_flight == 20  # echo's share: the rest of its fan-out waits for it

    other = await asyncio.wait_for(
        host.call("keyed", "whoami", {"url": fake_upstream.url("/whoami")}, auth={"api_key": "key-bystander"}),
        timeout=10,  # a hang detector: on a shared pool this call waits for echo's gate
    )
    assert other.type is ResultType.ACTION
    assert not any(task.done() for task in fanned)

    fake_upstream.gate.set()
    assert all(result.type is ResultType.ACTION for result in await asyncio.gather(*fanned))


async def test_connections_per_integration_caps_each_integration(make_host, fake_upstream):
    host = await make_host("echo", "keyed", config={"pool": {"connections_per_integration": 3}})
    echo_calls = await _gated(host, "echo", 5, fake_upstream)
    await fake_upstream.wait_in_flight(3)
    await _settle()
    assert fake_upstream.in_flight == 3
    # Another integration's share is its own, to another upstream host too.
    other = await asyncio.wait_for(
        host.call("keyed", "whoami", {"url": fake_upstream.url("/whoami", "localhost")}, auth={"api_key": "k-1234"}),
        timeout=10,
    )
    assert other.type is ResultType.ACTION
    fake_upstream.gate.set()
    assert all(result.type is ResultType.ACTION for result in await asyncio.gather(*echo_calls))
    assert fake_upstream.max_in_flight == 3


async def test_an_integrations_own_connections_setting_wins(make_host, fake_upstream):
    host = await make_host(
        "echo", config={"pool": {"connections_per_integration": 8}, "integrations": {"echo": {"connections": 2}}}
    )
    calls = await _gated(host, "echo", 4, fake_upstream)
    await fake_upstream.wait_in_flight(2)
    await _settle()
    assert fake_upstream.in_flight == 2
    fake_upstream.gate.set()
    assert all(result.type is ResultType.ACTION for result in await asyncio.gather(*calls))
    assert fake_upstream.max_in_flight == 2


async def test_the_total_stays_within_pool_limit(make_host, fake_upstream, logs):
    """Shares are set aside from ``pool.limit``: the integration whose share
    no longer fits whole gets what is left, and the log says so."""
    host = await make_host("echo", "keyed", config={"pool": {"limit": 5, "connections_per_integration": 3}})
    assert (await host.call("echo", "fetch_json", {"url": fake_upstream.url("/json")})).type is ResultType.ACTION
    keyed_calls = [
        asyncio.create_task(
            host.call("keyed", "whoami", {"url": fake_upstream.url("/gate")}, auth={"api_key": "k-1234"})
        )
        for _ in range(4)
    ]
    await fake_upstream.wait_in_flight(2)
    await _settle()
    assert fake_upstream.in_flight == 2  # 5 in all, 3 of them echo's
    [warning] = logs.events("pool_limit_reached")
    assert (warning["integration"], warning["connections"], warning["asked"]) == ("keyed", 2, 3)
    fake_upstream.gate.set()
    assert all(result.type is ResultType.ACTION for result in await asyncio.gather(*keyed_calls))


@pytest.mark.parametrize(
    ("config", "key"),
    [
        ({"pool": {"connections_per_integration": 0}}, "pool.connections_per_integration"),
        ({"integrations": {"echo": {"connections": "many"}}}, "integrations.echo.connections"),
    ],
)
def test_connection_shares_are_checked(config, key):
    from apiary import ConfigError, parse_config

    with pytest.raises(ConfigError, match=f"^{key}: expected a positive whole number"):
        parse_config(config)
