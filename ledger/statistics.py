"""The statistics queries of the monthly report (`reports.statistics` turns their rows into
figures; its docstring says what each counts). Their indexes are in
`ledger/migrations/0003_statistics.sql`; `bench/monthly_report.py` measures them.

`month_rows` runs them all in one read-only REPEATABLE READ transaction (one snapshot: the
trend's last month equals the breakdown's total), or in the caller's transaction when there
is one. `branch_prefix` narrows everything (complaints, clocks, exposures) to the branches
whose name starts with it, `branches` to those named (an API key's branches).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import asyncpg
from asyncpg import Record

from domain.accountability import FIRST_COORDINATION, OUTSIDE_LIABILITY, SETTLED
from infra.postgres import Connection, Queryable
from ledger import hotspots

NO_PRODUCT = "(none)"  # the product of a complaint whose intake named none

# GROUPING(category, channel, grade, o, p, branch): a bit is 1 where the column is not grouped.
SETS = {31: "category", 47: "channel", 55: "grade", 59: "outcome", 61: "product", 62: "branch"}
ALL_ROWS, PRODUCT_BRANCH = 63, 60

BREAKDOWN = """
SELECT GROUPING(category, channel, grade, o, p, branch) AS g,
       category, channel, grade, o, p, branch,
       count(*) AS n,
       count(*) FILTER (WHERE reopen_count > 0) AS reopened,
       coalesce(sum(reopen_count), 0) AS reopens,
       count(*) FILTER (WHERE repeat_count > 0) AS repeated,
       count(*) FILTER (WHERE escalated) AS escalated,
       count(*) FILTER (WHERE multi_channel) AS multi_channel,
       coalesce(sum(amount_involved), 0) AS amount_involved
FROM (
    SELECT category, channel, grade, coalesce(outcome, 'open') AS o,
           coalesce(product, '(none)') AS p, branch,
           reopen_count, repeat_count, escalated, multi_channel, amount_involved
    FROM complaints
    WHERE received_at >= $1 AND received_at < $2 {branch}
) c
GROUP BY GROUPING SETS ((), (category), (channel), (grade), (o), (p), (branch), (p, branch))
"""

SLA = """
SELECT s.clock_key,
       count(*) AS clocks,
       count(*) FILTER (WHERE s.met_at IS NOT NULL AND s.breached_at IS NULL) AS met,
       count(*) FILTER (WHERE s.breached_at IS NOT NULL) AS breached,
       count(*) FILTER (WHERE s.met_at IS NULL AND s.breached_at IS NULL) AS open,
       count(*) FILTER (WHERE s.extended) AS extended,
       count(*) FILTER (WHERE s.met_at IS NULL AND s.breached_at IS NULL AND s.provisional)
           AS provisional
FROM sla_clocks s {join}
WHERE s.kind = 'stage' AND s.started_at >= $1 AND s.started_at < $2 {branch}
GROUP BY s.clock_key
"""

EFFECTIVE = """
SELECT c.branch,
       count(*) AS determined,
       count(*) FILTER (WHERE d.effective) AS effective,
       count(*) FILTER (WHERE d.reason_code = ANY($3::text[]) AND ({holds})) AS exempt
FROM complaints c JOIN determinations d ON d.complaint_id = c.complaint_id
WHERE c.received_at >= $1 AND c.received_at < $2 {branch}
GROUP BY c.branch
"""


def _sql(value: int | bool | str) -> str:
    return str(value).lower() if isinstance(value, bool | int) else "'" + value + "'"


def exemption_holds_sql() -> str:
    """R-AN-4's `domain.accountability.exemption_holds` over `complaints c` and
    `determinations d`, written from the domain's constants (no second definition)."""
    first = " AND ".join(f"c.{col} = {_sql(v)}" for col, v in FIRST_COORDINATION.items())
    settled = " OR ".join(
        f"(c.outcome = {_sql(outcome)} AND d.reason_code = {_sql(code)})"
        for outcome, code in SETTLED.items()
    )
    return f"d.reason_code = {_sql(OUTSIDE_LIABILITY)} OR ({first} AND ({settled}))"


EXPOSURES = """
SELECT branch, product, claims_reported, policies, premium_yuan
FROM exposures WHERE period = $1 {branch}
"""

# R-CR-5: the month's complaints whose customer needs help, per flag and in all (flag NULL).
HELP_FLAGS = """
SELECT f AS flag, count(DISTINCT c.complaint_id) AS n
FROM complaints c, unnest(c.help_flags) AS f
WHERE c.received_at >= $1 AND c.received_at < $2 {branch}
GROUP BY ROLLUP (f)
"""

# R-AN-8: the causes of the cases decided in the month, by product, branch and outlet.
CAUSES = """
SELECT GROUPING(cause, p, branch, outlet) AS g, cause, p, branch, outlet, count(*) AS n
FROM (
    SELECT coalesce(root_cause, '(not recorded)') AS cause, coalesce(product, '(none)') AS p,
           branch, outlet
    FROM complaints
    WHERE decided_at >= $1 AND decided_at < $2 {branch}
) c
GROUP BY GROUPING SETS ((cause), (cause, p), (cause, branch), (cause, outlet))
"""

# One index-only count per month; no per-row time-zone arithmetic over a year of rows.
TREND = """
SELECT b.period,
       (SELECT count(*) FROM complaints c
         WHERE c.received_at >= b.lo AND c.received_at < b.hi {branch}) AS n
FROM unnest($1::text[], $2::timestamptz[], $3::timestamptz[])
     WITH ORDINALITY AS b(period, lo, hi, i)
ORDER BY b.i
"""


@dataclass(frozen=True)
class Breakdown:
    """The month's complaints: `totals` (`n`, `reopened`, `reopens`, `repeated`,
    `escalated`, `multi_channel`, `amount_involved`: R-IN-8's sum), the count per value of
    each dimension (`category`, `channel`, `grade`, `outcome` (`open` while none),
    `product`, `branch`), and per (product, branch)."""

    totals: Record
    counts: dict[str, Counter[str]]
    per_product_branch: dict[tuple[str, str], int] = field(default_factory=dict)


@dataclass(frozen=True)
class MonthRows:
    """Every row the monthly report is made of, from one snapshot."""

    breakdown: Breakdown
    sla: list[Record]  # per stage clock key: clocks, met, breached, open, extended
    exposures: list[Record]  # the period's rows of `exposures`
    effective: list[Record]  # per branch: determined, effective, exempt (R-AN-4: it holds)
    trend: list[Record]  # per month asked for, in order: period, n
    help_flags: list[Record] = field(default_factory=list)  # R-CR-5: flag (NULL: any), n
    causes: list[Record] = field(default_factory=list)  # R-AN-8: g, cause, p, branch, outlet, n
    # R-AN-8: per month of the hot-spot window, the count per (branch, dimension, key)
    hot_counts: list[dict[tuple[str, str, str], int]] = field(default_factory=list)


async def month_rows(
    db: Queryable,
    *,
    start: datetime,
    end: datetime,
    period: str,
    trend: Sequence[tuple[str, datetime, datetime]],
    exempt: Sequence[str],
    branch_prefix: str | None = None,
    branches: Sequence[str] | None = None,
    hot_window: Sequence[tuple[str, datetime, datetime]] = (),
) -> MonthRows:
    """The rows of the month [start, end) labelled `period`; `trend` is the months to count
    (label, first instant, next month's first instant), `exempt` the reason codes of an
    exemption; `branches`: only these (None: every branch); `hot_window`: the months whose
    hot-spot counts to read (R-AN-8, ledger/hotspots.py)."""
    args = (start, end, period, trend, exempt, branch_prefix, branches, hot_window)
    if isinstance(db, asyncpg.Pool):
        async with db.acquire() as conn:
            return await _in_snapshot(conn, *args)
    return await _in_snapshot(db, *args)


async def _in_snapshot(conn: Connection, *args: Any) -> MonthRows:
    if conn.is_in_transaction():
        return await _rows(conn, *args)
    async with conn.transaction(isolation="repeatable_read", readonly=True):
        return await _rows(conn, *args)


async def _rows(
    conn: Connection,
    start: datetime,
    end: datetime,
    period: str,
    trend: Sequence[tuple[str, datetime, datetime]],
    exempt: Sequence[str],
    prefix: str | None,
    branches: Sequence[str] | None,
    hot_window: Sequence[tuple[str, datetime, datetime]],
) -> MonthRows:
    extra: list[Any] = [prefix] if prefix is not None else []
    if branches is not None:
        extra.append(list(branches))

    def only(column: str, first: int) -> str:
        """The branch filter on `column`, its parameters numbered from `first`."""
        parts = [f"AND starts_with({column}, ${first})"] if prefix is not None else []
        if branches is not None:
            parts.append(f"AND {column} = ANY(${first + len(parts)}::text[])")
        return " ".join(parts)

    # R-AN-1: the breakdowns, all from one index-only pass over the month.
    breakdown = await conn.fetch(BREAKDOWN.format(branch=only("branch", 3)), start, end, *extra)
    sla = await conn.fetch(
        SLA.format(
            join="JOIN complaints c ON c.complaint_id = s.complaint_id" if extra else "",
            branch=only("c.branch", 3),
        ),
        start,
        end,
        *extra,
    )
    exposures = await conn.fetch(EXPOSURES.format(branch=only("branch", 2)), period, *extra)
    effective = await conn.fetch(
        EFFECTIVE.format(branch=only("c.branch", 4), holds=exemption_holds_sql()),
        start,
        end,
        list(exempt),
        *extra,
    )
    months = await conn.fetch(
        TREND.format(branch=only("c.branch", 4)),
        [label for label, _, _ in trend],
        [lo for _, lo, _ in trend],
        [hi for _, _, hi in trend],
        *extra,
    )
    help_flags = await conn.fetch(HELP_FLAGS.format(branch=only("c.branch", 3)), start, end, *extra)
    causes = await conn.fetch(CAUSES.format(branch=only("branch", 3)), start, end, *extra)
    hot_counts = (
        await hotspots.month_counts(conn, hot_window, prefix, branches) if hot_window else []
    )
    return MonthRows(
        _breakdown(breakdown), sla, exposures, effective, months, help_flags, causes, hot_counts
    )


def _breakdown(rows: list[Record]) -> Breakdown:
    counts: dict[str, Counter[str]] = {name: Counter() for name in SETS.values()}
    per_product_branch: dict[tuple[str, str], int] = {}
    totals: Record | None = None
    for r in rows:
        g = r["g"]
        if g == ALL_ROWS:
            totals = r
        elif g == PRODUCT_BRANCH:
            per_product_branch[(r["p"], r["branch"])] = r["n"]
        else:
            name = SETS[g]
            column = {"outcome": "o", "product": "p"}.get(name, name)
            counts[name][r[column]] = r["n"]
    assert totals is not None  # the grand total's grouping set always yields a row
    return Breakdown(totals, counts, per_product_branch)
