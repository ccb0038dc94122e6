"""What the HTTP API's intake reads and writes besides the workflow: the callers' external ids
(`external_ids`), which make filing idempotent, and the open case a repeat complaint joins
(R-IN-6)."""

from __future__ import annotations

from dataclasses import dataclass

from domain.intake_rules import ClosedCase
from infra.postgres import Queryable


@dataclass(frozen=True)
class ExternalId:
    complaint_id: str
    merged: bool  # True: a repeat that joined an open case (R-IN-6)


async def external_id(db: Queryable, external_id: str) -> ExternalId | None:
    """The case an external id was filed as, or None if it never was."""
    row = await db.fetchrow(
        "SELECT complaint_id, merged FROM external_ids WHERE external_id = $1", external_id
    )
    return None if row is None else ExternalId(row["complaint_id"], row["merged"])


async def remember_external_id(
    db: Queryable, external_id: str, complaint_id: str, *, merged: bool = False
) -> None:
    """Note which case an external id became (the first filing wins; a repeat is a no-op)."""
    await db.execute(
        "INSERT INTO external_ids (external_id, complaint_id, merged) VALUES ($1, $2, $3)"
        " ON CONFLICT DO NOTHING",
        external_id,
        complaint_id,
        merged,
    )


async def open_case_for(db: Queryable, phone: str, policy_number: str) -> str | None:
    """The oldest case of the same customer phone about the same policy still in handling."""
    found: str | None = await db.fetchval(
        "SELECT complaint_id FROM complaints WHERE customer_phone = $1 AND policy_number = $2"
        " AND stage NOT IN ('closed', 'withdrawn') ORDER BY received_at LIMIT 1",
        phone,
        policy_number,
    )
    return found


async def closed_case_for(db: Queryable, phone: str, policy_number: str) -> ClosedCase | None:
    """R-IN-6 (rules 3): the newest closed case of the same customer phone about the same
    policy (whether a new complaint repeats it: `domain.intake_rules.repeat_of`)."""
    row = await db.fetchrow(
        "SELECT complaint_id, channel, decided_at, repeat_count FROM complaints"
        " WHERE customer_phone = $1 AND policy_number = $2 AND stage = 'closed'"
        " AND decided_at IS NOT NULL ORDER BY decided_at DESC LIMIT 1",
        phone,
        policy_number,
    )
    if row is None:
        return None
    return ClosedCase(
        complaint_id=row["complaint_id"],
        channel=row["channel"],
        decided_at=row["decided_at"],
        times=1 + row["repeat_count"],
    )
