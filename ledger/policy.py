"""Policy as data (R-SLA-10): `policy_versions` (the SLA table, the penalty amounts, each
branch's working hours, the root-cause taxonomy and the hot-spot thresholds (R-AN-8), each
unit of the contacts directory (R-CR-9, scope: the unit), every version kept with its
effective date, reason and author) and
`branch_closures` (ad-hoc closures of a branch). Never updated or deleted: a change is a new
version."""

from __future__ import annotations

import json
from datetime import date, datetime
from typing import Any, Literal

from asyncpg import Record

from domain.sla import SlaPolicy
from infra.postgres import Queryable

PolicyKind = Literal["sla", "penalty", "working_hours", "causes", "hot_spots", "contacts"]

IN_FORCE = """
SELECT DISTINCT ON (scope) scope, version, body::text AS body, effective_from, reason,
       changed_by, changed_at
FROM policy_versions
WHERE kind = $1 AND scope = ANY($2::text[]) AND effective_from <= $3
ORDER BY scope, effective_from DESC, version DESC
"""

EVERY_SCOPE_IN_FORCE = """
SELECT DISTINCT ON (scope) scope, body::text AS body
FROM policy_versions
WHERE kind = $1 AND effective_from <= $2
ORDER BY scope, effective_from DESC, version DESC
"""

INSERT = """
INSERT INTO policy_versions (kind, scope, effective_from, body, reason, changed_by)
VALUES ($1, $2, $3, $4::jsonb, $5, $6)
RETURNING version, changed_at
"""

HISTORY = """
SELECT version, kind, scope, effective_from, body::text AS body, reason, changed_by, changed_at
FROM policy_versions WHERE ($1::text IS NULL OR kind = $1) ORDER BY version
"""

ANNOUNCE = """
INSERT INTO branch_closures (closure_key, branch, first_day, last_day, reason, announced_by)
VALUES ($1, $2, $3, $4, $5, $6)
ON CONFLICT (closure_key) DO NOTHING
RETURNING announced_at
"""

CLOSURES = """
SELECT closure_key, branch, first_day, last_day, reason, announced_by, announced_at, cases_told
FROM branch_closures
WHERE branch = $1 AND last_day >= $2 AND first_day <= $3
ORDER BY first_day, closure_key
"""


async def in_force(
    db: Queryable, kind: PolicyKind, branch: str | None, at: datetime
) -> dict[str, Any] | None:
    """The body in force at `at`: the branch's own version when it has one, else every
    branch's ('*'); None when no version was ever entered (the code's defaults hold)."""
    scopes = ["*"] if branch is None else ["*", branch]
    rows = {r["scope"]: r for r in await db.fetch(IN_FORCE, kind, scopes, at)}
    row = rows.get(branch or "*") or rows.get("*")
    if row is None:
        return None
    body: dict[str, Any] = json.loads(row["body"])
    return body


async def every_scope_in_force(
    db: Queryable, kind: PolicyKind, at: datetime
) -> dict[str, dict[str, Any]]:
    """Every scope's body in force at `at` (the contacts directory: one scope per unit)."""
    rows = await db.fetch(EVERY_SCOPE_IN_FORCE, kind, at)
    return {r["scope"]: json.loads(r["body"]) for r in rows}


async def sla_in_force(db: Queryable, branch: str | None, at: datetime) -> SlaPolicy:
    """The SLA policy in force at `at` for `branch` (R-SLA-10), the code's default when no
    version was ever entered."""
    body = await in_force(db, "sla", branch, at)
    return SlaPolicy() if body is None else SlaPolicy.model_validate(body)


async def add_version(
    db: Queryable,
    kind: PolicyKind,
    scope: str,
    effective_from: datetime,
    body: dict[str, Any],
    reason: str,
    changed_by: str,
) -> Record:
    """A new version (`version`, `changed_at`); the earlier ones stay."""
    row = await db.fetchrow(
        INSERT, kind, scope, effective_from, json.dumps(body), reason, changed_by
    )
    assert row is not None
    return row


async def history(db: Queryable, kind: PolicyKind | None = None) -> list[dict[str, Any]]:
    """Every version, oldest first."""
    return [dict(r) | {"body": json.loads(r["body"])} for r in await db.fetch(HISTORY, kind)]


async def announce_closure(
    db: Queryable,
    key: str,
    branch: str,
    first_day: date,
    last_day: date,
    reason: str,
    announced_by: str,
) -> bool:
    """Record a closure; False when the key was announced before (a repeat)."""
    return (
        await db.fetchval(ANNOUNCE, key, branch, first_day, last_day, reason, announced_by)
        is not None
    )


async def closures(db: Queryable, branch: str, first: date, last: date) -> list[Record]:
    """The branch's closures that overlap [first, last]."""
    return list(await db.fetch(CLOSURES, branch, first, last))


async def told(db: Queryable, key: str, cases: int) -> None:
    """How many running cases the announcement reached."""
    await db.execute(
        "UPDATE branch_closures SET cases_told = $2 WHERE closure_key = $1", key, cases
    )


OPEN_CASES = """
SELECT workflow_id FROM complaints
WHERE branch = $1 AND stage NOT IN ('closed', 'withdrawn')
ORDER BY received_at, complaint_id
"""


async def open_cases(db: Queryable, branch: str) -> list[str]:
    """The workflow ids of the branch's cases still in handling (whose deadlines run)."""
    return [r["workflow_id"] for r in await db.fetch(OPEN_CASES, branch)]
