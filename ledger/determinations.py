"""Determinations of finished cases (`determinations`, R-AN-2, R-AN-4, R-AC-1): one per case,
replaced when a supervisor determines it again, and the ledger facts they are judged on; a case
the review group cannot determine is referred to a business line (`determination_referrals`,
R-AN-7), whose determination names the line."""

from __future__ import annotations

from asyncpg import Record

from infra.postgres import Connection, Queryable

CASE = """
SELECT c.complaint_id, c.stage, c.outcome, c.branch, c.received_at, c.reopen_count,
       c.review_count, c.repeat_count, c.escalated, c.multi_channel,
       d.effective, d.reason_code, d.direct_person, d.managerial_person, d.decided_by,
       d.decided_at, d.note, d.managerial_levels, d.department_head, d.business_line,
       r.business_line AS referred_to, r.reason AS referral_reason, r.referred_by, r.referred_at
FROM complaints c LEFT JOIN determinations d ON d.complaint_id = c.complaint_id
     LEFT JOIN determination_referrals r ON r.complaint_id = c.complaint_id
WHERE c.complaint_id = $1
"""

REFER = """
INSERT INTO determination_referrals AS r (complaint_id, business_line, reason, referred_by)
VALUES ($1, $2, $3, $4)
ON CONFLICT (complaint_id) DO UPDATE SET business_line = EXCLUDED.business_line,
    reason = EXCLUDED.reason, referred_by = EXCLUDED.referred_by, referred_at = now()
RETURNING (xmax = 0) AS inserted
"""

UPSERT = """
INSERT INTO determinations AS d (complaint_id, effective, reason_code, direct_person,
    managerial_person, decided_by, decided_at, note, managerial_levels, department_head,
    business_line)
VALUES ($1, $2, $3, $4, $5, $6, now(), $7, $8, $9, $10)
ON CONFLICT (complaint_id) DO UPDATE SET
    effective = EXCLUDED.effective, reason_code = EXCLUDED.reason_code,
    direct_person = EXCLUDED.direct_person, managerial_person = EXCLUDED.managerial_person,
    decided_by = EXCLUDED.decided_by, decided_at = EXCLUDED.decided_at, note = EXCLUDED.note,
    managerial_levels = EXCLUDED.managerial_levels, department_head = EXCLUDED.department_head,
    business_line = EXCLUDED.business_line
RETURNING (xmax = 0) AS inserted
"""

FACTS = """
SELECT outcome, reopen_count, review_count, repeat_count, escalated, multi_channel
FROM complaints WHERE complaint_id = $1
"""


async def case(db: Queryable, complaint_id: str) -> Record | None:
    """The case's stage, outcome, branch, receipt and R-AN-4 facts, with its determination
    (`effective`, `reason_code`, ...: None before one is made); None for an unknown case."""
    return await db.fetchrow(CASE, complaint_id)


async def case_for_update(conn: Connection, complaint_id: str) -> Record | None:
    """`case`, holding the case's row against changes until the caller's transaction ends."""
    return await conn.fetchrow(CASE + " FOR SHARE OF c", complaint_id)


async def refer(
    conn: Connection, complaint_id: str, *, business_line: str, reason: str, referred_by: str
) -> bool:
    """R-AN-7: the case goes to `business_line` to determine; True if it is the first referral
    (a later one replaces it)."""
    inserted: bool = await conn.fetchval(REFER, complaint_id, business_line, reason, referred_by)
    return inserted


async def determine(
    conn: Connection,
    complaint_id: str,
    *,
    effective: bool,
    reason_code: str,
    direct_person: str | None,
    managerial_person: str | None,
    decided_by: str,
    note: str | None,
    managerial_levels: list[str] | None = None,
    department_head: str | None = None,
    business_line: str | None = None,
) -> bool:
    """Record the case's determination, replacing an earlier one; True if it is the first.
    `business_line`: the line that made it, on a referral (R-AN-7)."""
    inserted: bool = await conn.fetchval(
        UPSERT,
        complaint_id,
        effective,
        reason_code,
        direct_person,
        managerial_person,
        decided_by,
        note,
        managerial_levels or [],
        department_head,
        business_line,
    )
    return inserted


async def exemption_facts(db: Queryable, complaint_id: str) -> Record | None:
    """`outcome`, `reopen_count`, `review_count`, `repeat_count`, `escalated` and
    `multi_channel` of the case (what R-AN-4 is proposed from), or None."""
    return await db.fetchrow(FACTS, complaint_id)
