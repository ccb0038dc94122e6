"""The dashboard: per branch and stage the open cases, those due today and those overdue; per
branch the breaches this month, the crisis clocks running and the outbox's health. It
refreshes itself every `REFRESH` seconds (`<meta http-equiv=refresh>`)."""

from __future__ import annotations

from datetime import UTC, datetime, time, timedelta

from fastapi import APIRouter, Request
from fastapi.responses import Response

from api import scope
from api.cases import Ledger
from api.desk.config import settings
from api.desk.pages import DeskRoute, render
from api.desk.session import Signed
from api.desk.views import VIEWS
from ledger import queue as queue_ledger
from ledger.queue import OPEN_STAGES

router = APIRouter(route_class=DeskRoute, include_in_schema=False)

REFRESH = 30  # seconds


@router.get("/desk/dashboard")
async def dashboard(request: Request, who: Signed, pool: Ledger) -> Response:
    s = settings(request)
    now = datetime.now(UTC)
    today = now.astimezone(s.zone).date()
    stages, branches = await queue_ledger.dashboard(
        pool,
        scope.visible(who.identity),
        now=now,
        end_of_today=datetime.combine(today + timedelta(days=1), time(0), tzinfo=s.zone),
        month_start=datetime.combine(today.replace(day=1), time(0), tzinfo=s.zone),
    )
    cells = {(r["branch"], r["stage"]): r for r in stages}
    totals = {
        b["branch"]: {
            k: sum(r[k] for r in stages if r["branch"] == b["branch"])
            for k in ("open", "due_today", "overdue")
        }
        for b in branches
    }
    return render(
        request,
        "dashboard.html",
        who,
        branches=branches,
        cells=cells,
        totals=totals,
        stages=OPEN_STAGES,
        now=now,
        refresh=REFRESH,
        views=VIEWS,
    )
