"""The legacy `notify` activity, and the outbox's insert that the ledger write shares.

Notices reach the `notifications` outbox in the transaction of the ledger entry that records
them (`activities.ledger`); the relay of `notices.relay` delivers them. Cases started before
that change still call `notify` (`workflow.patched`): it stays registered and now only puts
the notice in the outbox.
"""

from __future__ import annotations

from collections.abc import Iterable

import asyncpg
from temporalio import activity

from domain.models import Notification

INSERT_OUTBOX = """
INSERT INTO notifications (notice_key, channel, complaint_id, kind, recipient_role, recipient,
    subject, body, clock)
SELECT * FROM unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::text[], $6::text[],
                     $7::text[], $8::text[], $9::text[])
ON CONFLICT (notice_key, channel) DO NOTHING
"""


def outbox_columns(notices: Iterable[Notification]) -> list[list[str | None]]:
    """The outbox rows of these notices, one per channel, as 9 column arrays for `unnest`."""
    columns: list[list[str | None]] = [[] for _ in range(9)]
    for n in notices:
        for channel in n.channels:
            row = (n.key, channel, n.complaint_id, n.kind.value, n.recipient_role, n.recipient,
                   n.subject, n.body, n.clock)  # fmt: skip
            for column, value in zip(columns, row, strict=True):
                column.append(value)
    return columns


async def enqueue(
    conn: asyncpg.Connection | asyncpg.pool.PoolConnectionProxy, notices: Iterable[Notification]
) -> None:
    """Put notices in the outbox, one row per channel (a repeat is a no-op); a trigger wakes
    the relays when the surrounding transaction commits (migrations 0005 and 0006). The
    ledger's record queues its notices in its own statement (`activities.ledger`)."""
    await conn.execute(INSERT_OUTBOX, *outbox_columns(notices))


class NotificationActivities:
    """For cases started before notices went through the ledger's transaction."""

    def __init__(self, pool: asyncpg.Pool) -> None:
        self._pool = pool

    @activity.defn(name="notify")
    async def notify(self, notice: Notification) -> None:
        async with self._pool.acquire() as conn:
            await enqueue(conn, [notice])
