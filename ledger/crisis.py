"""The ledger's crisis and conduct rows (migrations 0009, 0011): what a case's record
writes besides `ledger.record`'s statement, and what the accountability cycle reads.

Written in the record's own transaction (`write`), only for a record that carries any:
crisis records (R-CR-1, R-CR-6, R-CR-7), conduct events (R-CR-2) and the customer's help flags
(R-CR-5). Keyed like every ledger row (complaint id + the timeline seq that recorded it) and
versioned like them (`LedgerRecord.version`: the later point in the case's history wins).

R-CR-8 reads (`late_crisis_reports`, `conduct_events`): a crisis report filed late or never
(sla_clocks of kind 'crisis': due, met, breached) and the conduct recorded against a person,
for the accountability cycle of a period (the cycle turns them into proposals).
"""

from __future__ import annotations

import json
from datetime import datetime

from domain.fields import Derived
from domain.ledger_records import LedgerRecord
from domain.state import ConductEvent, CrisisRecord
from infra.postgres import Connection, Queryable
from ledger.rows import columns

CRISIS = """
INSERT INTO crisis_records (complaint_id, seq, kind, at, actor, level, person, detail,
    attachments, due_at, late, written_version)
SELECT $1, r.seq, r.kind, r.at, r.actor, r.level, r.person, r.detail,
       coalesce((SELECT array_agg(a) FROM json_array_elements_text(r.attachments::json) a),
                '{}'),
       r.due_at, r.late, $12::bigint
FROM unnest($2::int[], $3::text[], $4::timestamptz[], $5::text[], $6::text[], $7::text[],
            $8::text[], $9::text[], $10::timestamptz[], $11::bool[])
     AS r(seq, kind, at, actor, level, person, detail, attachments, due_at, late)
ON CONFLICT (complaint_id, seq) DO UPDATE SET
    kind = EXCLUDED.kind, at = EXCLUDED.at, actor = EXCLUDED.actor, level = EXCLUDED.level,
    person = EXCLUDED.person, detail = EXCLUDED.detail, attachments = EXCLUDED.attachments,
    due_at = EXCLUDED.due_at, late = EXCLUDED.late, written_version = EXCLUDED.written_version
WHERE crisis_records.written_version <= EXCLUDED.written_version
"""

CONDUCT = """
INSERT INTO conduct_events (complaint_id, seq, person, kind, detail, recorded_by, recorded_at,
    written_version)
SELECT $1, *, $8::bigint FROM unnest($2::int[], $3::text[], $4::text[], $5::text[],
                                     $6::text[], $7::timestamptz[])
ON CONFLICT (complaint_id, seq) DO UPDATE SET
    person = EXCLUDED.person, kind = EXCLUDED.kind, detail = EXCLUDED.detail,
    recorded_by = EXCLUDED.recorded_by, recorded_at = EXCLUDED.recorded_at,
    written_version = EXCLUDED.written_version
WHERE conduct_events.written_version <= EXCLUDED.written_version
"""

# The complaint row the record's statement wrote (same version) takes the flags.
HELP_FLAGS = """
UPDATE complaints SET help_flags = $2
WHERE complaint_id = $1 AND written_version <= $3 AND help_flags IS DISTINCT FROM $2
"""


def carries_any(record: LedgerRecord) -> bool:
    """Whether the record has rows for `write` (most records do not: no extra round trip)."""
    return bool(record.crisis_records or record.conduct_events or record.state.help_flags)


async def write(conn: Connection, record: LedgerRecord) -> None:
    """The record's crisis rows, conduct events and help flags (in the caller's transaction)."""
    cid, version = record.state.complaint_id, record.version
    if record.crisis_records:
        rows = [
            (
                r.seq,
                r.kind,
                r.at,
                r.actor,
                r.level,
                r.person,
                r.detail,
                _json_list(r.attachments),
                r.due_at,
                r.late,
            )
            for r in record.crisis_records
        ]
        await conn.execute(CRISIS, cid, *columns(rows, 10), version)
    if record.conduct_events:
        conduct = [
            (c.seq, c.person, c.kind, c.detail, c.recorded_by, c.recorded_at)
            for c in record.conduct_events
        ]
        await conn.execute(CONDUCT, cid, *columns(conduct, 6), version)
    if record.state.help_flags:
        await conn.execute(HELP_FLAGS, cid, [f.value for f in record.state.help_flags], version)


def _json_list(items: list[str]) -> str:
    """A ragged list per row: PostgreSQL arrays of arrays must be rectangular, JSON need not."""
    return json.dumps(items)


# ---------------------------------------------------------------------------------------------
# Read side


async def crisis_records(db: Queryable, complaint_id: str) -> list[CrisisRecord]:
    rows = await db.fetch(
        "SELECT seq, kind, at, actor, level, person, detail, attachments, due_at, late"
        " FROM crisis_records WHERE complaint_id = $1 ORDER BY seq",
        complaint_id,
    )
    return [CrisisRecord(**dict(r)) for r in rows]


class CrisisReportDue(Derived):
    """R-CR-8: a crisis report clock that ended late or was never filed."""

    complaint_id: str
    clock_key: str
    due_at: datetime
    met_at: datetime | None  # None: never filed
    breached_at: datetime | None
    owner: str
    supervisor: str | None
    branch: str


async def late_crisis_reports(
    db: Queryable, since: datetime, until: datetime
) -> list[CrisisReportDue]:
    """R-CR-8: crisis reports due in [since, until) that were filed late or not at all (the
    case's owner and supervisor are whom the accountability cycle asks about)."""
    rows = await db.fetch(
        "SELECT s.complaint_id, s.clock_key, s.due_at, s.met_at, s.breached_at, c.owner,"
        " c.supervisor, c.branch FROM sla_clocks s JOIN complaints c USING (complaint_id)"
        " WHERE s.kind = 'crisis' AND s.due_at >= $1 AND s.due_at < $2"
        " AND (s.met_at > s.due_at OR (s.met_at IS NULL AND s.breached_at IS NOT NULL))"
        " ORDER BY s.due_at, s.complaint_id",
        since,
        until,
    )
    return [CrisisReportDue(**dict(r)) for r in rows]


class Conduct(ConductEvent):
    complaint_id: str


async def conduct_events(db: Queryable, since: datetime, until: datetime) -> list[Conduct]:
    """R-CR-2, R-CR-8: conduct recorded against people in [since, until)."""
    rows = await db.fetch(
        "SELECT complaint_id, seq, person, kind, detail, recorded_by, recorded_at"
        " FROM conduct_events WHERE recorded_at >= $1 AND recorded_at < $2"
        " ORDER BY recorded_at, complaint_id, seq",
        since,
        until,
    )
    return [Conduct(**dict(r)) for r in rows]
