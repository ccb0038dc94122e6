"""What the HTTP API reads from the ledger: a case, its customer, its timeline, its notices, and
searches over every case. Read-only; each function is one statement."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from asyncpg import Record

from domain.state import TimelineEntry
from infra.postgres import Queryable

# The columns `search` may filter on by equality.
SEARCHABLE = ("stage", "grade", "channel", "branch", "owner", "sla_breached")


async def ping(db: Queryable) -> None:
    """One round trip (readiness): raises when the ledger cannot be reached."""
    await db.fetchval("SELECT 1")


async def complaint(db: Queryable, complaint_id: str) -> Record | None:
    """The case's row of `complaints` (every column), or None."""
    return await db.fetchrow("SELECT * FROM complaints WHERE complaint_id = $1", complaint_id)


async def customer(db: Queryable, complaint_id: str) -> Record | None:
    """The case's external id and customer (`customer_name`, `customer_phone`,
    `customer_id_number`, `customer_email`): what the workflow's state does not carry."""
    return await db.fetchrow(
        "SELECT external_id, customer_name, customer_phone, customer_id_number, customer_email"
        " FROM complaints WHERE complaint_id = $1",
        complaint_id,
    )


async def known(db: Queryable, complaint_id: str) -> bool:
    """Whether the ledger holds the case."""
    found = await db.fetchval("SELECT true FROM complaints WHERE complaint_id = $1", complaint_id)
    return bool(found)


async def branch(db: Queryable, complaint_id: str) -> str | None:
    """The case's branch, or None for a case the ledger does not hold."""
    found: str | None = await db.fetchval(
        "SELECT branch FROM complaints WHERE complaint_id = $1", complaint_id
    )
    return found


async def timeline(db: Queryable, complaint_id: str) -> list[TimelineEntry]:
    """The case's timeline in order; empty for a case the ledger does not hold."""
    rows = await db.fetch(
        "SELECT seq, at, kind, actor, action, detail, request_id FROM complaint_events"
        " WHERE complaint_id = $1 ORDER BY seq",
        complaint_id,
    )
    return [TimelineEntry(**dict(r)) for r in rows]


async def notices(db: Queryable, complaint_id: str) -> list[Record]:
    """Each notice of the case on each channel, with its delivery status, oldest first
    (`key`, `kind`, `channel`, `recipient_role`, `recipient`, `subject`, `status`,
    `attempts`, `created_at`, `delivered_at`, `last_error`, `provider_id`)."""
    return await db.fetch(
        "SELECT notice_key AS key, kind, channel, recipient_role, recipient, subject, status,"
        " attempts, created_at, delivered_at, last_error, provider_id FROM notifications"
        " WHERE complaint_id = $1 ORDER BY created_at, notice_key, channel",
        complaint_id,
    )


@dataclass(frozen=True)
class Search:
    """A search of `complaints`: equality on the `SEARCHABLE` columns (None: any), received in
    [received_from, received_to), and after a position (`received_at`, `complaint_id`) of the
    newest-first order, where the page before ended; `branches`: only these (None: any)."""

    equal: dict[str, object]
    received_from: datetime | None = None
    received_to: datetime | None = None
    after: tuple[datetime, str] | None = None
    branches: Sequence[str] | None = None

    def __post_init__(self) -> None:
        unknown = set(self.equal) - set(SEARCHABLE)
        if unknown:  # column names go into the statement: only known ones
            raise ValueError(f"not searchable: {', '.join(sorted(unknown))}")


async def search(db: Queryable, query: Search, limit: int) -> list[Record]:
    """Up to `limit` rows of `complaints` (every column), newest first (`received_at`, then
    `complaint_id`, both descending): stable while new complaints arrive."""
    where: list[str] = []
    args: list[object] = []
    for column, value in query.equal.items():
        if value is not None:
            args.append(value)
            where.append(f"{column} = ${len(args)}")
    for op, moment in ((">=", query.received_from), ("<", query.received_to)):
        if moment is not None:
            args.append(moment)
            where.append(f"received_at {op} ${len(args)}")
    if query.branches is not None:
        args.append(list(query.branches))
        where.append(f"branch = ANY(${len(args)}::text[])")
    if query.after is not None:
        args += list(query.after)
        where.append(f"(received_at, complaint_id) < (${len(args) - 1}, ${len(args)})")
    args.append(limit)
    return await db.fetch(
        "SELECT * FROM complaints"
        + (" WHERE " + " AND ".join(where) if where else "")
        + f" ORDER BY received_at DESC, complaint_id DESC LIMIT ${len(args)}",
        *args,
    )
