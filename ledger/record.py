"""The ledger's record of a case: a thin, idempotent projection of its workflow.

Every row has a natural key (complaint id + timeline seq, clock key + start, ...) and every
write is `ON CONFLICT`, so a retried activity changes nothing twice. Every row also keeps the
version it was written at (`LedgerRecord.version`: the case's run and history length): a local
activity runs inside a workflow task, and a task that fails after its write (a worker killed,
a signal arriving as a run continues as new) is retried with possibly other entries at the same
seq; the write from the later point in the case's history wins, whichever commits last, and
a late retry of an earlier one never rolls a row back.

A record is one statement, so one round trip and its own transaction: the complaint row, the
new timeline entries, clocks, breaches, extensions and the notices to send (the outbox of
`ledger.outbox`, delivered by `notices.relay.OutboxRelay`). Each set travels as column arrays
and is unnested by PostgreSQL; an empty set inserts nothing. The statement answers with the
breaches it inserted (the worker's breach metrics count those).
"""

from __future__ import annotations

from datetime import datetime

from domain.ledger_records import LedgerRecord
from infra.postgres import Connection
from ledger import bank, crisis
from ledger.outbox import outbox_columns, outbox_words
from ledger.rows import columns

RECORD = """
WITH complaint AS (
    INSERT INTO complaints (
        complaint_id, workflow_id, external_id, channel, branch, department, owner, supervisor,
        category, product, policy_number, grade, crisis, stage, outcome, customer_name,
        customer_phone, customer_id_number, customer_email, matter, demands, received_at,
        stage_due_at, sla_breached, reopen_count, review_count, decided_at, closed_at,
        last_event_seq, repeat_count, repeat_channels, escalated, multi_channel, updated_at,
        written_version, root_cause, department_head, outside_bodies)
    VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18,
            $19, $20, $21, $22, $23, $24, $25, $26, $27, $28, $29, $30, $31, $32, $33, now(),
            $77::bigint, $79, $80, $81::text[])
    ON CONFLICT (complaint_id) DO UPDATE SET
        department = EXCLUDED.department, owner = EXCLUDED.owner,
        supervisor = EXCLUDED.supervisor, grade = EXCLUDED.grade, crisis = EXCLUDED.crisis,
        stage = EXCLUDED.stage, outcome = EXCLUDED.outcome,
        stage_due_at = EXCLUDED.stage_due_at, sla_breached = EXCLUDED.sla_breached,
        reopen_count = EXCLUDED.reopen_count, review_count = EXCLUDED.review_count,
        decided_at = EXCLUDED.decided_at, closed_at = EXCLUDED.closed_at,
        last_event_seq = EXCLUDED.last_event_seq, repeat_count = EXCLUDED.repeat_count,
        repeat_channels = EXCLUDED.repeat_channels, escalated = EXCLUDED.escalated,
        multi_channel = EXCLUDED.multi_channel, updated_at = now(),
        written_version = EXCLUDED.written_version, root_cause = EXCLUDED.root_cause,
        department_head = EXCLUDED.department_head, outside_bodies = EXCLUDED.outside_bodies
    WHERE (complaints.written_version, complaints.last_event_seq)
        <= (EXCLUDED.written_version, EXCLUDED.last_event_seq)
), events AS (
    INSERT INTO complaint_events (complaint_id, seq, at, kind, actor, action, detail, request_id,
        written_version)
    SELECT $1, *, $77::bigint FROM unnest($34::int[], $35::timestamptz[], $36::text[],
                                          $37::text[], $38::text[], $39::text[], $40::text[])
    ON CONFLICT (complaint_id, seq) DO UPDATE SET
        at = EXCLUDED.at, kind = EXCLUDED.kind, actor = EXCLUDED.actor,
        action = EXCLUDED.action, detail = EXCLUDED.detail, request_id = EXCLUDED.request_id,
        written_version = EXCLUDED.written_version
    WHERE complaint_events.written_version < EXCLUDED.written_version
), clocks AS (
    INSERT INTO sla_clocks (complaint_id, clock_key, started_at, kind, label, due_at, basis,
        provisional, extended, expedited, paused_for, breached_at, reminders, met_at,
        written_version)
    SELECT $1, *, $77::bigint FROM unnest($41::text[], $42::timestamptz[], $43::text[],
                                          $44::text[], $45::timestamptz[], $46::text[],
                                          $47::bool[], $48::bool[], $49::bool[],
                                          $50::interval[], $51::timestamptz[], $52::int[],
                                          $53::timestamptz[])
    ON CONFLICT (complaint_id, clock_key, started_at) DO UPDATE SET
        label = EXCLUDED.label, due_at = EXCLUDED.due_at, basis = EXCLUDED.basis,
        provisional = EXCLUDED.provisional, extended = EXCLUDED.extended,
        expedited = EXCLUDED.expedited, paused_for = EXCLUDED.paused_for,
        breached_at = EXCLUDED.breached_at, reminders = EXCLUDED.reminders,
        met_at = EXCLUDED.met_at, written_version = EXCLUDED.written_version
    WHERE sla_clocks.written_version <= EXCLUDED.written_version
), breaches AS (
    INSERT INTO sla_breaches (complaint_id, clock_key, due_at, label, recorded_at)
    SELECT $1, * FROM unnest($54::text[], $55::timestamptz[], $56::text[], $57::timestamptz[])
    ON CONFLICT (complaint_id, clock_key, due_at) DO NOTHING
    RETURNING clock_key, due_at
), extensions AS (
    INSERT INTO extensions (complaint_id, requested_at, stage, requested_by, requested_due_at,
        reason, regulatory_days, decided_by, decided_at, approved, approved_due_at,
        written_version)
    SELECT $1, *, $77::bigint FROM unnest($58::timestamptz[], $59::text[], $60::text[],
                                          $61::timestamptz[], $62::text[], $63::int[],
                                          $64::text[], $65::timestamptz[], $66::bool[],
                                          $67::timestamptz[])
    ON CONFLICT (complaint_id, requested_at) DO UPDATE SET
        decided_by = EXCLUDED.decided_by, decided_at = EXCLUDED.decided_at,
        approved = EXCLUDED.approved, approved_due_at = EXCLUDED.approved_due_at,
        regulatory_days = EXCLUDED.regulatory_days, written_version = EXCLUDED.written_version
    WHERE extensions.written_version <= EXCLUDED.written_version
), outbox AS (
    -- A notice not yet tried takes the later attempt's words; one already sent stays sent (a
    -- failed attempt's notice may have gone out: delivery is at least once, docs/architecture.md).
    INSERT INTO notifications (notice_key, channel, complaint_id, kind, recipient_role,
        recipient, subject, body, clock, words, written_version)
    SELECT *, $77::bigint FROM unnest($68::text[], $69::text[], $70::text[], $71::text[],
                                      $72::text[], $73::text[], $74::text[], $75::text[],
                                      $76::text[], $78::jsonb[])
    ON CONFLICT (notice_key, channel) DO UPDATE SET
        kind = EXCLUDED.kind, recipient_role = EXCLUDED.recipient_role,
        recipient = EXCLUDED.recipient, subject = EXCLUDED.subject, body = EXCLUDED.body,
        clock = EXCLUDED.clock, words = EXCLUDED.words, written_version = EXCLUDED.written_version
    WHERE notifications.written_version < EXCLUDED.written_version
        AND notifications.status = 'pending' AND notifications.attempts = 0
)
SELECT clock_key, due_at FROM breaches
"""


async def _write_case(conn: Connection, record: LedgerRecord) -> list[tuple[str, datetime]]:
    """The record in one statement (R-IN-2: its notices are queued only if the ledger holds
    the entries that announce them). Returns the breaches this statement inserted, as
    (clock key, due instant): none for a retry of a record already written, so a caller
    counting them counts each breach once."""
    i, s = record.intake, record.state
    cid = s.complaint_id
    stage_clock = s.clock(f"stage:{s.stage.value}")
    last_seq = s.timeline[-1].seq if s.timeline else 0
    events = [(e.seq, e.at, e.kind, e.actor, e.action, e.detail, e.request_id) for e in s.timeline]
    clocks = [
        (
            c.key,
            c.started_at,
            c.kind.value,
            c.label,
            c.due_at,
            c.basis,
            c.provisional,
            c.extended,
            c.expedited,
            c.paused_for,
            c.breached_at,
            c.reminders,
            c.met_at,
        )
        for c in record.clocks
    ]
    breaches = [(b.clock, b.due_at, b.label, b.recorded_at) for b in record.breaches]
    extensions = [
        (
            e.requested_at,
            e.stage.value,
            e.requested_by,
            e.requested_due_at,
            e.reason,
            e.regulatory_days,
            e.decided_by,
            e.decided_at,
            e.approved,
            e.approved_due_at,
        )
        for e in record.extensions
    ]
    rows = await conn.fetch(
        RECORD,
        cid,
        record.workflow_id,
        i.external_id,
        s.channel.value,
        s.branch,
        s.department,
        s.owner,
        s.supervisor,
        s.category,
        i.product,
        i.policy_number,
        s.grade.value,
        s.crisis,
        s.stage.value,
        s.outcome,
        i.customer.name,
        i.customer.phone,
        i.customer.id_number,
        i.customer.email,
        i.matter,
        i.demands,
        s.received_at,
        stage_clock.due_at if stage_clock else None,
        s.sla_breached,
        s.reopen_count,
        s.review_count,
        s.decided_at,
        s.closed_at,
        last_seq,
        s.repeat_count,
        [c.value for c in s.repeat_channels],
        s.escalated,
        s.multi_channel,
        *columns(events, 7),
        *columns(clocks, 13),
        *columns(breaches, 4),
        *columns(extensions, 10),
        *outbox_columns(record.notices),
        record.version,
        outbox_words(record.notices),
        s.root_cause,
        s.department_head,
        s.outside_bodies,
    )
    return [(r["clock_key"], r["due_at"]) for r in rows]


async def write_record(conn: Connection, record: LedgerRecord) -> list[tuple[str, datetime]]:
    """The record; with the rows of rules 3 in the same transaction when it carries any: the
    bank channel's (`ledger.bank`), crisis rows, conduct events and help flags
    (`ledger.crisis`)."""
    more = crisis.carries_any(record)
    if record.bank is None and not more:
        return await _write_case(conn, record)
    async with conn.transaction():
        breaches = await _write_case(conn, record)
        if record.bank is not None:
            await bank.write_bank(conn, record)
        if more:
            await crisis.write(conn, record)
    return breaches
