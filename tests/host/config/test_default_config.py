"""The host runs on the shipped config/apiary.toml when given nothing."""

from apiary import HostConfig, load_config
from apiary._config import CONFIG_ENV, default_config


def test_shipped_file_and_code_defaults_are_the_same(monkeypatch):
    monkeypatch.delenv(CONFIG_ENV, raising=False)
    assert default_config() == HostConfig() == load_config()


def test_shipped_file_sets_every_host_pool_and_logging_value():
    """Guards the test above from passing on a file that says nothing."""
    from apiary._config import defaults_file

    text = defaults_file("apiary.toml").read_text(encoding="utf-8")
    serve = [field for field in HostConfig().serve._fields if field != "token"]  # token: commented out
    for key in (*HostConfig._fields[:2], *HostConfig().logging._fields, *HostConfig().pool._fields, *serve):
        assert f"\n{key} = " in text, key
