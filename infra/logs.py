"""Structured logs (structlog): JSON in production, readable in dev, customer numbers masked.

The masking processor runs on every event, so a phone or ID number that slips into any field
(even inside a free-text message) is never written in clear (`infra.masking.mask_text`).
"""

from __future__ import annotations

import logging
import sys
from collections.abc import MutableMapping
from typing import Any

import structlog

from infra.masking import mask_text


def _mask(value: Any) -> Any:
    if isinstance(value, str):
        return mask_text(value)
    if isinstance(value, dict):
        return {k: _mask(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return type(value)(_mask(v) for v in value)
    return value


def mask_customer_numbers(
    _logger: Any, _method: str, event: MutableMapping[str, Any]
) -> MutableMapping[str, Any]:
    for key, value in list(event.items()):
        if key not in ("timestamp", "level", "logger"):
            event[key] = _mask(value)
    return event


def configure(fmt: str = "console", level: int = logging.INFO) -> None:
    renderer: Any = (
        structlog.processors.JSONRenderer(ensure_ascii=False)
        if fmt == "json"
        else structlog.dev.ConsoleRenderer(colors=sys.stderr.isatty())
    )
    shared: list[Any] = [
        structlog.contextvars.merge_contextvars,
        structlog.processors.add_log_level,
        structlog.processors.TimeStamper(fmt="iso", utc=True),
    ]
    structlog.configure(
        processors=[*shared, mask_customer_numbers, renderer],
        wrapper_class=structlog.make_filtering_bound_logger(level),
        # Resolve stderr at each logger's creation, not now: it may be replaced (tests).
        logger_factory=lambda *_: structlog.PrintLogger(sys.stderr),
        cache_logger_on_first_use=False,
    )
    # The standard library's records (the SDK's, and the Temporal core's forwarded to them by
    # `infra.temporal.core_logging`) go through the same renderer and masking: one JSON line
    # each in production, never the core's own coloured console lines on stdout.
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(
        structlog.stdlib.ProcessorFormatter(
            foreign_pre_chain=[*shared, structlog.stdlib.add_logger_name],
            processors=[
                structlog.stdlib.ProcessorFormatter.remove_processors_meta,
                mask_customer_numbers,
                renderer,
            ],
        )
    )
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(logging.WARNING)
