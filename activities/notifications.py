"""Notifications: one interface, sinks behind it.

The workflow decides who is told what and when; the activity here only hands the notice to
the notifier. `OutboxNotifier` (production) writes it to the PostgreSQL outbox, one row per
channel, and delivers each row through its channel adapter; a transient failure raises, so
Temporal retries the activity with backoff, and rows already delivered are not sent again.
`LogNotifier` writes structured log events instead.
"""

from __future__ import annotations

import asyncio
from datetime import timedelta
from typing import Protocol

import asyncpg
import structlog
from temporalio import activity
from temporalio.exceptions import ApplicationError

from activities.channels import Channels, DeliveryError, PermanentDeliveryError
from domain.models import Notification


class Notifier(Protocol):
    async def send(self, notice: Notification) -> None: ...


class LogNotifier:
    """Writes each notice as a structured event (customer numbers are masked by the logger)."""

    def __init__(self) -> None:
        self._log = structlog.get_logger("notifications")

    async def send(self, notice: Notification) -> None:
        self._log.info(
            "notification",
            complaint_id=notice.complaint_id,
            key=notice.key,
            kind=notice.kind.value,
            to=notice.recipient_role,
            recipient=notice.recipient,
            channels=notice.channels,
            subject=notice.subject,
            body=notice.body,
        )


INSERT_OUTBOX = """
INSERT INTO notifications (notice_key, channel, complaint_id, kind, recipient_role, recipient,
    subject, body)
VALUES ($1, $2, $3, $4, $5, $6, $7, $8)
ON CONFLICT (notice_key, channel) DO NOTHING
"""

MARK = """
UPDATE notifications SET status = $3, attempts = attempts + 1, provider_id = $4,
    last_error = $5, delivered_at = CASE WHEN $3 = 'delivered' THEN now() END
WHERE notice_key = $1 AND channel = $2
"""


class OutboxNotifier:
    """The durable notifier: outbox first, then delivery, each row delivered once."""

    def __init__(self, pool: asyncpg.Pool, channels: Channels) -> None:
        self._pool = pool
        self._channels = channels
        self._log = structlog.get_logger("notifications")

    async def send(self, notice: Notification) -> None:
        n = notice
        async with self._pool.acquire() as conn:
            await conn.executemany(
                INSERT_OUTBOX,
                [
                    (n.key, ch, n.complaint_id, n.kind.value, n.recipient_role, n.recipient,
                     n.subject, n.body)
                    for ch in n.channels
                ],
            )  # fmt: skip
            pending = await conn.fetch(
                "SELECT channel FROM notifications WHERE notice_key = $1 AND status = 'pending'",
                n.key,
            )
        refused: list[str] = []
        for row in pending:
            channel = row["channel"]
            try:
                status, provider_id = await self._channels.deliver(n, channel)
            except PermanentDeliveryError as err:
                await self._mark(n.key, channel, "failed", None, str(err))
                refused.append(f"{channel}: {err}")
                continue
            except DeliveryError as err:
                await self._mark(n.key, channel, "pending", None, str(err))
                raise  # Temporal retries with backoff; delivered rows are not sent again
            await self._mark(n.key, channel, status, provider_id, None)
            self._log.info(
                "notification", complaint_id=n.complaint_id, key=n.key, kind=n.kind.value,
                to=n.recipient_role, channel=channel, status=status,
            )  # fmt: skip
        if refused:
            raise ApplicationError("; ".join(refused), type="DeliveryRefused", non_retryable=True)

    async def _mark(
        self, key: str, channel: str, status: str, provider_id: str | None, error: str | None
    ) -> None:
        async with self._pool.acquire() as conn:
            await conn.execute(MARK, key, channel, status, provider_id, error)


class NotificationActivities:
    def __init__(self, notifier: Notifier) -> None:
        self._notifier = notifier

    @activity.defn(name="notify")
    async def notify(self, notice: Notification) -> None:
        # Heartbeats let Temporal notice a dead worker in seconds, not after the full timeout.
        beating = asyncio.create_task(_heartbeat(timedelta(seconds=1)))
        try:
            await self._notifier.send(notice)
        finally:
            beating.cancel()


async def _heartbeat(every: timedelta) -> None:
    while True:
        activity.heartbeat()
        await asyncio.sleep(every.total_seconds())
