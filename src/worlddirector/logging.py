"""Structured logging (structlog) shared by the CLI, server and workers.

Secrets never pass through here: code logs identifiers and hashes, never keys. The
:func:`redact` processor is a second line of defence that masks anything shaped like a key.
"""

from __future__ import annotations

import logging
import re
import sys

import structlog

_KEYLIKE = re.compile(r"(sk-[A-Za-z0-9_\-]{8,}|AIza[0-9A-Za-z_\-]{20,}|AKIA[0-9A-Z]{16})")


def _redact_value(v):
    if isinstance(v, str):
        return _KEYLIKE.sub("[redacted]", v)
    return v


def redact(_logger, _name, event_dict):
    for k in list(event_dict):
        if any(s in k.lower() for s in ("key", "secret", "token", "authorization", "password")):
            event_dict[k] = "[redacted]"
        else:
            event_dict[k] = _redact_value(event_dict[k])
    return event_dict


def configure_logging(level: str = "INFO", json: bool = False) -> None:
    logging.basicConfig(format="%(message)s", stream=sys.stderr, level=getattr(logging, level))
    renderer = structlog.processors.JSONRenderer() if json else structlog.dev.ConsoleRenderer(colors=False)
    structlog.configure(
        processors=[
            structlog.contextvars.merge_contextvars,
            structlog.processors.add_log_level,
            structlog.processors.TimeStamper(fmt="iso"),
            redact,
            renderer,
        ],
        wrapper_class=structlog.make_filtering_bound_logger(getattr(logging, level)),
        logger_factory=structlog.PrintLoggerFactory(file=sys.stderr),
        cache_logger_on_first_use=False,
    )


def get_logger(name: str | None = None):
    return structlog.get_logger(name)
