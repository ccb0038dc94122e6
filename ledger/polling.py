"""The polling baseline of `bench/open_book.py`, and its watch on the workflows' breaches.

A Zammad-style helpdesk finds breaches with a scheduler that asks the database, every minute,
which clocks are past their due instant. `poll_overdue` is that scheduler's one step, on this
ledger's `sla_clocks`, recording what it finds in a table of its own (`polled_breaches`, made
by `create_polled_breaches`), so the workflows' own breach rows are left alone and the two can
be measured side by side. It reads `due_at` only, never what the workflows wrote.
"""

from __future__ import annotations

from datetime import datetime

from infra.postgres import Queryable


async def create_polled_breaches(db: Queryable) -> None:
    await db.execute(
        "CREATE TABLE IF NOT EXISTS polled_breaches ("
        " complaint_id text NOT NULL, clock_key text NOT NULL, due_at timestamptz NOT NULL,"
        " recorded_at timestamptz NOT NULL, PRIMARY KEY (complaint_id, clock_key, due_at))"
    )


async def poll_overdue(db: Queryable) -> int:
    """One run of the scheduler: every running clock past due and not yet recorded, recorded
    now (the commit's time, `clock_timestamp()` at the end of the statement's work). Returns how
    many were recorded."""
    status: str = await db.execute(
        "INSERT INTO polled_breaches (complaint_id, clock_key, due_at, recorded_at)"
        " SELECT s.complaint_id, s.clock_key, s.due_at, clock_timestamp() FROM sla_clocks s"
        " WHERE s.met_at IS NULL AND s.due_at <= now()"
        " ON CONFLICT DO NOTHING"
    )
    return int(status.rsplit(" ", 1)[1])


async def polled_lateness(db: Queryable, due_at: datetime) -> list[float]:
    """Seconds from `due_at` to the polled record of each clock due then."""
    rows = await db.fetch(
        "SELECT extract(epoch FROM recorded_at - due_at)::float8 AS late"
        " FROM polled_breaches WHERE due_at = $1",
        due_at,
    )
    return [r["late"] for r in rows]


async def breached_due_at(db: Queryable, due_at: datetime) -> list[str]:
    """The cases whose workflow has committed a breach of a clock due at `due_at`."""
    rows = await db.fetch("SELECT complaint_id FROM sla_breaches WHERE due_at = $1", due_at)
    return [r["complaint_id"] for r in rows]
