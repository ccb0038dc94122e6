"""Ledger side of the accountability cycle: compile the period's cases, publish the results."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta

import asyncpg
from temporalio import activity

from domain.accountability import ZONE, CaseFacts, Proposal, propose
from domain.models import Model

FACTS = """
SELECT c.complaint_id, c.owner, c.supervisor, c.grade, c.crisis, c.outcome, c.reopen_count,
       c.review_count,
       c.repeat_count, c.escalated, c.multi_channel, c.repeat_channels, c.channel,
       d.effective, d.reason_code, d.direct_person, d.managerial_person,
       (SELECT count(*) FROM sla_breaches b
         WHERE b.complaint_id = c.complaint_id AND b.clock_key LIKE 'stage:%') AS stage_breaches
FROM complaints c LEFT JOIN determinations d USING (complaint_id)
WHERE c.received_at >= $1 AND c.received_at < $2
ORDER BY c.received_at, c.complaint_id
"""


class CompileRequest(Model):
    period: str
    starts_on: date
    ends_on: date
    appeal_until: datetime


class CycleItem(Proposal):
    decided_penalty: int | None = None
    decided_by: str | None = None
    appeal: str | None = None
    appeal_decision: str | None = None


class PublishRequest(Model):
    period: str
    items: list[CycleItem]


class AccountabilityActivities:
    def __init__(self, pool: asyncpg.Pool) -> None:
        self._pool = pool

    @activity.defn(name="compile_accountability")
    async def compile(self, request: CompileRequest) -> list[Proposal]:
        start = datetime.combine(request.starts_on, time(0), tzinfo=ZONE)
        end = datetime.combine(request.ends_on + timedelta(days=1), time(0), tzinfo=ZONE)
        async with self._pool.acquire() as conn, conn.transaction():
            rows = await conn.fetch(FACTS, start, end)
            proposals = [p for r in rows for p in propose(CaseFacts.model_validate(dict(r)))]
            await conn.execute(
                "INSERT INTO accountability_cycles (period, starts_on, ends_on, appeal_until,"
                " status, compiled_at) VALUES ($1, $2, $3, $4, 'compiled', now())"
                " ON CONFLICT (period) DO NOTHING",
                request.period, request.starts_on, request.ends_on, request.appeal_until,
            )  # fmt: skip
            await conn.executemany(
                "INSERT INTO accountability_items (period, complaint_id, person, responsibility,"
                " reasons, proposed_min, proposed_max) VALUES ($1, $2, $3, $4, $5, $6, $7)"
                " ON CONFLICT DO NOTHING",
                [(request.period, p.complaint_id, p.person, p.responsibility, p.reasons,
                  p.minimum, p.maximum) for p in proposals],
            )  # fmt: skip
        return proposals

    @activity.defn(name="publish_accountability")
    async def publish(self, request: PublishRequest) -> None:
        async with self._pool.acquire() as conn, conn.transaction():
            await conn.executemany(
                "UPDATE accountability_items SET decided_penalty = $5, decided_by = $6,"
                " appeal = $7, appeal_decision = $8, final = true"
                " WHERE period = $1 AND complaint_id = $2 AND person = $3 AND responsibility = $4",
                [(request.period, i.complaint_id, i.person, i.responsibility, i.decided_penalty,
                  i.decided_by, i.appeal, i.appeal_decision) for i in request.items],
            )  # fmt: skip
            await conn.execute(
                "UPDATE accountability_cycles SET status = 'published', published_at = now()"
                " WHERE period = $1 AND status <> 'published'",
                request.period,
            )
