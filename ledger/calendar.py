"""The years of the calendar entered as data (R-SLA-11): versions of kind `calendar_year` in
`policy_versions` (ledger/policy.py), scope the year. Never updated or deleted: a correction,
or going back to the calendar library's data, is a new version."""

from __future__ import annotations

import json
from collections.abc import Iterable
from datetime import datetime
from typing import Any

from infra.postgres import Queryable

KIND = "calendar_year"

IN_FORCE = """
SELECT DISTINCT ON (scope) scope, version, body::text AS body, effective_from, reason,
       changed_by, changed_at
FROM policy_versions
WHERE kind = 'calendar_year' AND scope = ANY($1::text[]) AND effective_from <= $2
ORDER BY scope, effective_from DESC, version DESC
"""

EVERY_YEAR = "SELECT DISTINCT scope FROM policy_versions WHERE kind = 'calendar_year'"

INSERT = """
INSERT INTO policy_versions (kind, scope, effective_from, body, reason, changed_by)
VALUES ('calendar_year', $1, $2, $3::jsonb, $4, $5)
RETURNING version, changed_at
"""

HISTORY = """
SELECT version, scope, effective_from, body::text AS body, reason, changed_by, changed_at
FROM policy_versions WHERE kind = 'calendar_year' ORDER BY version
"""


def _row(r: Any) -> dict[str, Any]:
    return dict(r) | {"year": int(r["scope"]), "body": json.loads(r["body"])}


async def in_force(db: Queryable, years: Iterable[int], at: datetime) -> dict[int, dict[str, Any]]:
    """The version in force at `at` of each year that has one: `version`, `body`, `reason`,
    `changed_by`, `changed_at`, `effective_from`."""
    rows = await db.fetch(IN_FORCE, [str(y) for y in years], at)
    return {int(r["scope"]): _row(r) for r in rows}


async def entered_years(db: Queryable) -> list[int]:
    """Every year that has a version, in force or not."""
    return sorted(int(r["scope"]) for r in await db.fetch(EVERY_YEAR))


async def add_version(
    db: Queryable,
    year: int,
    effective_from: datetime,
    body: dict[str, Any],
    reason: str,
    changed_by: str,
) -> dict[str, Any]:
    """A new version (`version`, `changed_at`); the earlier ones stay."""
    row = await db.fetchrow(INSERT, str(year), effective_from, json.dumps(body), reason, changed_by)
    assert row is not None
    return dict(row)


async def history(db: Queryable) -> list[dict[str, Any]]:
    """Every version of every year, oldest first."""
    return [_row(r) for r in await db.fetch(HISTORY)]
