"""The accountability cycle's tables (`accountability_cycles`, `accountability_items`) and the
facts of the cases a cycle covers.

A cycle is compiled once (`ON CONFLICT DO NOTHING` on the period and on each item), so a
retried compile activity changes nothing; publishing sets the decisions and `final` on each
item and moves the cycle to `published` once.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime
from typing import Protocol

from domain.accountability import CaseFacts, Proposal
from infra.postgres import Connection

FACTS = """
SELECT c.complaint_id, c.branch, c.owner, c.supervisor, c.grade, c.crisis, c.outcome,
       c.reopen_count,
       c.review_count,
       c.repeat_count, c.escalated, c.multi_channel, c.repeat_channels, c.channel,
       c.amount_involved,
       d.effective, d.reason_code, d.direct_person, d.managerial_person,
       (SELECT count(*) FROM sla_breaches b
         WHERE b.complaint_id = c.complaint_id AND b.clock_key LIKE 'stage:%') AS stage_breaches
FROM complaints c LEFT JOIN determinations d USING (complaint_id)
WHERE c.received_at >= $1 AND c.received_at < $2
ORDER BY c.received_at, c.complaint_id
"""

INSERT_CYCLE = """
INSERT INTO accountability_cycles (period, starts_on, ends_on, appeal_until, status, compiled_at)
VALUES ($1, $2, $3, $4, 'compiled', now())
ON CONFLICT (period) DO NOTHING
"""

INSERT_ITEM = """
INSERT INTO accountability_items (period, complaint_id, person, responsibility, reasons,
    proposed_min, proposed_max)
VALUES ($1, $2, $3, $4, $5, $6, $7)
ON CONFLICT DO NOTHING
"""

DECIDE_ITEM = """
UPDATE accountability_items SET decided_penalty = $5, decided_by = $6, appeal = $7,
    appeal_decision = $8, final = true
WHERE period = $1 AND complaint_id = $2 AND person = $3 AND responsibility = $4
"""

PUBLISH_CYCLE = """
UPDATE accountability_cycles SET status = 'published', published_at = now()
WHERE period = $1 AND status <> 'published'
"""


class DecidedItem(Protocol):
    """An item as the review group left it (`activities.accountability.CycleItem`)."""

    @property
    def complaint_id(self) -> str: ...
    @property
    def person(self) -> str: ...
    @property
    def responsibility(self) -> str: ...
    @property
    def decided_penalty(self) -> int | None: ...
    @property
    def decided_by(self) -> str | None: ...
    @property
    def appeal(self) -> str | None: ...
    @property
    def appeal_decision(self) -> str | None: ...


async def case_facts(conn: Connection, start: datetime, end: datetime) -> list[CaseFacts]:
    """The facts of the cases received in [start, end), oldest first."""
    return [CaseFacts.model_validate(dict(row)) for row in await conn.fetch(FACTS, start, end)]


async def record_cycle(
    conn: Connection,
    period: str,
    starts_on: date,
    ends_on: date,
    appeal_until: datetime,
    proposals: Sequence[Proposal],
) -> None:
    """The compiled cycle and its proposed items (in the caller's transaction)."""
    await conn.execute(INSERT_CYCLE, period, starts_on, ends_on, appeal_until)
    await conn.executemany(
        INSERT_ITEM,
        [(period, p.complaint_id, p.person, p.responsibility, p.reasons, p.minimum, p.maximum)
         for p in proposals],
    )  # fmt: skip


async def publish_cycle(conn: Connection, period: str, items: Sequence[DecidedItem]) -> None:
    """Every item's decision, final, and the cycle published (in the caller's transaction)."""
    await conn.executemany(
        DECIDE_ITEM,
        [(period, i.complaint_id, i.person, i.responsibility, i.decided_penalty, i.decided_by,
          i.appeal, i.appeal_decision) for i in items],
    )  # fmt: skip
    await conn.execute(PUBLISH_CYCLE, period)
