"""Helpers of the in-process host tests (imported by conftest and tests)."""

from __future__ import annotations

import io
import json
import uuid
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Any

from apiary import Discovered

PLUGINS_DIR = Path(__file__).parents[1] / "fixtures" / "plugins"

# id -> (distribution folder, entry module, attribute, package holding config.json)
FIXTURE_INTEGRATIONS = {
    "echo": ("apiary-test-echo", "apiary_test_echo", None, "apiary_test_echo"),
    "keyed": ("apiary-test-keyed", "apiary_test_keyed.handlers.main", "integration", "apiary_test_keyed"),
    "broken": ("apiary-test-broken", "apiary_test_broken", None, "apiary_test_broken"),
    "nohandler": ("apiary-test-nohandler", "apiary_test_nohandler", None, "apiary_test_nohandler"),
    "dup-a": ("apiary-test-dup-a", "apiary_test_dup_a", None, "apiary_test_dup_a"),
    "dup-b": ("apiary-test-dup-b", "apiary_test_dup_b", None, "apiary_test_dup_b"),
}


class StaticSource:
    """A discovery source yielding exactly the records it was given."""

    def __init__(self, found: Iterable[Discovered]) -> None:
        self.found = list(found)
        self.calls = 0

    def discover(self) -> Iterator[Discovered]:
        self.calls += 1
        yield from self.found


def fixture_discovered(integration_id: str, *, as_id: str | None = None) -> Discovered:
    """The ``Discovered`` record of a fixture integration (optionally under another id)."""
    folder, module, attribute, package = FIXTURE_INTEGRATIONS[integration_id]
    return Discovered(
        id=as_id or integration_id,
        module=module,
        attribute=attribute,
        source=f"test fixture {folder}",
        distribution=folder,
        distribution_version="0.0.test",
        config_path=PLUGINS_DIR / folder / package / "config.json",
    )


def fixture_source(*ids: str) -> StaticSource:
    return StaticSource(fixture_discovered(integration_id) for integration_id in ids)


class LogCapture:
    def __init__(self) -> None:
        self.stream = io.StringIO()

    def text(self) -> str:
        return self.stream.getvalue()

    def lines(self) -> list[dict[str, Any]]:
        parsed = []
        for line in self.text().splitlines():
            if line.strip():
                parsed.append(json.loads(line))
        return parsed

    def events(self, name: str) -> list[dict[str, Any]]:
        return [line for line in self.lines() if line.get("event") == name]


class PackageFactory:
    """Writes integration packages with unique names into a folder on sys.path."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self.modules: list[str] = []

    def make(
        self,
        config: Any,
        code: str,
        *,
        extra_files: dict[str, str] | None = None,
        prefix: str = "tmp_integration",
    ) -> str:
        """A package whose ``__init__.py`` is ``code`` beside ``config``
        (a dict written as JSON, or raw text); returns its module name."""
        name = f"{prefix}_{uuid.uuid4().hex[:10]}"
        folder = self.root / name
        folder.mkdir()
        text = config if isinstance(config, str) else json.dumps(config)
        (folder / "config.json").write_text(text, encoding="utf-8")
        (folder / "__init__.py").write_text(code, encoding="utf-8")
        for relative, content in (extra_files or {}).items():
            path = folder / relative
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(content, encoding="utf-8")
        self.modules.append(name)
        return name

    def discovered(self, integration_id: str, module: str, config_module: str | None = None) -> Discovered:
        package = (config_module or module).split(".")[0]
        return Discovered(
            id=integration_id,
            module=module,
            attribute=None,
            source=f"tmp package {package}",
            config_path=self.root / package / "config.json",
        )


def simple_config(name: str = "tmp", actions: dict[str, Any] | None = None, **extra: Any) -> dict[str, Any]:
    """A valid config.json with one action ``ping`` unless ``actions`` is given."""
    return {
        "name": name,
        "version": "1.0.0",
        "description": f"{name} for a test",
        "actions": actions
        if actions is not None
        else {
            "ping": {
                "description": "Answer pong",
                "input_schema": {"type": "object", "properties": {}},
                "output_schema": {"type": "object"},
            }
        },
        **extra,
    }


PING_CODE = '''
from autohive_integrations_sdk import ActionHandler, ActionResult, Integration

integration = Integration.load()


@integration.action("ping")
class Ping(ActionHandler):
    async def execute(self, inputs, context):
        return ActionResult(data={"pong": True})
'''
