"""Causes and hot spots in the ledger (R-AN-8; migration 0018).

The counts a hot spot is judged on, per branch and month: for a cause, the cases *decided* in
the month (`decided_at`, when close_case recorded the cause) with that `root_cause`; for a
product, the complaints *received* in the month (as the report's `by_product`). Months are
calendar months in Asia/Shanghai, as the monthly report's (reports/statistics.py).

`hot_spots` keeps each flag once (period, branch, dimension, key), its rectification owner and
due date, the reminders sent while it is overdue, and the rectification that closes it. An
overdue reminder is put in the outbox in the same transaction that counts it, once a day.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime
from typing import Any
from zoneinfo import ZoneInfo

from asyncpg import Record

from domain import notices
from domain.causes import HotSpotPolicy
from domain.notice_models import NoticeKind, Notification
from infra.postgres import Connection, Queryable
from ledger import outbox
from ledger import policy as policies

ZONE = ZoneInfo("Asia/Shanghai")  # the monthly report's months (reports/statistics.py)

COUNTS = """
SELECT b.i, c.branch, 'cause' AS dimension, c.root_cause AS key, count(*) AS n
FROM unnest($1::timestamptz[], $2::timestamptz[]) WITH ORDINALITY AS b(lo, hi, i)
JOIN complaints c ON c.decided_at >= b.lo AND c.decided_at < b.hi
WHERE c.root_cause IS NOT NULL {branch}
GROUP BY b.i, c.branch, c.root_cause
UNION ALL
SELECT b.i, c.branch, 'product', coalesce(c.product, '(none)'), count(*)
FROM unnest($1::timestamptz[], $2::timestamptz[]) WITH ORDINALITY AS b(lo, hi, i)
JOIN complaints c ON c.received_at >= b.lo AND c.received_at < b.hi
WHERE true {branch}
GROUP BY b.i, c.branch, coalesce(c.product, '(none)')
"""

Counts = dict[tuple[str, str, str], int]


def month_window(period: str, back: int) -> list[tuple[str, datetime, datetime]]:
    """(label, first instant, next month's first instant) of the `back` months before `period`
    and of `period` itself, oldest first (`period` is YYYY-MM, already checked)."""
    year, month = int(period[:4]), int(period[5:7])
    out = []
    for k in range(back, -1, -1):
        index = year * 12 + month - 1 - k
        y, m = divmod(index, 12)
        ny, nm = divmod(index + 1, 12)
        out.append(
            (
                f"{y:04d}-{m + 1:02d}",
                datetime(y, m + 1, 1, tzinfo=ZONE),
                datetime(ny, nm + 1, 1, tzinfo=ZONE),
            )
        )
    return out


def branch_filter(
    column: str, first: int, prefix: str | None, branches: Sequence[str] | None
) -> tuple[str, list[Any]]:
    """The branch filter on `column` (parameters from `first`) and its arguments."""
    parts: list[str] = []
    args: list[Any] = []
    if prefix is not None:
        parts.append(f"AND starts_with({column}, ${first})")
        args.append(prefix)
    if branches is not None:
        parts.append(f"AND {column} = ANY(${first + len(args)}::text[])")
        args.append(list(branches))
    return " ".join(parts), args


async def month_counts(
    db: Queryable,
    window: Sequence[tuple[str, datetime, datetime]],
    prefix: str | None = None,
    branches: Sequence[str] | None = None,
) -> list[Counts]:
    """Per month of `window` (in order): the count per (branch, dimension, key)."""
    where, args = branch_filter("c.branch", 3, prefix, branches)
    rows = await db.fetch(
        COUNTS.format(branch=where), [lo for _, lo, _ in window], [hi for _, _, hi in window], *args
    )
    months: list[Counts] = [{} for _ in window]
    for r in rows:
        months[r["i"] - 1][(r["branch"], r["dimension"], r["key"])] = r["n"]
    return months


async def hot_spot_policy(db: Queryable, at: datetime) -> HotSpotPolicy:
    """The thresholds in force at `at` (R-SLA-10), else the defaults."""
    body = await policies.in_force(db, "hot_spots", None, at)
    return HotSpotPolicy() if body is None else HotSpotPolicy.model_validate(body)


# ---------------------------------------------------------------------------------------------
# The tracked hot spots

COLUMNS = """hot_spot_id, period, branch, dimension, key, count, trailing_counts, trailing_mean,
    flagged_at, owner, due_on, assigned_by, assigned_at, rectification, rectified_by,
    rectified_at, reminders, last_reminded_on"""


async def record_flags(conn: Connection, period: str, flags: Sequence[Any]) -> int:
    """Keep the month's flags (each once, ever); how many are new."""
    inserted = 0
    for f in flags:
        row = await conn.fetchval(
            "INSERT INTO hot_spots (period, branch, dimension, key, count, trailing_counts,"
            " trailing_mean) VALUES ($1, $2, $3, $4, $5, $6, $7)"
            " ON CONFLICT (period, branch, dimension, key) DO NOTHING RETURNING hot_spot_id",
            period,
            f.branch,
            f.dimension,
            f.key,
            f.count,
            list(f.trailing),
            f.trailing_mean,
        )
        inserted += row is not None
    return inserted


async def listing(
    db: Queryable,
    *,
    period: str | None = None,
    branches: Sequence[str] | None = None,
    open_only: bool = False,
) -> list[Record]:
    return list(
        await db.fetch(
            f"SELECT {COLUMNS} FROM hot_spots WHERE ($1::text IS NULL OR period = $1)"
            " AND ($2::text[] IS NULL OR branch = ANY($2)) AND (NOT $3 OR rectified_at IS NULL)"
            " ORDER BY period DESC, branch, dimension, key",
            period,
            None if branches is None else list(branches),
            open_only,
        )
    )


async def one(db: Queryable, hot_spot_id: int) -> Record | None:
    return await db.fetchrow(f"SELECT {COLUMNS} FROM hot_spots WHERE hot_spot_id = $1", hot_spot_id)


async def assign(db: Queryable, hot_spot_id: int, owner: str, due_on: date, by: str) -> Record:
    """A rectification owner and due date (a reassignment replaces them; reminders restart)."""
    row = await db.fetchrow(
        f"UPDATE hot_spots SET owner = $2, due_on = $3, assigned_by = $4, assigned_at = now(),"
        f" last_reminded_on = NULL WHERE hot_spot_id = $1 RETURNING {COLUMNS}",
        hot_spot_id,
        owner,
        due_on,
        by,
    )
    assert row is not None
    return row


async def rectify(db: Queryable, hot_spot_id: int, rectification: str, by: str) -> Record | None:
    """Close the hot spot with its rectification; None when it was closed already."""
    return await db.fetchrow(
        f"UPDATE hot_spots SET rectification = $2, rectified_by = $3, rectified_at = now()"
        f" WHERE hot_spot_id = $1 AND rectified_at IS NULL RETURNING {COLUMNS}",
        hot_spot_id,
        rectification,
        by,
    )


DUE_REMINDERS = """
UPDATE hot_spots SET reminders = reminders + 1, last_reminded_on = $1
WHERE rectified_at IS NULL AND owner IS NOT NULL AND due_on < $1
  AND (last_reminded_on IS NULL OR last_reminded_on < $1)
RETURNING hot_spot_id, period, branch, dimension, key, count, owner, due_on, reminders
"""


async def remind_overdue(conn: Connection, today: date) -> list[Notification]:
    """Every open hot spot past its due date reminds its owner, once a day (R-AN-8): counted
    and put in the outbox in one transaction (run it inside one)."""
    rows = await conn.fetch(DUE_REMINDERS, today)
    told = [
        Notification(
            key=f"hot-spot-{r['hot_spot_id']}:overdue:{today.isoformat()}",
            complaint_id=f"hot-spot-{r['hot_spot_id']}",
            kind=NoticeKind.HOT_SPOT,
            recipient_role="owner",
            recipient=r["owner"],
            channels=["email"],
            subject=subject,
            body=body,
        )
        for r in rows
        for subject, body in [
            notices.hot_spot_overdue(
                r["hot_spot_id"],
                r["period"],
                r["branch"],
                r["dimension"],
                r["key"],
                r["count"],
                r["due_on"],
                r["reminders"],
            )
        ]
    ]
    await outbox.enqueue(conn, told)
    return told
