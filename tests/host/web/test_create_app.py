"""The gunicorn factory refuses what ``apiary serve`` refuses: a host config
naming what is not installed (issue 13, item 6: every way a server starts)."""

from __future__ import annotations

import pytest

from apiary import ConfigError, parse_config
from apiary.web import create_app


def test_the_factory_refuses_a_config_naming_an_integration_nothing_provides():
    config = parse_config({"integrations": {"hackernewz": {"call_timeout": 5}}}, source="gunicorn.toml")
    with pytest.raises(ConfigError) as refused:
        create_app(config)
    message = str(refused.value)
    assert message.startswith("cannot start: the host config (gunicorn.toml)")
    assert "integrations.hackernewz" in message and "hackernews" in message  # the close match


def test_the_factory_builds_the_app_on_a_sound_config():
    app = create_app(parse_config({"integrations": {"hackernews": {"call_timeout": 5}}}))
    assert app.router.routes()
