"""Responses larger than the host's ``max_response_bytes`` are not forwarded:
the call is an ``upstream_error`` naming the limit, whatever
``raise_for_status`` says; the limit is the pool's, or the integration's own."""

from __future__ import annotations

import pytest

from apiary.testing import host_with_upstreams
from autohive_integrations_sdk import ResultType

API = "https://api.example.com"


@pytest.mark.parametrize("raise_for_status", [False, True])
async def test_response_over_the_limit_is_an_upstream_error(http_fake, raise_for_status):
    config = {"pool": {"max_response_bytes": 100_000}}
    async with host_with_upstreams({API: http_fake.origin}, config=config) as host:
        inputs = {"method": "GET", "url": f"{API}/bytes/{5_000_000}", "raise_for_status": raise_for_status}
        result = await host.call("http", "request", inputs)
    assert result.type is ResultType.ERROR
    error = result.result
    assert (error["error"], error["exception"], error["limit"]) == ("upstream_error", "ResponseTooLargeError", 100_000)
    assert "max_response_bytes = 100000" in error["message"]
    assert len(http_fake.seen) == 1, "refused, not retried"


async def test_integration_limit_overrides_the_pool_limit(http_fake):
    config = {"pool": {"max_response_bytes": 1000}, "integrations": {"http": {"max_response_bytes": 200_000}}}
    async with host_with_upstreams({API: http_fake.origin}, config=config) as host:
        result = await host.call("http", "request", {"method": "GET", "url": f"{API}/bytes/150000"})
    assert result.type is ResultType.ACTION, result.result
    assert result.result.data["body"] == "z" * 150_000


async def test_default_limit_is_10_mib(http_fake):
    async with host_with_upstreams({API: http_fake.origin}) as host:
        over = await host.call("http", "request", {"method": "GET", "url": f"{API}/bytes/{10 * 1024 * 1024 + 1}"})
        under = await host.call("http", "request", {"method": "GET", "url": f"{API}/bytes/{10 * 1024 * 1024}"})
    assert over.type is ResultType.ERROR and over.result["limit"] == 10 * 1024 * 1024
    assert "(10 MiB)" in over.result["message"]
    assert under.type is ResultType.ACTION and len(under.result.data["body"]) == 10 * 1024 * 1024
