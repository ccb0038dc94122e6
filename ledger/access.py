"""The access log (`access_log`): who saw a case's customer data, when and through what.

China's Personal Information Protection Law expects a record of every access to personal
information; an insurer's auditors ask for it. Written by the codec server for every decode and
by the HTTP API for every read that shows unmasked customer data; read by auditors.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import datetime

from domain.fields import Derived
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
    branches: Sequence[str] | None = None,
) -> list[Access]:
    """Newest first, narrowed by case, person and time. `branches` (an API key's; None: every
    branch): only the accesses to their cases, each naming only their cases."""
    if branches is None:
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
    else:
        rows = await db.fetch(
            SCOPED_ENTRIES, complaint_id, actor, since, until, limit, list(branches)
        )
    return [Access(**dict(r)) for r in rows]


SCOPED_ENTRIES = """
SELECT at, actor, key_id, via, detail,
       ARRAY(SELECT c.complaint_id FROM complaints c
             WHERE c.complaint_id = ANY(a.complaint_ids) AND c.branch = ANY($6::text[])
             ORDER BY c.complaint_id) AS complaint_ids
FROM access_log a
WHERE ($1::text IS NULL OR complaint_ids @> ARRAY[$1::text])
  AND ($2::text IS NULL OR actor = $2) AND ($3::timestamptz IS NULL OR at >= $3)
  AND ($4::timestamptz IS NULL OR at < $4)
  AND EXISTS (SELECT 1 FROM complaints c
              WHERE c.complaint_id = ANY(a.complaint_ids) AND c.branch = ANY($6::text[]))
ORDER BY at DESC, id DESC LIMIT $5
"""
