"""The decision notice as the ledger keeps it (R-CU-1), for its printable letter: the case's last
decision notice to the customer, with its facts, when it was queued and how its delivery went.
The words are the relay's (`notices.templates.Wording`, with the version in force when it was
queued): the caller words it as the relay did."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from domain.notice_models import CustomerTemplate, CustomerWords, Notification
from infra.postgres import Queryable

LAST_DECISION = """
SELECT notice_key, channel, complaint_id, kind, recipient_role, recipient, subject, body, clock,
    words, created_at, status, delivered_at
FROM notifications
WHERE complaint_id = $1 AND recipient_role = 'customer' AND words->>'template' = $2
ORDER BY created_at DESC, notice_key DESC, (status = 'delivered') DESC
LIMIT 1
"""


@dataclass(frozen=True)
class SentNotice:
    """A customer notice as recorded (its facts in `notice.words`), when it was queued, and its
    delivery."""

    notice: Notification
    queued_at: datetime
    channel: str  # the channel it went out on (a delivered one first)
    status: str
    delivered_at: datetime | None


async def last_decision(db: Queryable, complaint_id: str) -> SentNotice | None:
    """The case's newest decision notice (a case reopened and decided again has several); None
    when no decision notice was queued (a case of rules 1-4, or not decided)."""
    row = await db.fetchrow(LAST_DECISION, complaint_id, CustomerTemplate.DECISION.value)
    if row is None:
        return None
    notice = Notification(
        key=row["notice_key"],
        complaint_id=row["complaint_id"],
        kind=row["kind"],
        recipient_role=row["recipient_role"],
        recipient=row["recipient"],
        channels=[],
        subject=row["subject"],
        body=row["body"],
        clock=row["clock"],
        words=CustomerWords.model_validate_json(row["words"]),
    )
    return SentNotice(
        notice=notice,
        queued_at=row["created_at"],
        channel=row["channel"],
        status=row["status"],
        delivered_at=row["delivered_at"],
    )
