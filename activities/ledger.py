"""The ledger write as an activity (a local activity of every complaint): the workflow's
record goes to PostgreSQL in one statement (`ledger.record.write_record`). The breaches that
statement inserted are counted here (`infra.metrics`: how many, and how late after their due
instant they reached the ledger), once each, however often the activity is retried."""

from __future__ import annotations

from datetime import UTC, datetime

import asyncpg
import structlog
from temporalio import activity

from domain.ledger_records import LedgerRecord
from infra import metrics
from ledger.record import write_record

log = structlog.get_logger("ledger")


class LedgerActivities:
    def __init__(self, pool: asyncpg.Pool) -> None:
        self._pool = pool

    @activity.defn(name="record_in_ledger")
    async def record(self, record: LedgerRecord) -> None:
        async with self._pool.acquire() as conn:
            breaches = await write_record(conn, record)
        committed = datetime.now(UTC)  # the statement is its own transaction: committed now
        for clock_key, due_at in breaches:
            metrics.breach_recorded(clock_key, due_at, committed)
        log.debug(
            "ledger recorded",
            complaint_id=record.state.complaint_id,
            events=len(record.state.timeline),
            stage=record.state.stage.value,
        )
