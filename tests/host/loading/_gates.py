"""A gate for slow imports: integration code that, at import, says it has
started and then waits (bounded) until the test lets it finish, so a test
can act while an import is in flight without sleeping for a set time."""

from __future__ import annotations

import asyncio
import sys
import threading
import types
import uuid


class ImportGate:
    """A module in ``sys.modules`` holding three events the gated code uses."""

    def __init__(self, wait_seconds: float = 5) -> None:
        self.name = f"_apiary_test_gate_{uuid.uuid4().hex[:10]}"
        self.module = types.ModuleType(self.name)
        self.module.started = threading.Event()
        self.module.release = threading.Event()
        self.module.finished = threading.Event()
        self.wait_seconds = wait_seconds
        sys.modules[self.name] = self.module

    def code(self) -> str:
        """Python for the top of a module: its import holds here until released."""
        return (
            f"import {self.name} as _gate\n"
            "_gate.started.set()\n"
            f"_gate.release.wait({self.wait_seconds})\n"
        )

    def tail(self) -> str:
        """Python for the end of the module: marks the import as finished."""
        return "_gate.finished.set()\n"

    async def started(self) -> bool:
        """Whether the gated import has started (waits a bounded time, off the loop)."""
        return await asyncio.to_thread(self.module.started.wait, self.wait_seconds)

    async def finished(self) -> bool:
        return await asyncio.to_thread(self.module.finished.wait, self.wait_seconds)

    def release(self) -> None:
        self.module.release.set()

    def close(self) -> None:
        self.release()
        sys.modules.pop(self.name, None)
