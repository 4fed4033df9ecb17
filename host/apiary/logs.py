"""One structured log pipeline for the host, its integrations and libraries.

structlog events and standard ``logging`` records (which is what
``context.logger`` in an integration writes to) go through the same
processors: context variables bound for the current call (call id,
integration, action), level and timestamp, exception formatting, then
redaction, then JSON lines or a readable console rendering.

Logs go to stderr: stdout belongs to command output (``apiary call`` prints
its result there, ``apiary mcp`` speaks its protocol there).
"""

from __future__ import annotations

import logging
import sys
from typing import IO, Any, List, Optional

import structlog

from .config import LoggingConfig
from .redaction import redact

_configured = False


def _renderer(fmt: str, stream: IO[str]) -> Any:
    if fmt == "auto":
        fmt = "console" if getattr(stream, "isatty", lambda: False)() else "json"
    if fmt == "console":
        return structlog.dev.ConsoleRenderer(colors=False)
    return structlog.processors.JSONRenderer(default=str)


def _enrich() -> List[Any]:
    """What every event gets, whichever API wrote it."""
    return [
        structlog.contextvars.merge_contextvars,
        structlog.stdlib.add_log_level,
        structlog.stdlib.add_logger_name,
        structlog.processors.TimeStamper(fmt="iso", utc=True),
    ]


def configure(config: Optional[LoggingConfig] = None, stream: Optional[IO[str]] = None) -> None:
    """Route structlog and ``logging`` through one redacting pipeline.

    Idempotent: calling it again replaces the previous set-up (tests point
    it at a buffer; the CLI at stderr).
    """
    global _configured
    config = config or LoggingConfig()
    stream = stream or sys.stderr
    level = getattr(logging, config.level.upper())

    structlog.configure(
        processors=[
            structlog.stdlib.filter_by_level,
            *_enrich(),
            structlog.stdlib.ProcessorFormatter.wrap_for_formatter,
        ],
        logger_factory=structlog.stdlib.LoggerFactory(),
        wrapper_class=structlog.stdlib.BoundLogger,
        cache_logger_on_first_use=False,
    )
    handler = logging.StreamHandler(stream)
    handler.set_name("apiary")
    handler.setFormatter(
        structlog.stdlib.ProcessorFormatter(
            foreign_pre_chain=[*_enrich(), structlog.stdlib.ExtraAdder()],
            # Last, for both kinds of event: redaction sees the rendered
            # exception text, and nothing is written before it ran.
            processors=[
                structlog.stdlib.ProcessorFormatter.remove_processors_meta,
                structlog.processors.format_exc_info,
                redact,
                _renderer(config.format, stream),
            ],
        )
    )
    root = logging.getLogger()
    for existing in [h for h in root.handlers if h.get_name() == "apiary"]:
        root.removeHandler(existing)
    root.addHandler(handler)
    root.setLevel(level)
    # aiohttp's access log and client internals are noise at info level.
    logging.getLogger("aiohttp.access").setLevel(max(level, logging.WARNING))
    _configured = True


def ensure_configured(config: Optional[LoggingConfig] = None) -> None:
    """Configure logging unless it already was (by us or the embedding app)."""
    if not _configured and not structlog.is_configured():
        configure(config)


def get_logger(name: str = "apiary") -> Any:
    """A structlog logger writing into the shared pipeline."""
    return structlog.get_logger(name)
