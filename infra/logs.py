"""Structured logs (structlog): JSON in production, readable in dev, customer numbers masked.

The masking processor runs on every event, so a phone or ID number that slips into any field
(even inside a free-text message) is never written in clear.
"""

from __future__ import annotations

import logging
import re
import sys
from collections.abc import MutableMapping
from typing import Any

import structlog

# Mainland ID numbers (18 chars, last may be X), mobile numbers (+86 optional), and any other
# run of 7+ consecutive digits that may be a landline or account-like number (dates and times,
# with at most 4 digits in a row, stay readable).
_ID = re.compile(r"(?<![0-9A-Za-z])(\d{6})\d{8}(\d{3}[\dXx])(?![0-9A-Za-z])")
_MOBILE = re.compile(r"(?<!\d)((?:\+?86[- ]?)?1[3-9]\d)\d{4}(\d{4})(?!\d)")
_DIGITS = re.compile(r"(?<!\d)(\d{2})\d{3,}(\d{2})(?!\d)")


def mask_text(text: str) -> str:
    text = _ID.sub(lambda m: f"{m.group(1)}********{m.group(2)[-1]}", text)
    text = _MOBILE.sub(lambda m: f"{m.group(1)}****{m.group(2)}", text)
    return _DIGITS.sub(
        lambda m: f"{m.group(1)}***{m.group(2)}" if _long(m.group(0)) else m.group(0), text
    )


def _long(run: str) -> bool:
    return sum(ch.isdigit() for ch in run) >= 7


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
    structlog.configure(
        processors=[
            structlog.contextvars.merge_contextvars,
            structlog.processors.add_log_level,
            structlog.processors.TimeStamper(fmt="iso", utc=True),
            mask_customer_numbers,
            renderer,
        ],
        wrapper_class=structlog.make_filtering_bound_logger(level),
        # Resolve stderr at each logger's creation, not now: it may be replaced (tests).
        logger_factory=lambda *_: structlog.PrintLogger(sys.stderr),
        cache_logger_on_first_use=False,
    )
    logging.basicConfig(
        level=logging.WARNING, stream=sys.stderr, format="%(levelname)s %(name)s %(message)s"
    )
