"""One structured log pipeline for the host, its integrations and libraries.

The host's own events are structlog events on a filtering logger (a call
below the level costs nothing), written as lines to the log stream. Standard
``logging`` records (which is what ``context.logger`` in an integration and
libraries write to) go through a handler that applies the same processors.
Both get the current call's ids (call id, integration, action), level and
timestamp, exception text, then redaction, then JSON lines or a readable
console rendering.

Logs go to stderr: stdout belongs to command output (``apiary call`` prints
its result there, ``apiary mcp`` speaks its protocol there).
"""

from __future__ import annotations

import logging
import sys
from collections.abc import MutableMapping
from typing import Any, TextIO

import structlog

from .._config import LoggingConfig
from ..hooks import current_call
from .redaction import redact

_level = logging.INFO
_configured = False


def add_call_context(logger: Any, method_name: str, event_dict: MutableMapping[str, Any]) -> MutableMapping[str, Any]:
    """structlog processor: the ids of the call this event belongs to."""
    call = current_call.get()
    if call is not None:
        event_dict.setdefault("call_id", call.call_id)
        event_dict.setdefault("integration", call.integration)
        event_dict.setdefault("action", call.action)
    return event_dict


def _name_logger(logger: Any, method_name: str, event_dict: MutableMapping[str, Any]) -> MutableMapping[str, Any]:
    """structlog processor: ``logger`` names the writer, as for stdlib records."""
    if "logger_name" in event_dict:
        event_dict["logger"] = event_dict.pop("logger_name")
    return event_dict


def _renderer(fmt: str, stream: TextIO) -> Any:
    if fmt == "auto":
        fmt = "console" if getattr(stream, "isatty", lambda: False)() else "json"
    if fmt == "console":
        return structlog.dev.ConsoleRenderer(colors=False)
    return structlog.processors.JSONRenderer(default=str)


def _enrich() -> list[Any]:
    """What every event gets, whichever API wrote it."""
    return [
        structlog.contextvars.merge_contextvars,
        add_call_context,
        structlog.processors.add_log_level,
        structlog.processors.TimeStamper(fmt="iso", utc=True),
    ]


def configure(config: LoggingConfig | None = None, stream: TextIO | None = None) -> None:
    """Route structlog and ``logging`` through one redacting pipeline.

    Calling it again replaces the previous set-up (tests point it at a
    buffer; the CLI at stderr).
    """
    global _configured, _level
    config = config or LoggingConfig()
    stream = stream or sys.stderr
    _level = getattr(logging, config.level.upper())
    renderer = _renderer(config.format, stream)

    # Redaction runs last before rendering, on the exception text too.
    structlog.configure(
        processors=[_name_logger, *_enrich(), structlog.processors.format_exc_info, redact, renderer],
        wrapper_class=structlog.make_filtering_bound_logger(_level),
        logger_factory=structlog.WriteLoggerFactory(file=stream),
        cache_logger_on_first_use=False,
    )
    handler = logging.StreamHandler(stream)
    handler.set_name("apiary")
    handler.setFormatter(
        structlog.stdlib.ProcessorFormatter(
            foreign_pre_chain=[*_enrich(), structlog.stdlib.add_logger_name, structlog.stdlib.ExtraAdder()],
            processors=[
                structlog.stdlib.ProcessorFormatter.remove_processors_meta,
                structlog.processors.format_exc_info,
                redact,
                renderer,
            ],
        )
    )
    root = logging.getLogger()
    for existing in [h for h in root.handlers if h.get_name() == "apiary"]:
        root.removeHandler(existing)
    root.addHandler(handler)
    root.setLevel(_level)
    # aiohttp's access log and client internals are noise at info level.
    logging.getLogger("aiohttp.access").setLevel(max(_level, logging.WARNING))
    _configured = True


def ensure_configured(config: LoggingConfig | None = None) -> None:
    """Configure logging unless it already was (by us or the embedding app)."""
    if not _configured and not structlog.is_configured():
        configure(config)


def is_enabled(level: int) -> bool:
    """Whether events at ``level`` are written: lets hot paths skip building them."""
    return level >= _level


def get_logger(name: str = "apiary") -> Any:
    """A structlog logger writing into the shared pipeline, named ``name``."""
    # structlog reserves ``logger=`` for the wrapped object; _name_logger renames.
    return structlog.wrap_logger(None, logger_name=name)
