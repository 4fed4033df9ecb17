"""Credentials: from the caller, from the host config (environment variables
per integration and named account), or from a plugin ahead of the config."""

from __future__ import annotations

import pytest

from apiary import ConfigError, CredentialsError, load_config, parse_config
from apiary._calls.credentials import ConfigCredentials, resolve_references
from apiary.hooks import hookimpl
from autohive_integrations_sdk import ResultType

KEYED_ACCOUNTS = {
    "integrations": {
        "keyed": {
            "accounts": {
                "default": {"api_key": {"env": "APIARY_TEST_KEYED_DEFAULT"}},
                "work": {"api_key": {"env": "APIARY_TEST_KEYED_WORK"}},
                "wrapped": {
                    "auth_type": "Custom",
                    "credentials": {"api_key": {"env": "APIARY_TEST_KEYED_WRAPPED"}},
                },
            }
        }
    }
}


@pytest.fixture
def keyed_env(monkeypatch):
    monkeypatch.setenv("APIARY_TEST_KEYED_DEFAULT", "key-from-default-env")
    monkeypatch.setenv("APIARY_TEST_KEYED_WORK", "key-from-work-env")
    monkeypatch.setenv("APIARY_TEST_KEYED_WRAPPED", "key-from-wrapped-env")


async def whoami(host, fake_upstream, **kwargs):
    return await host.call("keyed", "whoami", {"url": fake_upstream.url("/whoami")}, **kwargs)


def sent_key(result, fake_upstream) -> str:
    """The key the upstream received (a host-resolved one is never echoed
    back to the caller: the result shows it redacted)."""
    assert result.type is ResultType.ACTION, result
    received = fake_upstream.seen("/whoami")[-1].headers["X-Api-Key"]
    assert result.result.data["data"]["api_key"] in (received, "[redacted]")
    return received


async def test_default_account_from_the_environment(make_host, fake_upstream, keyed_env):
    host = await make_host("keyed", config=KEYED_ACCOUNTS)
    assert sent_key(await whoami(host, fake_upstream), fake_upstream) == "key-from-default-env"


async def test_named_account(make_host, fake_upstream, keyed_env):
    host = await make_host("keyed", config=KEYED_ACCOUNTS)
    assert sent_key(await whoami(host, fake_upstream, account="work"), fake_upstream) == "key-from-work-env"


async def test_wrapped_account_with_auth_type(make_host, fake_upstream, keyed_env):
    host = await make_host("keyed", config=KEYED_ACCOUNTS)
    assert sent_key(await whoami(host, fake_upstream, account="wrapped"), fake_upstream) == "key-from-wrapped-env"


async def test_secrets_are_read_at_call_time(make_host, fake_upstream, keyed_env, monkeypatch):
    host = await make_host("keyed", config=KEYED_ACCOUNTS)
    assert sent_key(await whoami(host, fake_upstream), fake_upstream) == "key-from-default-env"
    monkeypatch.setenv("APIARY_TEST_KEYED_DEFAULT", "key-rotated-since")
    assert sent_key(await whoami(host, fake_upstream), fake_upstream) == "key-rotated-since"


async def test_unknown_named_account(make_host, fake_upstream, keyed_env):
    host = await make_host("keyed", config=KEYED_ACCOUNTS)
    result = await whoami(host, fake_upstream, account="personal")
    assert result.type is ResultType.ERROR
    assert result.result["error"] == "credentials_unavailable"
    assert "'personal'" in result.result["message"]
    assert "default, work, wrapped" in result.result["message"]
    assert fake_upstream.requests == []


async def test_missing_environment_variable_is_named(make_host, fake_upstream, monkeypatch):
    monkeypatch.delenv("APIARY_TEST_KEYED_DEFAULT", raising=False)
    host = await make_host("keyed", config=KEYED_ACCOUNTS)
    result = await whoami(host, fake_upstream)
    assert result.type is ResultType.ERROR
    assert result.result["error"] == "credentials_unavailable"
    assert "APIARY_TEST_KEYED_DEFAULT" in result.result["message"]
    assert "integrations.keyed.accounts.default.api_key" in result.result["message"]
    assert fake_upstream.requests == []


async def test_caller_auth_wins_over_the_config(make_host, fake_upstream, keyed_env):
    host = await make_host("keyed", config=KEYED_ACCOUNTS)
    result = await whoami(host, fake_upstream, auth={"api_key": "key-from-caller"})
    assert sent_key(result, fake_upstream) == "key-from-caller"
    result = await whoami(host, fake_upstream, auth={"api_key": "key-from-caller"}, account="work")
    assert sent_key(result, fake_upstream) == "key-from-caller"


class Vault:
    """A credentials plugin answering for keyed's default and 'vault' accounts."""

    def __init__(self):
        self.asked = []

    @hookimpl
    def apiary_resolve_credentials(self, integration, account, config):
        self.asked.append((integration, account))
        if integration == "keyed" and account in (None, "vault"):
            return {"api_key": f"key-from-vault-{account or 'default'}"}
        return None


async def test_plugin_credentials_come_ahead_of_the_config(make_host, fake_upstream, keyed_env):
    vault = Vault()
    host = await make_host("keyed", config=KEYED_ACCOUNTS, plugins=[vault])
    assert sent_key(await whoami(host, fake_upstream), fake_upstream) == "key-from-vault-default"
    assert sent_key(await whoami(host, fake_upstream, account="vault"), fake_upstream) == "key-from-vault-vault"
    # Where the plugin has no answer, the config answers.
    assert sent_key(await whoami(host, fake_upstream, account="work"), fake_upstream) == "key-from-work-env"
    assert vault.asked == [("keyed", None), ("keyed", "vault"), ("keyed", "work")]


async def test_plugin_is_not_asked_when_the_caller_passes_auth(make_host, fake_upstream):
    vault = Vault()
    host = await make_host("keyed", plugins=[vault])
    result = await whoami(host, fake_upstream, auth={"api_key": "key-from-caller"})
    assert sent_key(result, fake_upstream) == "key-from-caller"
    assert vault.asked == []


class FailingVault:
    @hookimpl
    def apiary_resolve_credentials(self, integration, account, config):
        raise ConnectionError("vault is sealed")


async def test_a_failing_credentials_plugin_is_a_result(make_host, fake_upstream):
    host = await make_host("keyed", plugins=[FailingVault()])
    result = await whoami(host, fake_upstream)
    assert result.type is ResultType.ERROR
    assert result.result["error"] == "credentials_unavailable"
    assert "ConnectionError" in result.result["message"] and "vault is sealed" in result.result["message"]


async def test_connected_account_uses_configured_credentials(make_host, keyed_env):
    host = await make_host("keyed", config=KEYED_ACCOUNTS)
    by_default = await host.connected_account("keyed")
    by_work = await host.connected_account("keyed", account="work")
    assert by_default.type is ResultType.CONNECTED_ACCOUNT
    assert by_default.result.user_id != by_work.result.user_id
    missing = await host.connected_account("keyed", account="nope")
    assert missing.result["error"] == "credentials_unavailable"


# ---- the config never holds a secret ---------------------------------------------


def test_literal_secret_in_config_is_refused():
    with pytest.raises(ConfigError) as caught:
        parse_config({"integrations": {"keyed": {"accounts": {"default": {"api_key": "sk-live-literal"}}}}})
    message = str(caught.value)
    assert "integrations.keyed.accounts.default.api_key" in message
    assert "env" in message
    assert "sk-live-literal" not in message


def test_literal_nested_secret_in_config_file_is_refused(tmp_path):
    path = tmp_path / "apiary.toml"
    path.write_text(
        '[integrations.keyed.accounts.work]\nauth_type = "Custom"\n'
        'credentials = { api_key = "sk-live-literal" }\n',
        encoding="utf-8",
    )
    with pytest.raises(ConfigError) as caught:
        load_config(path)
    assert "integrations.keyed.accounts.work.credentials.api_key" in str(caught.value)
    assert str(path) in str(caught.value)


def test_env_reference_must_name_a_variable():
    with pytest.raises(ConfigError, match=r"integrations\.keyed\.accounts\.default\.api_key\.env"):
        parse_config({"integrations": {"keyed": {"accounts": {"default": {"api_key": {"env": ""}}}}}})


def test_resolve_references_walks_nested_tables():
    environ = {"A": "alpha", "B": "beta"}
    resolved = resolve_references(
        {"auth_type": "Custom", "credentials": {"a": {"env": "A"}, "deep": {"b": {"env": "B"}}}}, "acct", environ
    )
    assert resolved == {"auth_type": "Custom", "credentials": {"a": "alpha", "deep": {"b": "beta"}}}
    with pytest.raises(CredentialsError, match="acct.credentials.c: environment variable C is not set"):
        resolve_references({"credentials": {"c": {"env": "C"}}}, "acct", environ)


def test_config_credentials_plugin_alone():
    config = parse_config(KEYED_ACCOUNTS)
    plugin = ConfigCredentials(environ={"APIARY_TEST_KEYED_DEFAULT": "k1", "APIARY_TEST_KEYED_WORK": "k2"})
    assert plugin.apiary_resolve_credentials("keyed", None, config) == {"api_key": "k1"}
    assert plugin.apiary_resolve_credentials("keyed", "work", config) == {"api_key": "k2"}
    assert plugin.apiary_resolve_credentials("echo", None, config) is None
    with pytest.raises(CredentialsError, match="'echo' has no account 'work'"):
        plugin.apiary_resolve_credentials("echo", "work", config)
