"""Integrations imported in a child process, so that none can take the report
of the others with it.

``apiary check`` and ``apiary list --eager`` import every integration to say
which ones fail. An integration that ends its interpreter at import
(``os._exit()``, a signal, a crash in a C extension) or never finishes
importing would end or stall that report for all of them. ``vet`` imports
them in a child Python instead, one child for all of them, in order; when a
child dies, the integration it was importing gets the exit status as its
failure and a fresh child goes on with the rest. One child rather than one
per integration, because what costs is the interpreter and the shared
imports (the SDK, aiohttp, jsonschema): a hundred healthy integrations pay
for them once, as they do in the host. A child importing for longer than
``host.import_timeout`` is killed (it is ours, by its handle) and the
integration is broken with that reason.

The child runs the same code as the host (``Registry.load``, then the
handler checks of ``apiary check``) on the parent's ``sys.path`` (less what
folders put there), and tells
the parent on a pipe of its own (the integration's prints go to stderr):
one JSON line ``{"loading": id}`` before each import, one verdict line
after it. The verdicts are handed on as they come, so the parent works on
each (its config checks, its own import of a sound one) while the child
imports the next.
"""

from __future__ import annotations

import json
import os
import queue
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Iterable, Iterator, Mapping, Sequence
from pathlib import Path
from typing import IO, Any, NamedTuple

from .._config import LoggingConfig
from .discovery import Discovered
from .registry import IntegrationRecord, IntegrationState, import_timeout_reason

# Seconds a child may take to start (interpreter, apiary, the SDK) before its
# first integration: not the integrations' time, so not host.import_timeout.
_START_SECONDS = 60

# The child's first statement: the parent's sys.path before anything else.
_BOOT = (
    "import json, sys\n"
    "request = json.loads(sys.stdin.readline())\n"
    "sys.path[:] = request['path']\n"
    "from apiary._loading.sandbox import child_main\n"
    "child_main(request)\n"
)


class Verdict(NamedTuple):
    """What importing one integration in a child found."""

    reason: str | None  # why it cannot load; None when it loaded
    problems: tuple[str, ...] = ()  # what ``apiary check`` finds in it (the reason included)


def vet(
    records: Iterable[IntegrationRecord], timeout: float, logging: LoggingConfig
) -> Iterator[tuple[IntegrationRecord, Verdict]]:
    """``(record, verdict)`` for each record still ``discovered``, as the
    child finds them (the caller works on each while the child goes on),
    each import bounded by ``timeout`` seconds."""
    pending = {record.id: record for record in records if record.state is IntegrationState.DISCOVERED}
    while pending:
        child = _Child([record.found for record in pending.values()], timeout, logging)
        for integration_id, verdict in child.verdicts():
            yield pending.pop(integration_id), verdict


class _Child:
    """One child process working through ``founds`` until it ends."""

    def __init__(self, founds: Sequence[Discovered], timeout: float, logging: LoggingConfig) -> None:
        self.founds = {found.id: found for found in founds}
        self.timeout = timeout
        self.process = subprocess.Popen(
            [sys.executable, "-c", _BOOT],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=None,  # the integrations' own output, as when the host imports them
            text=True,
            encoding="utf-8",
        )
        self.messages: queue.Queue[dict[str, Any] | None] = queue.Queue()
        assert self.process.stdout is not None and self.process.stdin is not None
        threading.Thread(target=_read_lines, args=(self.process.stdout, self.messages), daemon=True).start()
        from .isolation import shared_path

        integrations = [_encode(found) for found in founds]
        request = {"path": shared_path(), "logging": logging._asdict(), "integrations": integrations}
        try:
            self.process.stdin.write(json.dumps(request) + "\n")
            self.process.stdin.close()
        except OSError:
            pass  # it died already: verdicts() reports it

    def verdicts(self) -> Iterator[tuple[str, Verdict]]:
        """Verdicts as the child sends them; when it dies or hangs, the one it
        was importing gets that as its verdict (or, before any import, all
        do), and the child's work ends there."""
        current: Discovered | None = None
        answered = 0
        deadline = time.monotonic() + _START_SECONDS
        try:
            while True:
                try:
                    message = self.messages.get(timeout=max(0.0, deadline - time.monotonic()))
                except queue.Empty:
                    self.process.kill()
                    if current is not None:
                        yield current.id, _failed(import_timeout_reason(current, self.timeout))
                    elif not answered:
                        yield from self._all(f"the worker importing integrations did not start in {_START_SECONDS} s")
                    return  # a fresh child goes on with the rest
                if message is None:  # the child ended
                    code = self._reap()
                    if current is not None:
                        yield current.id, _failed(f"{_death(code)} while importing {current.module}")
                    elif not answered:
                        # Dead before its first import: no integration to blame,
                        # and a new child would die the same way.
                        yield from self._all(f"the worker importing integrations {_death(code)} before any import")
                    return
                if "loading" in message:
                    current = self.founds[message["loading"]]
                    deadline = time.monotonic() + self.timeout
                elif "id" in message:
                    answered += 1
                    yield message["id"], Verdict(message["reason"], tuple(message["problems"]))
                    current, deadline = None, time.monotonic() + self.timeout
        finally:
            if self.process.poll() is None:
                self.process.kill()  # ours, by its handle: done with it, or abandoned
            self._reap()

    def _all(self, reason: str) -> Iterator[tuple[str, Verdict]]:
        for integration_id in self.founds:
            yield integration_id, _failed(reason)

    def _reap(self) -> int:
        try:
            return self.process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.process.kill()
            return self.process.wait()


def _failed(reason: str) -> Verdict:
    return Verdict(reason, (reason,))


def _death(code: int) -> str:
    if code < 0:
        try:
            return f"the interpreter was killed by signal {signal.Signals(-code).name}"
        except ValueError:
            return f"the interpreter was killed by signal {-code}"
    return f"the interpreter exited with status {code}"


def _read_lines(stream: IO[str], messages: queue.Queue[dict[str, Any] | None]) -> None:
    try:
        for line in stream:
            try:
                messages.put(json.loads(line))
            except ValueError:
                continue  # not ours
    finally:
        messages.put(None)


def _encode(found: Discovered) -> dict[str, Any]:
    fields = found._asdict()
    for name in ("config_path", "folder"):
        if fields[name] is not None:
            fields[name] = str(fields[name])
    return fields


def _decode(fields: Mapping[str, Any]) -> Discovered:
    paths = {name: Path(fields[name]) for name in ("config_path", "folder") if fields.get(name) is not None}
    return Discovered(**{**fields, **paths})


# ---- the child -----------------------------------------------------------------------


class _Given:
    """A discovery source yielding what the parent sent."""

    def __init__(self, founds: list[Discovered]) -> None:
        self.founds = founds

    def discover(self) -> Iterator[Discovered]:
        yield from self.founds


def child_main(request: Mapping[str, Any]) -> None:
    """Import each integration of ``request`` and report on each; never returns."""
    # The protocol gets the real stdout; what integrations print goes to stderr.
    channel = os.fdopen(os.dup(1), "w", encoding="utf-8", buffering=1)
    os.dup2(2, 1)
    from .._observe import logs
    from .checks import handler_problems
    from .registry import Registry

    logs.configure(LoggingConfig(**request["logging"]))  # what integrations log at import, as in the parent
    registry = Registry([_Given([_decode(fields) for fields in request["integrations"]])], quiet=True)
    for record in registry.records:
        channel.write(json.dumps({"loading": record.id}) + "\n")
        problems = handler_problems(registry, record)
        channel.write(json.dumps({"id": record.id, "reason": record.reason, "problems": problems}) + "\n")
    channel.flush()
    sys.stdout.flush()
    sys.stderr.flush()
    # Not a normal exit: threads an integration started must not hold the child.
    os._exit(0)
