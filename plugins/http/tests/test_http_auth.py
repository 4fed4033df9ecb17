"""Auth kinds of the ``http`` integration: the header the upstream saw, bad
shapes refused as validation errors, and accounts from the host config."""

from __future__ import annotations

import base64

import pytest

from apiary.testing import host_with_upstreams
from autohive_integrations_sdk import ResultType

API = "https://api.example.com"
GET = {"method": "GET", "url": f"{API}/echo/me"}
SECRET = "s3cr3t-token-0451"


def _basic(username: str, password: str) -> str:
    return "Basic " + base64.b64encode(f"{username}:{password}".encode()).decode("ascii")


@pytest.mark.parametrize(
    "auth, expected",
    [
        (None, None),
        ({}, None),
        ({"kind": "none"}, None),
        ({"kind": "bearer", "token": SECRET}, f"Bearer {SECRET}"),
        ({"kind": "basic", "username": "ada", "password": "pä:ss word"}, _basic("ada", "pä:ss word")),
        # kind left out: read from the fields
        ({"token": SECRET}, f"Bearer {SECRET}"),
        ({"username": "ada", "password": "pw"}, _basic("ada", "pw")),
        # the wrapped form the host config produces
        ({"auth_type": "bearer", "credentials": {"token": SECRET}}, f"Bearer {SECRET}"),
        ({"auth_type": "Basic", "credentials": {"username": "ada", "password": "pw"}}, _basic("ada", "pw")),
        ({"credentials": {"token": SECRET}}, f"Bearer {SECRET}"),
        ({"auth_type": "none", "credentials": {}}, None),
    ],
    ids=[
        "no-auth",
        "empty",
        "none",
        "bearer",
        "basic",
        "inferred-bearer",
        "inferred-basic",
        "wrapped-bearer",
        "wrapped-basic",
        "wrapped-inferred",
        "wrapped-none",
    ],
)
async def test_auth_kinds(call, output_of, http_fake, auth, expected):
    result = await call(GET, auth=auth)

    output_of(result)
    assert http_fake.seen[-1]["headers"].get("Authorization") == expected


@pytest.mark.parametrize(
    "auth, prop",
    [
        ({"kind": "bearer"}, "token"),
        ({"kind": "basic", "username": "ada"}, "password"),
        ({"kind": "digest", "token": SECRET}, "kind"),
        ({"kind": "none", "token": SECRET}, None),
        ({"token": SECRET, "username": "ada", "password": "pw"}, None),
        ({"kind": "bearer", "token": "has space"}, "token"),
        ({"kind": "basic", "username": "a:b", "password": "pw"}, "username"),
        ({"access_token": SECRET}, None),
        ({"auth_type": "PlatformOauth2", "credentials": {"token": SECRET}}, "auth_type"),
        ({"auth_type": "basic", "credentials": {"token": SECRET}}, None),
        ({"auth_type": "bearer", "credentials": {"kind": "basic", "username": "u", "password": "p"}}, "kind"),
    ],
)
async def test_bad_auth_shape_is_a_validation_error(call, http_fake, auth, prop):
    result = await call(GET, auth=auth)

    assert result.type is ResultType.VALIDATION_ERROR, result.result
    assert result.result["source"] == "input"
    if prop is not None:
        assert prop in (result.result["property"] or "") or prop in result.result["message"]
    assert SECRET not in str(result.result)  # no credential in the message
    assert http_fake.seen == []  # nothing was sent


async def test_authorization_header_in_inputs_is_refused_when_auth_is_configured(call, http_fake):
    result = await call(
        {**GET, "headers": {"authorization": "Bearer from-inputs"}}, auth={"kind": "bearer", "token": SECRET}
    )

    assert result.type is ResultType.VALIDATION_ERROR
    assert result.result["property"] == "headers.Authorization"
    assert SECRET not in str(result.result)
    assert http_fake.seen == []


async def test_authorization_header_in_inputs_is_sent_when_auth_is_none(call, output_of, http_fake):
    output_of(await call({**GET, "headers": {"Authorization": "Token abc"}}, auth={"kind": "none"}))

    assert http_fake.seen[-1]["headers"]["Authorization"] == "Token abc"


@pytest.mark.parametrize(
    "account, env, expected",
    [
        (
            {"auth_type": "bearer", "credentials": {"token": {"env": "APIARY_HTTP_TEST_TOKEN"}}},
            {"APIARY_HTTP_TEST_TOKEN": SECRET},
            f"Bearer {SECRET}",
        ),
        (
            {
                "auth_type": "basic",
                "credentials": {
                    "username": {"env": "APIARY_HTTP_TEST_USER"},
                    "password": {"env": "APIARY_HTTP_TEST_PASSWORD"},
                },
            },
            {"APIARY_HTTP_TEST_USER": "ada", "APIARY_HTTP_TEST_PASSWORD": "pw"},
            _basic("ada", "pw"),
        ),
    ],
    ids=["bearer", "basic"],
)
async def test_accounts_from_the_host_config(http_fake, output_of, monkeypatch, account, env, expected):
    """The README's host-config examples, as the host config parses them."""
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    config = {"integrations": {"http": {"accounts": {"default": account}}}}

    async with host_with_upstreams({API: http_fake.origin}, config=config) as host:
        result = await host.call("http", "request", GET)

    output_of(result)
    assert http_fake.seen[-1]["headers"]["Authorization"] == expected
