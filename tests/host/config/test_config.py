"""The host configuration: shipped defaults, overrides from a file, and a
message naming the key for every mistake."""

from __future__ import annotations

import pytest

from apiary import ConfigError, IntegrationSettings, LoggingConfig, PoolConfig, load_config, parse_config
from apiary._config import CONFIG_ENV, default_config


@pytest.fixture(autouse=True)
def no_config_env(monkeypatch):
    monkeypatch.delenv(CONFIG_ENV, raising=False)


def test_shipped_defaults():
    config = default_config()
    assert config.eager is False
    assert config.call_timeout == 30
    assert config.logging == LoggingConfig(format="auto", level="info")
    assert config.pool == PoolConfig(
        limit=500, limit_per_host=20, keepalive_timeout=30, dns_cache_ttl=300, connect_timeout=10, per_integration=32
    )
    assert config.integrations == {}
    assert config.source == "<defaults>"


def test_load_config_without_anything_is_the_defaults():
    assert load_config() == default_config()


def test_a_file_overrides_only_what_it_names(tmp_path):
    path = tmp_path / "apiary.toml"
    path.write_text(
        "[host]\ncall_timeout = 5\n[pool]\nlimit = 7\n[logging]\nformat = \"json\"\n"
        "[integrations.echo]\nper_integration = 2\ncall_timeout = 1.5\n",
        encoding="utf-8",
    )
    config = load_config(path)
    assert config.source == str(path)
    assert config.call_timeout == 5
    assert config.pool.limit == 7
    assert config.pool.limit_per_host == 20  # kept from the defaults
    assert config.logging == LoggingConfig(format="json", level="info")
    assert config.settings_for("echo") == IntegrationSettings(per_integration=2, call_timeout=1.5)
    assert config.timeout_for("echo") == 1.5 and config.timeout_for("other") == 5
    assert config.concurrency_for("echo") == 2 and config.concurrency_for("other") == 32


def test_apiary_config_environment_variable(tmp_path, monkeypatch):
    path = tmp_path / "from-env.toml"
    path.write_text("[pool]\nper_integration = 3\n", encoding="utf-8")
    monkeypatch.setenv(CONFIG_ENV, str(path))
    config = load_config()
    assert config.source == str(path)
    assert config.pool.per_integration == 3
    # An explicit path wins over the variable.
    other = tmp_path / "explicit.toml"
    other.write_text("[pool]\nper_integration = 4\n", encoding="utf-8")
    assert load_config(other).pool.per_integration == 4


@pytest.mark.parametrize(
    "data, key",
    [
        ({"pool": {"limitt": 3}}, "pool.limitt: unknown key"),
        ({"host": {"eagerly": True}}, "host.eagerly: unknown key"),
        ({"integrations": {"echo": {"timeout": 3}}}, "integrations.echo.timeout: unknown key"),
        ({"server": {}}, "server: unknown section"),
    ],
)
def test_unknown_key_is_named(data, key):
    with pytest.raises(ConfigError) as caught:
        parse_config(data)
    assert key in str(caught.value)


@pytest.mark.parametrize(
    "data, expected",
    [
        ({"pool": {"limit": "ten"}}, "pool.limit: expected a positive whole number, got 'ten'"),
        ({"pool": {"limit": 0}}, "pool.limit: expected a positive whole number, got 0"),
        ({"pool": {"per_integration": 2.5}}, "pool.per_integration: expected a positive whole number"),
        ({"pool": {"connect_timeout": True}}, "pool.connect_timeout: expected a positive number"),
        ({"host": {"eager": "yes"}}, "host.eager: expected true or false, got 'yes'"),
        ({"host": {"call_timeout": -1}}, "host.call_timeout: expected a positive number, got -1"),
        ({"logging": {"format": "xml"}}, "logging.format: expected one of auto, json, console, got 'xml'"),
        ({"logging": {"level": "loud"}}, "logging.level: expected one of"),
        ({"pool": 5}, "pool: expected a table, got 5"),
        ({"integrations": {"echo": {"enabled": "no"}}}, "integrations.echo.enabled: expected true or false"),
        (
            {"integrations": {"echo": {"accounts": {"default": 3}}}},
            "integrations.echo.accounts.default: expected a table",
        ),
        (
            {"integrations": {"echo": {"accounts": {"default": {"auth_type": 1}}}}},
            "integrations.echo.accounts.default.auth_type: expected a string",
        ),
    ],
)
def test_wrong_type_is_named(data, expected):
    with pytest.raises(ConfigError) as caught:
        parse_config(data)
    assert expected in str(caught.value)


def test_error_in_a_file_names_the_file_and_the_key(tmp_path):
    path = tmp_path / "apiary.toml"
    path.write_text("[pool]\nlimit = \"many\"\n", encoding="utf-8")
    with pytest.raises(ConfigError) as caught:
        load_config(path)
    assert str(path) in str(caught.value)
    assert "pool.limit" in str(caught.value)


def test_invalid_toml(tmp_path):
    path = tmp_path / "apiary.toml"
    path.write_text("[pool\nlimit = 3\n", encoding="utf-8")
    with pytest.raises(ConfigError) as caught:
        load_config(path)
    message = str(caught.value)
    assert "not valid TOML" in message
    assert "line 1" in message
    assert message.count(str(path)) == 1, message


def test_missing_file(tmp_path):
    with pytest.raises(ConfigError, match="cannot read config file .*nope.toml"):
        load_config(tmp_path / "nope.toml")


def test_missing_file_named_by_the_environment(tmp_path, monkeypatch):
    monkeypatch.setenv(CONFIG_ENV, str(tmp_path / "gone.toml"))
    with pytest.raises(ConfigError, match="gone.toml"):
        load_config()


def test_accounts_keep_env_references_unresolved():
    config = parse_config(
        {
            "integrations": {
                "keyed": {"accounts": {"default": {"auth_type": "Custom", "credentials": {"api_key": {"env": "K"}}}}}
            }
        }
    )
    account = config.settings_for("keyed").accounts["default"]
    assert account == {"auth_type": "Custom", "credentials": {"api_key": {"env": "K"}}}
