"""What every ``apiary`` command shares: the common options, the host built
from them, JSON arguments, and the console's logging."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Any

from .._exceptions import ConfigError, UsageError

if TYPE_CHECKING:
    from .._host import Host


def common_options() -> argparse.ArgumentParser:
    """The options every command that builds a host takes."""
    common = argparse.ArgumentParser(add_help=False)
    common.add_argument(
        "--config", metavar="PATH", help="host config file (default: $APIARY_CONFIG, else the shipped defaults)"
    )
    common.add_argument("--log-format", choices=["auto", "json", "console"], help="log rendering (default from config)")
    common.add_argument(
        "--log-level", choices=["debug", "info", "warning", "error"], help="log level (default from config)"
    )
    return common


def json_argument(value: str | None, option: str) -> dict[str, Any] | None:
    """Decode ``--input``/``--auth``: inline JSON, ``@file`` or ``@-`` (stdin)."""
    if value is None:
        return None
    if value.startswith("@"):
        try:
            value = sys.stdin.read() if value == "@-" else Path(value[1:]).read_text(encoding="utf-8")
        except OSError as error:
            raise UsageError(f"{option}: cannot read {value[1:]}: {error.strerror or error}") from None
    try:
        data = json.loads(value)
    except json.JSONDecodeError as error:
        raise UsageError(f"{option}: not valid JSON: {error}") from None
    if not isinstance(data, dict):
        raise UsageError(f"{option}: expected a JSON object, got {type(data).__name__}")
    return data


def build_host(args: argparse.Namespace) -> Host:
    """The ``Host`` on ``--config`` (or the defaults) with the flags' overrides;
    an invalid config is a usage error."""
    from .._config import load_config
    from .._host import Host

    try:
        config = load_config(args.config)
    except ConfigError as error:
        raise UsageError(str(error)) from None
    if getattr(args, "eager", False):
        config = config._replace(eager=True)
    overrides = {key: value for key, value in (("format", args.log_format), ("level", args.log_level)) if value}
    if overrides:
        config = config._replace(logging=config.logging._replace(**overrides))
    return Host(config)


def configure_logging(host: Host) -> None:
    """Logs to stderr as the host config says: stdout is the command's output."""
    from .._observe import logs

    logs.configure(host.config.logging)
