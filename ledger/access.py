"""The access log (`access_log`): who saw a case's customer data, when and through what.

China's Personal Information Protection Law expects a record of every access to personal
information; an insurer's auditors ask for it. Written by the codec server for every decode and
by the HTTP API for every read that shows unmasked customer data; read by auditors.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime

from domain.models import Derived
from infra.postgres import Queryable


class Access(Derived):
    """One access: who, when, through what, which cases (the auditors' view, as it is)."""

    at: datetime
    actor: str
    key_id: str | None
    via: str
    complaint_ids: list[str]
    detail: str | None


async def record(
    db: Queryable,
    *,
    actor: str,
    key_id: str | None,
    via: str,
    complaint_ids: Iterable[str],
    detail: str | None = None,
) -> None:
    await db.execute(
        "INSERT INTO access_log (actor, key_id, via, complaint_ids, detail)"
        " VALUES ($1, $2, $3, $4, $5)",
        actor,
        key_id,
        via,
        sorted(set(complaint_ids)),
        detail,
    )


async def entries(
    db: Queryable,
    *,
    complaint_id: str | None = None,
    actor: str | None = None,
    since: datetime | None = None,
    until: datetime | None = None,
    limit: int = 200,
) -> list[Access]:
    """Newest first, narrowed by case, person and time."""
    rows = await db.fetch(
        "SELECT at, actor, key_id, via, complaint_ids, detail FROM access_log"
        " WHERE ($1::text IS NULL OR complaint_ids @> ARRAY[$1::text])"
        " AND ($2::text IS NULL OR actor = $2) AND ($3::timestamptz IS NULL OR at >= $3)"
        " AND ($4::timestamptz IS NULL OR at < $4) ORDER BY at DESC, id DESC LIMIT $5",
        complaint_id,
        actor,
        since,
        until,
        limit,
    )
    return [Access(**dict(r)) for r in rows]
