"""Rows as PostgreSQL arrays: what every batched ledger write passes to `unnest`."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any


def columns(rows: Sequence[tuple[Any, ...]], width: int) -> list[list[Any]]:
    """Rows as column arrays, for `unnest`: one array per column, empty if there are no rows."""
    return [list(column) for column in zip(*rows, strict=True)] if rows else [[]] * width
