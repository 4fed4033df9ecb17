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

Redaction holds whatever the embedding application configured: the host's
own loggers (``get_logger``) run the call's context and redaction ahead of
the application's structlog processors when those are not the host's, and
the integrations' ``logging`` loggers (``integration_logger``) scrub each
record in place before any handler sees it.
"""

from __future__ import annotations

import logging
import sys
from collections.abc import Iterator, MutableMapping
from typing import Any, TextIO

import structlog

from .._config import LoggingConfig
from ..hooks import current_call
from .redaction import redact, redact_record

_level = logging.INFO
_configured = False
_installed: list[Any] | None = None  # the structlog processors configure() installed


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


def _record_exception(logger: Any, method_name: str, event_dict: MutableMapping[str, Any]) -> MutableMapping[str, Any]:
    """ProcessorFormatter pre-chain: a record whose traceback ``redact_record``
    turned into text keeps it, as the ``exception`` field."""
    record = event_dict.get("_record")
    if record is not None and record.exc_text and not record.exc_info and "exception" not in event_dict:
        event_dict["exception"] = record.exc_text
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
    global _configured, _installed, _level
    config = config or LoggingConfig()
    stream = stream or sys.stderr
    _level = getattr(logging, config.level.upper())
    renderer = _renderer(config.format, stream)

    # Redaction runs last before rendering, on the exception text too.
    _installed = [_name_logger, *_enrich(), structlog.processors.format_exc_info, redact, renderer]
    structlog.configure(
        processors=_installed,
        wrapper_class=structlog.make_filtering_bound_logger(_level),
        logger_factory=structlog.WriteLoggerFactory(file=stream),
        cache_logger_on_first_use=False,
    )
    handler = logging.StreamHandler(stream)
    handler.set_name("apiary")
    handler.setFormatter(
        structlog.stdlib.ProcessorFormatter(
            foreign_pre_chain=[
                *_enrich(),
                structlog.stdlib.add_logger_name,
                structlog.stdlib.ExtraAdder(),
                _record_exception,
            ],
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


class _HostProcessors:
    """The processors of the host's own loggers, looked up at each event: the
    configured chain when it is the host's (it redacts), else the call's
    context, the exception as text and redaction ahead of the application's
    chain, so no host event reaches an application's renderer unredacted."""

    __slots__ = ("_base", "_chain")

    def __init__(self) -> None:
        self._base: Any = None
        self._chain: list[Any] = []

    def __iter__(self) -> Iterator[Any]:
        configured = structlog.get_config()["processors"]
        if _installed is not None and configured is _installed:
            return iter(_installed)
        if configured is not self._base:
            self._chain = [
                _name_logger,
                structlog.contextvars.merge_contextvars,
                add_call_context,
                structlog.processors.format_exc_info,
                redact,
                *configured,
            ]
            self._base = configured
        return iter(self._chain)


_HOST_PROCESSORS = _HostProcessors()


def get_logger(name: str = "apiary") -> Any:
    """A structlog logger writing into the shared pipeline, named ``name``."""
    # structlog reserves ``logger=`` for the wrapped object; _name_logger renames.
    return structlog.wrap_logger(None, processors=_HOST_PROCESSORS, logger_name=name)


class _RedactingFilter(logging.Filter):
    """Scrubs each record of the logger it is attached to (and lets it pass)."""

    def filter(self, record: logging.LogRecord) -> bool:
        redact_record(record)
        return True


_REDACTING = _RedactingFilter()


def integration_logger(integration_id: str) -> logging.Logger:
    """The ``logging`` logger of one integration (its ``context.logger``),
    whose records are redacted before any handler, the application's
    included, sees them."""
    logger = logging.getLogger(f"apiary.integration.{integration_id}")
    if _REDACTING not in logger.filters:
        logger.addFilter(_REDACTING)
    return logger
