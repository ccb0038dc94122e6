"""The saved versions of the customer notices' templates (R-CU-1; migration 0016): who saved
each and why, every version kept, never updated or deleted. Checking a template and choosing
the version in force are `notices.templates`' business."""

from __future__ import annotations

from typing import Any

from asyncpg import Record

from infra.postgres import Queryable

INSERT = """
INSERT INTO notice_templates (template, language, subject, body, reason, changed_by)
VALUES ($1, $2, $3, $4, $5, $6)
RETURNING version, changed_at
"""

SAVED = """
SELECT version, template, language, subject, body, reason, changed_by, changed_at
FROM notice_templates ORDER BY version
"""


async def add_version(
    db: Queryable,
    template: str,
    language: str,
    subject: str,
    body: str,
    reason: str,
    changed_by: str,
) -> Record:
    """A new version (`version`, `changed_at`), in force from now; the earlier ones stay."""
    row = await db.fetchrow(INSERT, template, language, subject, body, reason, changed_by)
    assert row is not None
    return row


async def saved(db: Queryable) -> list[dict[str, Any]]:
    """Every saved version, oldest first (a handful per template: read whole)."""
    return [dict(r) for r in await db.fetch(SAVED)]
