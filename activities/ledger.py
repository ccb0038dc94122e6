"""The complaint ledger (投诉台账) in PostgreSQL: a thin, idempotent projection of the workflow.

Every row has a natural key (complaint id + timeline seq, clock key + start, ...) and every
write is `ON CONFLICT`, so a retried activity changes nothing twice; the complaint row only
moves forward (`last_event_seq`), so a late retry never rolls it back.
"""

from __future__ import annotations

from typing import Any

import asyncpg
import structlog
from temporalio import activity

from activities.notifications import enqueue
from domain.models import Clock, LedgerRecord

log = structlog.get_logger("ledger")

UPSERT_COMPLAINT = """
INSERT INTO complaints (
    complaint_id, workflow_id, external_id, channel, branch, department, owner, supervisor,
    category, product, policy_number, grade, crisis, stage, outcome, customer_name,
    customer_phone, customer_id_number, customer_email, matter, demands, received_at,
    stage_due_at, sla_breached, reopen_count, review_count, decided_at, closed_at,
    last_event_seq, repeat_count, repeat_channels, escalated, multi_channel, updated_at)
VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18, $19,
        $20, $21, $22, $23, $24, $25, $26, $27, $28, $29, $30, $31, $32, $33, now())
ON CONFLICT (complaint_id) DO UPDATE SET
    department = EXCLUDED.department, owner = EXCLUDED.owner, supervisor = EXCLUDED.supervisor,
    grade = EXCLUDED.grade, crisis = EXCLUDED.crisis, stage = EXCLUDED.stage,
    outcome = EXCLUDED.outcome, stage_due_at = EXCLUDED.stage_due_at,
    sla_breached = EXCLUDED.sla_breached, reopen_count = EXCLUDED.reopen_count,
    review_count = EXCLUDED.review_count, decided_at = EXCLUDED.decided_at,
    closed_at = EXCLUDED.closed_at, last_event_seq = EXCLUDED.last_event_seq,
    repeat_count = EXCLUDED.repeat_count, repeat_channels = EXCLUDED.repeat_channels,
    escalated = EXCLUDED.escalated, multi_channel = EXCLUDED.multi_channel, updated_at = now()
WHERE complaints.last_event_seq <= EXCLUDED.last_event_seq
"""

INSERT_EVENT = """
INSERT INTO complaint_events (complaint_id, seq, at, kind, actor, action, detail, request_id)
VALUES ($1, $2, $3, $4, $5, $6, $7, $8)
ON CONFLICT (complaint_id, seq) DO NOTHING
"""

UPSERT_CLOCK = """
INSERT INTO sla_clocks (complaint_id, clock_key, started_at, kind, label, due_at, basis,
    provisional, extended, expedited, paused_for, breached_at, reminders, met_at)
VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14)
ON CONFLICT (complaint_id, clock_key, started_at) DO UPDATE SET
    label = EXCLUDED.label, due_at = EXCLUDED.due_at, basis = EXCLUDED.basis,
    provisional = EXCLUDED.provisional, extended = EXCLUDED.extended,
    expedited = EXCLUDED.expedited, paused_for = EXCLUDED.paused_for,
    breached_at = EXCLUDED.breached_at, reminders = EXCLUDED.reminders, met_at = EXCLUDED.met_at
"""

INSERT_BREACH = """
INSERT INTO sla_breaches (complaint_id, clock_key, due_at, label, recorded_at)
VALUES ($1, $2, $3, $4, $5)
ON CONFLICT (complaint_id, clock_key, due_at) DO NOTHING
"""

UPSERT_EXTENSION = """
INSERT INTO extensions (complaint_id, requested_at, stage, requested_by, requested_due_at, reason,
    regulatory_days, decided_by, decided_at, approved, approved_due_at)
VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)
ON CONFLICT (complaint_id, requested_at) DO UPDATE SET
    decided_by = EXCLUDED.decided_by, decided_at = EXCLUDED.decided_at,
    approved = EXCLUDED.approved, approved_due_at = EXCLUDED.approved_due_at,
    regulatory_days = EXCLUDED.regulatory_days
"""


def _clock_row(cid: str, c: Clock) -> tuple[Any, ...]:
    return (
        cid, c.key, c.started_at, c.kind.value, c.label, c.due_at, c.basis, c.provisional,
        c.extended, c.expedited, c.paused_for, c.breached_at, c.reminders, c.met_at,
    )  # fmt: skip


async def write_record(
    conn: asyncpg.Connection | asyncpg.pool.PoolConnectionProxy, record: LedgerRecord
) -> None:
    """One transaction: the complaint row, new timeline entries, clocks, breaches, extensions
    and the notices to send (the outbox, delivered by `activities.notifications.OutboxRelay`)."""
    i, s = record.intake, record.state
    cid = s.complaint_id
    stage_clock = s.clock(f"stage:{s.stage.value}")
    last_seq = s.timeline[-1].seq if s.timeline else 0
    async with conn.transaction():
        await conn.execute(
            UPSERT_COMPLAINT,
            cid, record.workflow_id, i.external_id, s.channel.value, s.branch, s.department,
            s.owner, s.supervisor, s.category, i.product, i.policy_number, s.grade.value,
            s.crisis, s.stage.value, s.outcome, i.customer.name, i.customer.phone,
            i.customer.id_number, i.customer.email, i.matter, i.demands, s.received_at,
            stage_clock.due_at if stage_clock else None, s.sla_breached, s.reopen_count,
            s.review_count, s.decided_at, s.closed_at, last_seq, s.repeat_count,
            [c.value for c in s.repeat_channels], s.escalated, s.multi_channel,
        )  # fmt: skip
        if s.timeline:
            await conn.executemany(
                INSERT_EVENT,
                [
                    (cid, e.seq, e.at, e.kind, e.actor, e.action, e.detail, e.request_id)
                    for e in s.timeline
                ],
            )
        if record.clocks:
            await conn.executemany(UPSERT_CLOCK, [_clock_row(cid, c) for c in record.clocks])
        if record.breaches:
            await conn.executemany(
                INSERT_BREACH,
                [(cid, b.clock, b.due_at, b.label, b.recorded_at) for b in record.breaches],
            )
        if record.extensions:
            await conn.executemany(
                UPSERT_EXTENSION,
                [
                    (cid, e.requested_at, e.stage.value, e.requested_by, e.requested_due_at,
                     e.reason, e.regulatory_days, e.decided_by, e.decided_at, e.approved,
                     e.approved_due_at)
                    for e in record.extensions
                ],
            )  # fmt: skip
        await enqueue(conn, record.notices)  # R-IN-2: told only what the ledger holds


class LedgerActivities:
    def __init__(self, pool: asyncpg.Pool) -> None:
        self._pool = pool

    @activity.defn(name="record_in_ledger")
    async def record(self, record: LedgerRecord) -> None:
        async with self._pool.acquire() as conn:
            await write_record(conn, record)
        log.debug(
            "ledger recorded",
            complaint_id=record.state.complaint_id,
            events=len(record.state.timeline),
            stage=record.state.stage.value,
        )
