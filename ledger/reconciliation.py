"""The ledger's side of the reconciliation (workflows/reconciliation.py): its open cases in
pages, the mark of a case whose workflow no longer runs (`orphaned_cases`, migration 0013)
with the supervisor's notice in the outbox (`/metrics` counts the marks:
`ledger.metrics.orphaned_cases`).

The mark is the key: a case is marked once, ever (`ON CONFLICT DO NOTHING`), and its notice is
put in the outbox in the same transaction only when the mark is new, so however often a
reconciliation runs or an activity is retried, the supervisor hears of a case once.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from domain import notices
from domain.notice_models import NoticeKind, Notification
from infra.postgres import Connection, Queryable
from ledger import outbox
from ledger.metrics import FINISHED_STAGES
from ledger.rows import columns

ORPHAN_STATUSES = tuple(notices.ORPHAN_REASONS)


@dataclass(frozen=True)
class OpenCase:
    complaint_id: str
    workflow_id: str
    stage: str


@dataclass(frozen=True)
class Orphan:
    """A case whose workflow Temporal describes as no longer running (or does not know)."""

    complaint_id: str
    workflow_id: str
    stage: str
    status: str  # one of ORPHAN_STATUSES
    run_id: str | None = None


async def open_cases(db: Queryable, after: str | None, limit: int) -> list[OpenCase]:
    """The next page of cases open in the ledger and not yet marked, by complaint id (a
    keyset page: the primary key's index, whatever the size of the book)."""
    rows = await db.fetch(
        "SELECT c.complaint_id, c.workflow_id, c.stage FROM complaints c"
        " WHERE c.stage <> ALL($1::text[]) AND c.complaint_id > $2"
        " AND NOT EXISTS (SELECT 1 FROM orphaned_cases o WHERE o.complaint_id = c.complaint_id)"
        " ORDER BY c.complaint_id LIMIT $3",
        list(FINISHED_STAGES),
        after or "",
        limit,
    )
    return [OpenCase(r["complaint_id"], r["workflow_id"], r["stage"]) for r in rows]


MARK = """
WITH marked AS (
    INSERT INTO orphaned_cases (complaint_id, workflow_id, status, run_id, stage)
    SELECT m.complaint_id, m.workflow_id, m.status, m.run_id, c.stage
    FROM unnest($1::text[], $2::text[], $3::text[], $4::text[])
        AS m(complaint_id, workflow_id, status, run_id)
    JOIN complaints c ON c.complaint_id = m.complaint_id
    WHERE c.stage <> ALL($5::text[])
    ON CONFLICT (complaint_id) DO NOTHING
    RETURNING complaint_id, workflow_id, status, stage
)
SELECT m.complaint_id, m.workflow_id, m.status, m.stage, c.supervisor, c.owner
FROM marked m JOIN complaints c ON c.complaint_id = m.complaint_id
ORDER BY m.complaint_id
"""


async def mark(conn: Connection, orphans: Sequence[Orphan]) -> list[Notification]:
    """Mark the cases (those still open and not marked before) and put one notice per new
    mark in the outbox for the case's supervisor (its owner when it has none). Run it inside a
    transaction: the mark and the notice commit together. Returns the notices of new marks."""
    if not orphans:
        return []
    rows = [(o.complaint_id, o.workflow_id, o.status, o.run_id) for o in orphans]
    marked = await conn.fetch(MARK, *columns(rows, 4), list(FINISHED_STAGES))
    told = [
        Notification(
            key=f"orphaned:{r['complaint_id']}",
            complaint_id=r["complaint_id"],
            kind=NoticeKind.CASE_ORPHANED,
            recipient_role="supervisor" if r["supervisor"] else "owner",
            recipient=r["supervisor"] or r["owner"],
            channels=["email"],
            subject=subject,
            body=body,
        )
        for r in marked
        for subject, body in [
            notices.case_orphaned(r["complaint_id"], r["stage"], r["status"], r["workflow_id"])
        ]
    ]
    await outbox.enqueue(conn, told)
    return told
