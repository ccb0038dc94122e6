"""The final results of an accountability period as CSV for HR and payroll (R-AC-4):
`python -m reports.accountability 2026-11 > accountability-2026-11.csv`, or
`GET /v1/accountability/2026-11/results` (api/policy.py). Only a published period has results.
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
    "period", "complaint_id", "branch", "person", "responsibility", "reasons", "proposed_min",
    "proposed_max", "penalty_yuan", "published_reprimand", "decided_by", "sheet_sent_at",
    "appeal_by", "appeal_decision",
)  # fmt: skip


def render(rows: Iterable[Any]) -> str:
    """One line per person and item; reasons joined by ' | '; a reprimand as yes/no."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(HEADER)
    for r in rows:
        writer.writerow([
            r["period"], r["complaint_id"], r["branch"] or "", r["person"], r["responsibility"],
            " | ".join(r["reasons"]), r["proposed_min"], r["proposed_max"],
            r["decided_penalty"] if r["decided_penalty"] is not None else "",
            "yes" if r["reprimand"] else "no", r["decided_by"] or "",
            r["sheet_sent_at"].isoformat() if r["sheet_sent_at"] else "",
            r["appeal_by"] or "", r["appeal_decision"] or "",
        ])  # fmt: skip
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
