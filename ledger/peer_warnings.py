"""A peer's crisis recorded by the crisis group (R-CR-11; migration 0019): the record and its
early warning to the head office's designated contacts (R-CR-9), put in the outbox in the
same transaction, as the hot spots' reminders are (ledger/hotspots.py).

Not one case's: its notices carry `peer-warning-<id>` where a case's carry its complaint id.
"""

from __future__ import annotations

from datetime import datetime

from asyncpg import Record

from domain import contacts
from domain.contacts import Unit
from domain.notice_models import NoticeKind, Notification
from infra.postgres import Connection, Queryable
from ledger import outbox
from ledger import policy as policies

INSERT = """
INSERT INTO peer_warnings (peer, detail, source, recorded_by, recorded_at, warned)
VALUES ($1, $2, $3, $4, $5, $6)
RETURNING peer_warning_id, peer, detail, source, recorded_by, recorded_at, warned
"""


async def crisis_group(db: Queryable, at: datetime) -> list[str]:
    """R-CR-9: the head office's designated contacts in the directory in force at `at`
    (empty: the directory has no head office yet)."""
    found = await policies.every_scope_in_force(db, "contacts", at)
    units = [Unit.model_validate(body | {"unit": unit}) for unit, body in found.items()]
    head = contacts.head_office(units)
    return [] if head is None else list(dict.fromkeys(c.user for c in head.contacts))


def words(peer_warning_id: int, peer: str, detail: str, source: str | None) -> tuple[str, str]:
    where = f"\nSource: {source}" if source else ""
    return (
        f"同业危机事件预警 / early warning: a crisis at {peer}",
        f"Peer warning {peer_warning_id}: {peer}.\n{detail}{where}\n"
        "Prepare the explanations to customers in advance (S1 事前准备).",
    )


async def record(
    conn: Connection,
    *,
    peer: str,
    detail: str,
    source: str | None,
    by: str,
    at: datetime,
    recipients: list[str],
) -> tuple[Record, list[Notification]]:
    """The peer's crisis and the early warning to each recipient, in one transaction (run it
    inside one)."""
    row = await conn.fetchrow(INSERT, peer, detail, source, by, at, recipients)
    assert row is not None
    wid = row["peer_warning_id"]
    subject, body = words(wid, peer, detail, source)
    told = [
        Notification(
            key=f"peer-warning-{wid}:{person}",
            complaint_id=f"peer-warning-{wid}",
            kind=NoticeKind.EARLY_WARNING,
            recipient_role="headquarters",
            recipient=person,
            channels=["email", "sms"],
            subject=subject,
            body=body,
        )
        for person in recipients
    ]
    await outbox.enqueue(conn, told)
    return row, told
