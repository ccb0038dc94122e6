"""The hot-spot watch's activity (R-AN-8): flag the month before, remind overdue owners.

One pass (`workflows/hotspots.py` runs it daily): the counts of the month before `today` and
of its trailing months are judged by the hot-spot policy in force (domain/causes.py); each
flag is kept once in `hot_spots`; then every open hot spot past its due date reminds its
owner through the outbox, once a day (ledger/hotspots.py). Repeating a pass changes nothing.
"""

from __future__ import annotations

from datetime import UTC, date, datetime

import asyncpg
from temporalio import activity

from domain import causes
from domain.fields import Input
from ledger import hotspots


class WatchRequest(Input):
    today: date | None = None  # None: today in Asia/Shanghai when the pass runs


class WatchResult(Input):
    period: str  # the month judged
    flagged: int  # its hot spots
    new: int  # of them, recorded by this pass
    reminded: int  # overdue owners reminded by this pass


def month_before(today: date) -> str:
    index = today.year * 12 + today.month - 2
    return f"{index // 12:04d}-{index % 12 + 1:02d}"


class HotSpotActivities:
    def __init__(self, pool: asyncpg.Pool) -> None:
        self._pool = pool

    @activity.defn(name="watch_hot_spots")
    async def watch(self, request: WatchRequest) -> WatchResult:
        now = datetime.now(UTC)
        today = request.today or now.astimezone(hotspots.ZONE).date()
        period = month_before(today)
        rule = await hotspots.hot_spot_policy(self._pool, now)
        months = await hotspots.month_counts(
            self._pool, hotspots.month_window(period, rule.trailing_months)
        )
        found = causes.flags(months[-1], months[:-1], rule)
        async with self._pool.acquire() as conn, conn.transaction():
            new = await hotspots.record_flags(conn, period, found)
            told = await hotspots.remind_overdue(conn, today)
        return WatchResult(period=period, flagged=len(found), new=new, reminded=len(told))
