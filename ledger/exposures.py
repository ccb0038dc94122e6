"""Exposure figures per month, branch and product (`exposures`): the denominators of the
monthly report's rates (claims reported, policies, premium). `reports.exposures` reads them
from a CSV file; here they are upserted."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal

from infra.postgres import Queryable

UPSERT = """
INSERT INTO exposures AS e (period, branch, product, claims_reported, policies, premium_yuan)
SELECT * FROM unnest($1::text[], $2::text[], $3::text[], $4::bigint[], $5::bigint[],
                     $6::numeric[])
ON CONFLICT (period, branch, product) DO UPDATE SET
    claims_reported = EXCLUDED.claims_reported, policies = EXCLUDED.policies,
    premium_yuan = EXCLUDED.premium_yuan, imported_at = now()
RETURNING (xmax = 0) AS inserted
"""


@dataclass(frozen=True)
class Exposure:
    """One row: `product` is '' for the branch's totals; None is an unknown figure, not 0."""

    period: str
    branch: str
    product: str
    claims_reported: int | None
    policies: int | None
    premium_yuan: Decimal | None


async def upsert(db: Queryable, rows: Sequence[Exposure]) -> tuple[int, int]:
    """Insert or replace the rows on (period, branch, product), in one statement (one
    transaction); how many were inserted and how many updated."""
    if not rows:
        return 0, 0
    results = await db.fetch(
        UPSERT,
        [r.period for r in rows],
        [r.branch for r in rows],
        [r.product for r in rows],
        [r.claims_reported for r in rows],
        [r.policies for r in rows],
        [r.premium_yuan for r in rows],
    )
    inserted = sum(1 for r in results if r["inserted"])
    return inserted, len(results) - inserted
