"""The ledger write as an activity (a local activity of every complaint): the workflow's
record goes to PostgreSQL in one statement (`ledger.record.write_record`)."""

from __future__ import annotations

import asyncpg
import structlog
from temporalio import activity

from domain.models import LedgerRecord
from ledger.record import write_record

log = structlog.get_logger("ledger")


class LedgerActivities:
    def __init__(self, pool: asyncpg.Pool) -> None:
        self._pool = pool

    @activity.defn(name="record_in_ledger")
    async def record(self, record: LedgerRecord) -> None:
        async with self._pool.acquire() as conn:
            await write_record(conn, record)
        log.debug(
            "ledger recorded",
            complaint_id=record.state.complaint_id,
            events=len(record.state.timeline),
            stage=record.state.stage.value,
        )
