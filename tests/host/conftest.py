"""Fixtures of the in-process host tests.

The fixture integrations of ``tests/fixtures/plugins`` are made importable
by putting their folders on ``sys.path`` (``monkeypatch.syspath_prepend``)
and reach the host through an explicit discovery source, so these tests
never depend on what happens to be installed. ``make_package`` writes
throw-away integrations with unique module names for the failure cases.

Every test runs with the host's log pipeline pointed at a buffer (JSON,
debug level): ``logs.lines()`` is what the host wrote, parsed.
"""

from __future__ import annotations

import logging
import sys
from collections.abc import Iterable, Iterator
from contextlib import AsyncExitStack
from pathlib import Path
from typing import Any

import pytest
import structlog

from apiary import Host, LoggingConfig, parse_config
from apiary._observe import logs as apiary_logs

from ._support import FIXTURE_INTEGRATIONS, PLUGINS_DIR, LogCapture, PackageFactory, fixture_source


@pytest.fixture(autouse=True)
def fixture_plugins_importable(monkeypatch: pytest.MonkeyPatch) -> None:
    for folder, *_ in FIXTURE_INTEGRATIONS.values():
        monkeypatch.syspath_prepend(str(PLUGINS_DIR / folder))


@pytest.fixture(autouse=True)
def logs() -> Iterator[LogCapture]:
    """The host's log pipeline writing JSON lines at debug level into a buffer."""
    capture = LogCapture()
    root = logging.getLogger()
    level = root.level
    apiary_logs.configure(LoggingConfig(format="json", level="debug"), stream=capture.stream)
    try:
        yield capture
    finally:
        for handler in [h for h in root.handlers if h.get_name() == "apiary"]:
            root.removeHandler(handler)
        root.setLevel(level)
        structlog.contextvars.clear_contextvars()


@pytest.fixture
async def make_host():
    """``await make_host(*ids, config={...}, plugins=[...])``: an entered Host
    over the named fixture integrations (echo and keyed by default), exited
    after the test."""
    async with AsyncExitStack() as stack:

        async def make(
            *ids: str,
            config: dict[str, Any] | None = None,
            plugins: Iterable[object] = (),
            sources: list[Any] | None = None,
        ) -> Host:
            host = Host(
                parse_config(config or {}),
                sources=sources if sources is not None else [fixture_source(*(ids or ("echo", "keyed")))],
                plugins=plugins,
                load_plugin_entry_points=False,
            )
            return await stack.enter_async_context(host)

        yield make


@pytest.fixture
def make_package(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[PackageFactory]:
    root = tmp_path / "packages"
    root.mkdir()
    monkeypatch.syspath_prepend(str(root))
    factory = PackageFactory(root)
    yield factory
    for name in list(sys.modules):
        if any(name == module or name.startswith(module + ".") for module in factory.modules):
            del sys.modules[name]


