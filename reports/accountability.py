"""The final results of an accountability period as CSV for the branch's HR and finance
departments (R-AC-4, R-AC-5): `python -m reports.accountability 2026-11 >
accountability-2026-11.csv`, or `GET /v1/accountability/2026-11/results` (api/policy.py). Only a
published period has results; the cycle also sends them to HR and finance when it publishes.

Besides the money: `outcomes`, the outcomes decided (R-AC-5: criticism_education, warning,
fine, demotion, dismissal, published_reprimand, joined by ' | '), `proposed_outcomes`,
`determined_by` (who determined the case; a business line on a referral, R-AN-7) and
`rule_reading` (R-AN-4: 1, the first statement, for a period compiled before it was restated).
"""

from __future__ import annotations

import asyncio
import csv
import io
import sys
from collections.abc import Iterable
from typing import Any

from infra.config import Settings
from infra.postgres import create_pool, database_url
from ledger import accountability

HEADER = (
    "period",
    "complaint_id",
    "branch",
    "person",
    "responsibility",
    "reasons",
    "proposed_min",
    "proposed_max",
    "penalty_yuan",
    "published_reprimand",
    "decided_by",
    "sheet_sent_at",
    "appeal_by",
    "appeal_decision",
    "outcomes",
    "proposed_outcomes",
    "determined_by",
    "rule_reading",
)


def render(rows: Iterable[Any]) -> str:
    """One line per person and item; reasons joined by ' | '; a reprimand as yes/no."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(HEADER)
    for r in rows:
        writer.writerow(
            [
                r["period"],
                r["complaint_id"],
                r["branch"] or "",
                r["person"],
                r["responsibility"],
                " | ".join(r["reasons"]),
                r["proposed_min"],
                r["proposed_max"],
                r["decided_penalty"] if r["decided_penalty"] is not None else "",
                "yes" if r["reprimand"] else "no",
                r["decided_by"] or "",
                r["sheet_sent_at"].isoformat() if r["sheet_sent_at"] else "",
                r["appeal_by"] or "",
                r["appeal_decision"] or "",
                " | ".join(r["outcomes"]),
                " | ".join(r["proposed_outcomes"]),
                r["determined_by"] or "",
                r["rule_reading"],
            ]
        )
    return out.getvalue()


async def main(period: str) -> int:
    pool = await create_pool(await database_url(Settings.from_env()), min_size=1, max_size=1)
    try:
        rows = await accountability.results(pool, period)
    finally:
        await pool.close()
    if not rows:
        print(f"accountability {period}: no published results", file=sys.stderr)
        return 1
    sys.stdout.write(render(rows))
    return 0


if __name__ == "__main__":
    sys.exit(asyncio.run(main(sys.argv[1])))
