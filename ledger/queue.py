"""The complaint desk's reads (api/desk/): the work queue and the dashboard, from the ledger.

`queue` is one statement: the open cases (stage contact to callback) that match the filters,
each with its next deadline, the earliest running clock of `sla_clocks` (a clock not yet met:
a stage, the regulatory limit, a crisis report, a hand-over), soonest first; a case with no
running clock comes last. No visibility query per row: the ledger holds it all.

`dashboard` counts per branch and stage, and per branch the breaches since a moment, the crisis
clocks running and the outbox's health. Both take `branches` (an API key's, `api.scope`); None:
every branch. Read-only.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from asyncpg import Record

from infra.postgres import Queryable

OPEN_STAGES = ("contact", "investigate", "approve", "close", "callback")

QUEUE = """
SELECT c.complaint_id, c.branch, c.owner, c.supervisor, c.department, c.grade, c.crisis,
       c.stage, c.channel, c.category, c.help_flags, c.received_at, c.sla_breached,
       c.first_receiver, n.clock_key AS next_clock, n.label AS next_label,
       n.due_at AS next_due_at
FROM complaints c
LEFT JOIN LATERAL (
    SELECT k.clock_key, k.label, k.due_at FROM sla_clocks k
    WHERE k.complaint_id = c.complaint_id AND k.met_at IS NULL
    ORDER BY k.due_at LIMIT 1
) n ON true
WHERE c.stage = ANY($1::text[])
  AND ($2::text[] IS NULL OR c.branch = ANY($2::text[]))
  AND ($3::text IS NULL OR c.owner = $3)
  AND ($4::text IS NULL OR c.branch = $4)
  AND ($5::text IS NULL OR c.grade = $5)
  AND ($6::text IS NULL OR c.channel = $6)
  AND ($7::text IS NULL OR $7 = ANY(c.help_flags))
  AND ($8::boolean IS NULL OR c.crisis = $8)
ORDER BY n.due_at NULLS LAST, c.received_at, c.complaint_id
LIMIT $9
"""


@dataclass(frozen=True)
class QueueFilter:
    """What a queue shows: open cases of `branches` (None: any), of `owner` (None: anyone),
    and of the stage, branch, grade, channel and help flag asked for (None: any)."""

    branches: Sequence[str] | None = None
    owner: str | None = None
    stage: str | None = None
    branch: str | None = None
    grade: str | None = None
    channel: str | None = None
    help_flag: str | None = None
    crisis: bool | None = None


async def queue(db: Queryable, f: QueueFilter, limit: int) -> list[Record]:
    """Up to `limit` open cases, the next deadline first (`next_due_at`, `next_label`,
    `next_clock`: the earliest running clock; None when none runs)."""
    stages = [f.stage] if f.stage is not None else list(OPEN_STAGES)
    branches = None if f.branches is None else list(f.branches)
    return await db.fetch(
        QUEUE,
        stages,
        branches,
        f.owner,
        f.branch,
        f.grade,
        f.channel,
        f.help_flag,
        f.crisis,
        limit,
    )


BY_STAGE = """
SELECT c.branch, c.stage, count(*) AS open,
       count(*) FILTER (WHERE n.due_at < $3) AS overdue,
       count(*) FILTER (WHERE n.due_at >= $3 AND n.due_at < $4) AS due_today
FROM complaints c
LEFT JOIN LATERAL (
    SELECT min(k.due_at) AS due_at FROM sla_clocks k
    WHERE k.complaint_id = c.complaint_id AND k.met_at IS NULL
) n ON true
WHERE c.stage = ANY($1::text[]) AND ($2::text[] IS NULL OR c.branch = ANY($2::text[]))
GROUP BY c.branch, c.stage
"""

BY_BRANCH = """
SELECT b.branch,
       (SELECT count(*) FROM sla_breaches s JOIN complaints c USING (complaint_id)
        WHERE c.branch = b.branch AND s.recorded_at >= $2) AS breaches,
       (SELECT count(*) FROM sla_clocks k JOIN complaints c USING (complaint_id)
        WHERE c.branch = b.branch AND k.kind = 'crisis' AND k.met_at IS NULL) AS crisis_clocks,
       (SELECT count(*) FROM notifications o JOIN complaints c USING (complaint_id)
        WHERE c.branch = b.branch AND o.status = 'pending') AS outbox_pending,
       (SELECT count(*) FROM notifications o JOIN complaints c USING (complaint_id)
        WHERE c.branch = b.branch AND o.status = 'failed') AS outbox_failed,
       (SELECT min(o.created_at) FROM notifications o JOIN complaints c USING (complaint_id)
        WHERE c.branch = b.branch AND o.status = 'pending') AS outbox_oldest_pending
FROM (SELECT DISTINCT branch FROM complaints
      WHERE $1::text[] IS NULL OR branch = ANY($1::text[])) b
ORDER BY b.branch
"""


async def dashboard(
    db: Queryable,
    branches: Sequence[str] | None,
    *,
    now: datetime,
    end_of_today: datetime,
    month_start: datetime,
) -> tuple[list[Record], list[Record]]:
    """(per branch and stage: `open`, `overdue`, `due_today`; per branch: `breaches` since
    `month_start`, `crisis_clocks` running, `outbox_pending`, `outbox_failed`,
    `outbox_oldest_pending`)."""
    scope = None if branches is None else list(branches)
    stages = await db.fetch(BY_STAGE, list(OPEN_STAGES), scope, now, end_of_today)
    per_branch = await db.fetch(BY_BRANCH, scope, month_start)
    return list(stages), list(per_branch)


async def branches(db: Queryable, visible: Sequence[str] | None) -> list[str]:
    """The branches with open cases a key may see (for the queue's filter), sorted."""
    rows = await db.fetch(
        "SELECT DISTINCT branch FROM complaints WHERE stage = ANY($1::text[])"
        " AND ($2::text[] IS NULL OR branch = ANY($2::text[])) ORDER BY branch",
        list(OPEN_STAGES),
        None if visible is None else list(visible),
    )
    return [r["branch"] for r in rows]
