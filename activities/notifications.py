"""The legacy `notify` activity: cases started before notices went through the ledger's own
write still call it (`workflow.patched`), so it stays registered; it now only puts the notice
in the outbox (`ledger.outbox`), and the relay of `notices.relay` delivers it."""

from __future__ import annotations

import asyncpg
from temporalio import activity

from domain.notice_models import Notification
from ledger.outbox import enqueue


class NotificationActivities:
    """For cases started before notices went through the ledger's transaction."""

    def __init__(self, pool: asyncpg.Pool) -> None:
        self._pool = pool

    @activity.defn(name="notify")
    async def notify(self, notice: Notification) -> None:
        async with self._pool.acquire() as conn:
            await enqueue(conn, [notice])
