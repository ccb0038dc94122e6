"""What the worker's `/metrics` reads from the ledger when scraped (infra/metrics.py): the
open cases by stage and grade, the outbox's backlog, and the open cases whose workflow no
longer runs (`orphaned_cases`, ledger/reconciliation.py). Read-only; one statement each."""

from __future__ import annotations

from dataclasses import dataclass

from infra.postgres import Queryable

# Stages a case leaves the open book in: closed (waiting out its review window) and withdrawn.
FINISHED_STAGES = ("closed", "withdrawn")


async def open_cases(db: Queryable) -> list[tuple[str, str, int]]:
    """(stage, grade, count) of the complaints not closed or withdrawn."""
    rows = await db.fetch(
        "SELECT stage, grade, count(*) AS n FROM complaints"
        " WHERE stage <> ALL($1::text[]) GROUP BY stage, grade",
        list(FINISHED_STAGES),
    )
    return [(r["stage"], r["grade"], r["n"]) for r in rows]


@dataclass(frozen=True)
class Backlog:
    pending: int  # rows (one notice on one channel) waiting to be sent or retried
    oldest_age: float  # seconds since the oldest of them was put in; 0 when there is none


async def outbox_backlog(db: Queryable) -> Backlog:
    row = await db.fetchrow(
        "SELECT count(*) AS pending,"
        " coalesce(extract(epoch FROM now() - min(created_at)), 0)::float8 AS oldest"
        " FROM notifications WHERE status = 'pending'"
    )
    assert row is not None
    return Backlog(pending=row["pending"], oldest_age=max(0.0, row["oldest"]))


async def orphaned_cases(db: Queryable) -> list[tuple[str, int]]:
    """(status, count) of the cases the reconciliation marked that the ledger still shows
    open (ledger/reconciliation.py)."""
    rows = await db.fetch(
        "SELECT o.status, count(*) AS n FROM orphaned_cases o"
        " JOIN complaints c ON c.complaint_id = o.complaint_id"
        " WHERE c.stage <> ALL($1::text[]) GROUP BY o.status",
        list(FINISHED_STAGES),
    )
    return [(r["status"], r["n"]) for r in rows]
