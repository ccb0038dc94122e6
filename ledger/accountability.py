"""The accountability cycle's tables (`accountability_cycles`, `accountability_items`) and the
facts of the cases a cycle covers.

A cycle is compiled once (`ON CONFLICT DO NOTHING` on the period and on each item), so a
retried compile activity changes nothing; publishing sets the decisions and `final` on each
item and moves the cycle to `published` once. A published period is final: `cycle_status`
lets the compile refuse it, and `publish_cycle` leaves it as it is (R-AN-4 restated: a period
compiled under the first reading keeps its results; `rule_reading` says which reading).
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from datetime import date, datetime
from typing import Protocol

from asyncpg import Record

from domain.accountability import CaseFacts, Proposal
from infra.postgres import Connection, Queryable

FACTS = """
SELECT c.complaint_id, c.branch, c.owner, c.supervisor, c.grade, c.crisis, c.outcome,
       c.reopen_count,
       c.review_count,
       c.repeat_count, c.escalated, c.multi_channel, c.repeat_channels, c.channel,
       c.amount_involved,
       d.effective, d.reason_code, d.direct_person, d.managerial_person,
       coalesce(d.managerial_levels, '{}') AS managerial_levels,
       -- R-ST-8: the head the case named, unless the determination names another
       coalesce(d.department_head, c.department_head) AS department_head,
       d.decided_by, d.business_line,
       (SELECT r.business_line FROM determination_referrals r
         WHERE r.complaint_id = c.complaint_id) AS referred_to,
       (SELECT count(*) FROM sla_breaches b
         WHERE b.complaint_id = c.complaint_id AND b.clock_key LIKE 'stage:%') AS stage_breaches,
       -- R-AN-5: an incomplete ledger entry (what intake leaves optional, missing at the end)
       array_remove(ARRAY[
           CASE WHEN c.department IS NULL THEN 'department' END,
           CASE WHEN c.product IS NULL THEN 'product' END,
           CASE WHEN c.policy_number IS NULL THEN 'policy_number' END], NULL) AS missing_fields,
       -- R-CR-8: crisis reports filed late or never (crisis clocks that breached)
       ARRAY(SELECT DISTINCT k.clock_key FROM sla_clocks k
             WHERE k.complaint_id = c.complaint_id AND k.kind = 'crisis'
               AND (k.breached_at IS NOT NULL OR k.met_at > k.due_at)
             ORDER BY k.clock_key) AS crisis_late,
       -- R-AC-4 with R-GR-4: the media came in on the case (a recorded contact or report)
       'media' = ANY(c.outside_bodies) AS media_contact,
       coalesce((SELECT jsonb_agg(jsonb_build_object('person', e.person, 'kind', e.kind,
                                                     'detail', e.detail) ORDER BY e.seq)
                 FROM conduct_events e WHERE e.complaint_id = c.complaint_id), '[]') AS conduct
FROM complaints c LEFT JOIN determinations d USING (complaint_id)
WHERE c.received_at >= $1 AND c.received_at < $2
ORDER BY c.received_at, c.complaint_id
"""

INSERT_CYCLE = """
INSERT INTO accountability_cycles (period, starts_on, ends_on, appeal_until, status, compiled_at,
    rule_reading)
VALUES ($1, $2, $3, $4, 'compiled', now(), $5)
ON CONFLICT (period) DO NOTHING
"""

CYCLE_STATUS = """
SELECT status, rule_reading FROM accountability_cycles WHERE period = $1 FOR UPDATE
"""

INSERT_ITEM = """
INSERT INTO accountability_items (period, complaint_id, person, responsibility, reasons,
    proposed_min, proposed_max, proposed_outcomes, determined_by)
VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)
ON CONFLICT DO NOTHING
"""

DECIDE_ITEM = """
INSERT INTO accountability_items AS i (period, complaint_id, person, responsibility, reasons,
    proposed_min, proposed_max, decided_penalty, decided_by, appeal, appeal_decision, final,
    reprimand, sheet_sent_at, appeal_by, appeal_evidence, branch, proposed_outcomes, outcomes,
    determined_by)
VALUES ($1, $2, $3, $4, $9, $10, $11, $5, $6, $7, $8, true, $12, $13, $14, $15, $16, $17, $18,
    $19)
ON CONFLICT (period, complaint_id, person, responsibility) DO UPDATE SET
    decided_penalty = $5, decided_by = $6, appeal = $7, appeal_decision = $8, final = true,
    reprimand = $12, sheet_sent_at = $13, appeal_by = $14, appeal_evidence = $15, branch = $16,
    outcomes = $18
"""

OPEN_PERIODS = """
SELECT period FROM accountability_cycles WHERE status <> 'published' AND period < $1
ORDER BY period
"""

RESULTS = """
SELECT i.period, i.complaint_id, i.branch, i.person, i.responsibility, i.reasons,
       i.proposed_min, i.proposed_max, i.decided_penalty, i.reprimand, i.decided_by,
       i.sheet_sent_at, i.appeal_by, i.appeal_decision, i.final, i.proposed_outcomes,
       i.outcomes, i.determined_by, c.rule_reading
FROM accountability_items i JOIN accountability_cycles c USING (period)
WHERE i.period = $1 AND c.status = 'published'
ORDER BY i.person, i.complaint_id, i.responsibility
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
    @property
    def reasons(self) -> list[str]: ...
    @property
    def minimum(self) -> int: ...
    @property
    def maximum(self) -> int: ...
    @property
    def reprimand(self) -> bool: ...
    @property
    def sheet_sent_at(self) -> datetime | None: ...
    @property
    def appeal_by(self) -> str | None: ...
    @property
    def appeal_evidence(self) -> list[str]: ...
    @property
    def branch(self) -> str | None: ...
    @property
    def outcomes(self) -> Sequence[str]: ...
    @property
    def decided_outcomes(self) -> Sequence[str]: ...
    @property
    def determined_by(self) -> str | None: ...


async def case_facts(conn: Connection, start: datetime, end: datetime) -> list[CaseFacts]:
    """The facts of the cases received in [start, end), oldest first."""
    rows = await conn.fetch(FACTS, start, end)
    return [
        CaseFacts.model_validate(dict(row) | {"conduct": json.loads(row["conduct"])})
        for row in rows
    ]


async def cycle_status(conn: Connection, period: str) -> Record | None:
    """The period's `status` and `rule_reading`, the row held until the transaction ends;
    None for a period never compiled."""
    return await conn.fetchrow(CYCLE_STATUS, period)


async def record_cycle(
    conn: Connection,
    period: str,
    starts_on: date,
    ends_on: date,
    appeal_until: datetime,
    proposals: Sequence[Proposal],
    rule_reading: int,
) -> None:
    """The compiled cycle, under `rule_reading` (R-AN-4), and its proposed items (in the
    caller's transaction)."""
    await conn.execute(INSERT_CYCLE, period, starts_on, ends_on, appeal_until, rule_reading)
    await conn.executemany(
        INSERT_ITEM,
        [
            (
                period,
                p.complaint_id,
                p.person,
                p.responsibility,
                p.reasons,
                p.minimum,
                p.maximum,
                list(p.outcomes),
                p.determined_by,
            )
            for p in proposals
        ],
    )


async def publish_cycle(conn: Connection, period: str, items: Sequence[DecidedItem]) -> None:
    """Every item's decision, final, and the cycle published (in the caller's transaction).
    A period already published is left as it is: its results are final."""
    status = await cycle_status(conn, period)
    if status is not None and status["status"] == "published":
        return
    await conn.executemany(
        DECIDE_ITEM,
        [
            (
                period,
                i.complaint_id,
                i.person,
                i.responsibility,
                i.decided_penalty,
                i.decided_by,
                i.appeal,
                i.appeal_decision,
                i.reasons,
                i.minimum,
                i.maximum,
                i.reprimand,
                i.sheet_sent_at,
                i.appeal_by,
                i.appeal_evidence,
                i.branch,
                list(i.outcomes),
                list(i.decided_outcomes),
                i.determined_by,
            )
            for i in items
        ],
    )
    await conn.execute(PUBLISH_CYCLE, period)


async def open_periods(db: Queryable, before: str) -> list[str]:
    """Periods before `before` compiled and not yet published (stalled months)."""
    return [r["period"] for r in await db.fetch(OPEN_PERIODS, before)]


async def results(db: Queryable, period: str) -> list[Record]:
    """A published period's final results, person by person, for the branch's HR and finance
    departments (R-AC-4, R-AC-5), with the outcomes and the rule reading of the period."""
    return list(await db.fetch(RESULTS, period))
