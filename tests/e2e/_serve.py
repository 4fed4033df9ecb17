"""Helpers of the ``apiary serve`` end-to-end tests: the real server (or
gunicorn) as a subprocess on a free loopback port, its logs, and waiting
for it, every wait bounded.

The server's stdout and stderr go to files, so a test can read the logs
while the process runs (no pipe to drain, nothing blocks the server). Logs
are JSON lines on stderr (stderr is not a terminal).
"""

from __future__ import annotations

import asyncio
import json
import os
import re
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Iterable, Mapping, Sequence
from pathlib import Path
from typing import Any

BIN = Path(sys.executable).parent
APIARY = BIN / "apiary"
GUNICORN = BIN / "gunicorn"
CALL_ID = re.compile(r"^[0-9a-f]{16}$")

# Integrations whose actions reach the network (the shipped ones) or that
# the schemathesis run must not host; tests disable them by config.
SHIPPED = ("github", "hackernews", "feeds", "http")


def free_port() -> int:
    """A TCP port on 127.0.0.1 that nothing listens on (now)."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def serve_env(installed_plugins: Path, extra: Mapping[str, str] | None = None) -> dict[str, str]:
    """The environment of a server subprocess: no APIARY_* from outside,
    the fixture plugins on PYTHONPATH, plus ``extra``."""
    env = {key: value for key, value in os.environ.items() if not key.startswith("APIARY_")}
    env["PYTHONPATH"] = str(installed_plugins)
    env["PYTHONDONTWRITEBYTECODE"] = "1"
    env.update(extra or {})
    return env


def disabled(*integrations: str) -> str:
    """Host config lines disabling ``integrations``."""
    return "".join(f"[integrations.{name}]\nenabled = false\n" for name in integrations)


class ServerProcess:
    """A server subprocess with its output in ``workdir``."""

    def __init__(
        self,
        argv: Sequence[str],
        env: Mapping[str, str],
        workdir: Path,
        port: int,
        preexec_fn: Callable[[], None] | None = None,
    ) -> None:
        workdir.mkdir(parents=True, exist_ok=True)
        self.argv = list(argv)
        self.port = port
        self.base_url = f"http://127.0.0.1:{port}"
        self.stdout_path = workdir / f"server-{port}.out"
        self.stderr_path = workdir / f"server-{port}.err"
        with open(self.stdout_path, "wb") as out, open(self.stderr_path, "wb") as err:
            self.process = subprocess.Popen(
                self.argv, stdin=subprocess.DEVNULL, stdout=out, stderr=err, env=dict(env), cwd=str(workdir),
                preexec_fn=preexec_fn,
            )

    # ---- output -------------------------------------------------------------

    def stderr(self) -> str:
        return self.stderr_path.read_text(encoding="utf-8", errors="replace")

    def stdout(self) -> str:
        return self.stdout_path.read_text(encoding="utf-8", errors="replace")

    def log_lines(self) -> list[dict[str, Any]]:
        """stderr's JSON log lines (other lines, like the start banner, skipped)."""
        lines = []
        for line in self.stderr().splitlines():
            if line.startswith("{"):
                try:
                    lines.append(json.loads(line))
                except ValueError:
                    pass  # a line being written right now
        return lines

    def events(self, event: str, **fields: Any) -> list[dict[str, Any]]:
        return [
            line for line in self.log_lines()
            if line.get("event") == event and all(line.get(key) == value for key, value in fields.items())
        ]

    async def wait_log(self, event: str, rounds: int = 300, **fields: Any) -> dict[str, Any]:
        """The first log line of ``event`` with ``fields`` (the access log line
        is written as the response leaves, so it may trail the response a little)."""
        for _ in range(rounds):
            found = self.events(event, **fields)
            if found:
                return found[0]
            await asyncio.sleep(0.01)
        raise AssertionError(f"no {event!r} log line with {fields} on stderr:\n{self.stderr()[-4000:]}")

    # ---- life cycle -----------------------------------------------------------

    def running(self) -> bool:
        return self.process.poll() is None

    def wait_ready(self, headers: Mapping[str, str] | None = None, rounds: int = 400) -> list[int]:
        """Poll GET /readyz until 200 (bounded); returns every status seen,
        raising with the server's stderr if it exits or never gets ready."""
        seen: list[int] = []
        for _ in range(rounds):
            if not self.running():
                raise AssertionError(
                    f"the server exited with {self.process.returncode} before it was ready:\n{self.stderr()[-4000:]}"
                )
            request = urllib.request.Request(self.base_url + "/readyz", headers=dict(headers or {}))
            try:
                with urllib.request.urlopen(request, timeout=5) as response:
                    json.loads(response.read())
                    seen.append(response.status)
                    return seen
            except urllib.error.HTTPError as error:
                json.loads(error.read())  # a 503 while starting is JSON too
                seen.append(error.code)
            except (urllib.error.URLError, ConnectionError, OSError):
                pass  # not listening yet
            time.sleep(0.05)
        raise AssertionError(f"the server was not ready after {rounds} polls (saw {seen}):\n{self.stderr()[-4000:]}")

    def send(self, signum: int) -> None:
        if self.running():
            self.process.send_signal(signum)

    def wait_exit(self, timeout: float = 30) -> int:
        """Wait (bounded) for the process to exit; its return code."""
        try:
            return self.process.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            raise AssertionError(f"the server did not exit within {timeout} s:\n{self.stderr()[-4000:]}") from None

    async def wait_exit_async(self, timeout: float = 30) -> int:
        """The same without blocking the event loop (for tests whose fake
        upstream runs in it)."""
        for _ in range(int(timeout / 0.02)):
            if self.process.poll() is not None:
                return self.process.returncode
            await asyncio.sleep(0.02)
        raise AssertionError(f"the server did not exit within {timeout} s:\n{self.stderr()[-4000:]}")

    def stop(self) -> int | None:
        """Clean-up: SIGTERM, a bounded wait, SIGKILL as a last resort (this
        process only, by its id)."""
        if self.running():
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(timeout=10)
        return self.process.returncode


def start_serve(
    installed_plugins: Path,
    workdir: Path,
    config: Path | None = None,
    env: Mapping[str, str] | None = None,
    args: Iterable[str] = (),
    port: int | None = None,
    max_descriptors: int | None = None,
) -> ServerProcess:
    """``apiary serve --port <free port> [--config config] [args]``, started (not
    waited for); with ``max_descriptors``, under that limit of open files
    (``ulimit -n``, set in the child before it runs)."""
    port = port or free_port()
    argv = [str(APIARY), "serve", "--port", str(port), *args]
    if config is not None:
        argv += ["--config", str(config)]
    limit = None
    if max_descriptors is not None:
        import resource

        def limit() -> None:
            resource.setrlimit(resource.RLIMIT_NOFILE, (max_descriptors, max_descriptors))

    return ServerProcess(argv, serve_env(installed_plugins, env), workdir, port, preexec_fn=limit)


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def listening_addresses(port: int) -> list[str]:
    """The local addresses with a TCP socket listening on ``port``, read from
    /proc/net/tcp and tcp6 (no traffic needed)."""
    found = []
    for table, width in (("/proc/net/tcp", 8), ("/proc/net/tcp6", 32)):
        try:
            rows = Path(table).read_text().splitlines()[1:]
        except OSError:
            continue
        for row in rows:
            fields = row.split()
            address, hex_port = fields[1].split(":")
            if int(hex_port, 16) == port and fields[3] == "0A":  # 0A: LISTEN
                if width == 8:
                    found.append(socket.inet_ntop(socket.AF_INET, bytes.fromhex(address)[::-1]))
                else:
                    raw = b"".join(bytes.fromhex(address[i : i + 8])[::-1] for i in range(0, 32, 8))
                    found.append(socket.inet_ntop(socket.AF_INET6, raw))
    return found


def raw_http(port: int, request: bytes, timeout: float = 10) -> bytes:
    """Send ``request`` bytes as they are (for what aiohttp's client refuses
    to send, like non-UTF-8 header bytes); the whole answer."""
    with socket.create_connection(("127.0.0.1", port), timeout=timeout) as sock:
        sock.sendall(request)
        chunks = []
        while True:
            chunk = sock.recv(65536)
            if not chunk:
                break
            chunks.append(chunk)
    return b"".join(chunks)


def split_http(answer: bytes) -> tuple:
    """(status, headers (lower-case names), body bytes) of a raw HTTP/1.1 answer."""
    head, _, body = answer.partition(b"\r\n\r\n")
    lines = head.decode("latin-1").split("\r\n")
    status = int(lines[0].split()[1])
    headers = {}
    for line in lines[1:]:
        name, _, value = line.partition(":")
        headers[name.strip().lower()] = value.strip()
    return status, headers, body


def strict_json(text: str) -> Any:
    """``json.loads`` refusing NaN/Infinity, which are not JSON."""

    def refuse(constant: str) -> Any:
        raise ValueError(f"{constant} is not JSON")

    return json.loads(text, parse_constant=refuse)


def proc_state(pid: int) -> str:
    """The one-letter state of process ``pid`` (``T`` when stopped)."""
    stat = Path(f"/proc/{pid}/stat").read_text()
    return stat.rsplit(")", 1)[1].split()[0]


def wait_until(condition: Callable[[], bool], rounds: int = 400, pause: float = 0.05, what: str = "condition") -> None:
    for _ in range(rounds):
        if condition():
            return
        time.sleep(pause)
    raise AssertionError(f"{what}: not met after {rounds} rounds")


def non_loopback_address() -> str | None:
    """An IPv4 address of this machine other than loopback, if it has one
    (the source address of a route; a UDP connect sends nothing)."""
    for probe in ("192.0.2.1", "10.255.255.255", "203.0.113.1"):
        with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sock:
            try:
                sock.connect((probe, 9))
            except OSError:
                continue
            address = sock.getsockname()[0]
            if not address.startswith("127.") and address != "0.0.0.0":
                return address
    return None
