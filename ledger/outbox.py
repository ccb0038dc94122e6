"""The notification outbox (`notifications`): notices are put in by the ledger's own write (or
`enqueue`, for the legacy `notify` activity), and claimed and marked by the relay
(`notices.relay`).

A row is one notice on one channel, keyed `(notice_key, channel)`, so putting a notice in
twice is a no-op. A trigger (migrations 0005 and 0006) sends `NOTIFY complaint_notices` when a
transaction that inserted rows commits; `claim` takes due rows `FOR UPDATE SKIP LOCKED`, so
relays in several workers never take the same row, and leases them by moving their next
attempt past the lease: a relay that dies mid-send leaves them to be claimed again.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import NamedTuple

from asyncpg import Record

from domain.notice_models import CustomerWords, Notification
from infra.postgres import Connection, Queryable

WAKE_CHANNEL = "complaint_notices"  # LISTEN here to hear of new rows (migration 0005)

INSERT_OUTBOX = """
INSERT INTO notifications (notice_key, channel, complaint_id, kind, recipient_role, recipient,
    subject, body, clock, words)
SELECT * FROM unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::text[], $6::text[],
                     $7::text[], $8::text[], $9::text[], $10::jsonb[])
ON CONFLICT (notice_key, channel) DO NOTHING
"""

CLAIM = """
UPDATE notifications n
SET attempts = n.attempts + 1, next_attempt_at = now() + $2::interval
FROM (
    SELECT notice_key, channel FROM notifications
    WHERE status = 'pending' AND next_attempt_at <= now()
    ORDER BY next_attempt_at
    LIMIT $1
    FOR UPDATE SKIP LOCKED
) due
WHERE n.notice_key = due.notice_key AND n.channel = due.channel
RETURNING n.notice_key, n.channel, n.complaint_id, n.kind, n.recipient_role, n.recipient,
    n.subject, n.body, n.clock, n.words, n.attempts, now() - n.created_at AS age, n.created_at
"""

MARK = """
UPDATE notifications n SET status = m.status, provider_id = m.provider_id, last_error = m.error,
    delivered_at = CASE WHEN m.status = 'delivered' THEN now() END,
    next_attempt_at = now() + m.backoff
FROM unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::text[], $6::interval[])
    AS m(notice_key, channel, status, provider_id, error, backoff)
WHERE n.notice_key = m.notice_key AND n.channel = m.channel
"""


def outbox_columns(notices: Iterable[Notification]) -> list[list[str | None]]:
    """The outbox rows of these notices, one per channel, as 9 column arrays for `unnest`."""
    columns: list[list[str | None]] = [[] for _ in range(9)]
    for n in notices:
        for channel in n.channels:
            row = (
                n.key,
                channel,
                n.complaint_id,
                n.kind.value,
                n.recipient_role,
                n.recipient,
                n.subject,
                n.body,
                n.clock,
            )
            for column, value in zip(columns, row, strict=True):
                column.append(value)
    return columns


def outbox_words(notices: Iterable[Notification]) -> list[str | None]:
    """The `words` column of the same rows (a customer notice's facts, as JSON)."""
    return [
        n.words.model_dump_json() if n.words is not None else None
        for n in notices
        for _ in n.channels
    ]


async def enqueue(conn: Connection, notices: Iterable[Notification]) -> None:
    """Put notices in the outbox, one row per channel (a repeat is a no-op); the trigger wakes
    the relays when the surrounding transaction commits. The ledger's record queues its
    notices in its own statement (`ledger.record`)."""
    notices = list(notices)
    await conn.execute(INSERT_OUTBOX, *outbox_columns(notices), outbox_words(notices))


@dataclass(frozen=True)
class Due:
    """A claimed row: the notice on its one channel, the attempt this is (1 for the first),
    how long ago the notice was put in, and when (its customer words' version: notices.relay)."""

    notice: Notification
    channel: str
    attempts: int
    age: timedelta
    queued_at: datetime | None = None


class Outcome(NamedTuple):
    """What became of one claimed row, as `mark` records it."""

    notice_key: str
    channel: str
    status: str  # pending (try again after `backoff`), delivered, skipped, failed
    provider_id: str | None
    error: str | None
    backoff: timedelta


async def claim(db: Queryable, batch: int, lease: timedelta) -> list[Due]:
    """Up to `batch` due rows, leased for `lease`, oldest first."""
    return [_due(row) for row in await db.fetch(CLAIM, batch, lease)]


def _due(r: Record) -> Due:
    notice = Notification(
        key=r["notice_key"],
        complaint_id=r["complaint_id"],
        kind=r["kind"],
        recipient_role=r["recipient_role"],
        recipient=r["recipient"],
        channels=[r["channel"]],
        subject=r["subject"],
        body=r["body"],
        clock=r["clock"],
        words=CustomerWords.model_validate_json(r["words"]) if r["words"] else None,
    )
    return Due(
        notice=notice,
        channel=r["channel"],
        attempts=r["attempts"],
        age=r["age"],
        queued_at=r["created_at"],
    )


async def mark(db: Queryable, outcomes: Sequence[Outcome]) -> None:
    """Record the outcomes of a claimed batch in one statement."""
    await db.execute(MARK, *(list(column) for column in zip(*outcomes, strict=True)))
