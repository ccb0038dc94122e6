"""Ready-made Temporal Web UI views as links: `/desk/views/{view}` answers 303 to the Web UI's
workflow list with its visibility query filled in, the dates computed when the link is opened
(today's bounds in the branch's zone), so no saved query carries a fixed date and no view lives
in one browser's local storage (docs/web-ui-and-cli.md).

The Web UI takes a list's query from its address, `/namespaces/{ns}/workflows?query=...`, and
sends it to the server as it is. Each view is bounded by the person's branches (`ComplaintBranch
IN (...)`, which every case carries; `ComplaintBranchCode` only cases from rules 5);
`?branch=` narrows it to one of them. The list the link opens is right; editing a branch chip
in the UI is not (the UI rewrites a value with a space cut at the space: docs).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, time, timedelta
from typing import Annotated
from urllib.parse import quote
from zoneinfo import ZoneInfo

from fastapi import APIRouter, HTTPException, Path, Query, Request
from fastapi.responses import RedirectResponse, Response

from api import scope
from api.cases import Temporal
from api.desk.config import settings
from api.desk.pages import DeskRoute
from api.desk.session import Signed

router = APIRouter(route_class=DeskRoute, include_in_schema=False)

RUNNING = 'ExecutionStatus = "Running"'


@dataclass(frozen=True)
class Bounds:
    """The instants a view's dates come from, in the branch's zone."""

    now: datetime
    today: datetime  # 00:00 today
    tomorrow: datetime  # 00:00 tomorrow
    day_after: datetime  # 00:00 the day after tomorrow
    week: datetime  # 00:00 on this week's Monday

    @classmethod
    def at(cls, now: datetime, zone: ZoneInfo) -> Bounds:
        local = now.astimezone(zone)
        day = local.date()

        def midnight(days: int) -> datetime:
            return datetime.combine(day + timedelta(days=days), time(0), tzinfo=zone)

        return cls(
            now=local.replace(microsecond=0),
            today=midnight(0),
            tomorrow=midnight(1),
            day_after=midnight(2),
            week=midnight(-day.weekday()),
        )


def instant(moment: datetime) -> str:
    """A datetime literal of a visibility query: `"2026-12-08T00:00:00+08:00"`."""
    return f'"{moment.isoformat(timespec="seconds")}"'


def literal(text: str) -> str:
    """A string literal of a visibility query."""
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'


@dataclass(frozen=True)
class View:
    title: str  # 中文 English
    clauses: Callable[[Bounds], list[str]]


VIEWS: dict[str, View] = {
    "due-today": View(
        "今日到期 Due today (from now to midnight)",
        lambda b: [
            RUNNING,
            f"StageDueAt >= {instant(b.now)}",
            f"StageDueAt < {instant(b.tomorrow)}",
        ],
    ),
    "overdue": View(
        "已超时 Overdue (stage deadline passed)",
        lambda b: [RUNNING, f"StageDueAt < {instant(b.now)}"],
    ),
    "due-tomorrow": View(
        "明日到期 Due tomorrow",
        lambda b: [
            RUNNING,
            f"StageDueAt >= {instant(b.tomorrow)}",
            f"StageDueAt < {instant(b.day_after)}",
        ],
    ),
    "breached-major": View(
        "重大超时 Major complaints overdue",
        lambda b: [RUNNING, "SlaBreached = true", 'ComplaintGrade = "major"'],
    ),
    "crisis-open": View("危机在办 Crisis events open", lambda b: [RUNNING, "Crisis = true"]),
    "crisis-this-week": View(
        "本周危机 Crisis events since Monday",
        lambda b: ["Crisis = true", f"StartTime >= {instant(b.week)}"],
    ),
    "my-branch": View(
        "本机构在办 Open complaints of my branches",
        lambda b: [RUNNING, 'WorkflowType = "ComplaintWorkflow"'],
    ),
}

ViewName = Annotated[str, Path(max_length=64)]
OneBranch = Annotated[str | None, Query(min_length=1, max_length=200)]


def query(view: View, bounds: Bounds, branches: list[str] | None) -> str:
    """The view's visibility query; `branches`: bound to these (None: every branch)."""
    clauses = view.clauses(bounds)
    if branches is not None:
        clauses.append(f"ComplaintBranch IN ({', '.join(literal(b) for b in branches)})")
    return " AND ".join(clauses)


def list_url(ui: str, namespace: str, visibility_query: str) -> str:
    """The Web UI's workflow list filtered on `visibility_query`."""
    return (
        f"{ui}/namespaces/{quote(namespace, safe='')}/workflows"
        f"?query={quote(visibility_query, safe='')}"
    )


@router.get("/desk/views/{view}")
async def open_view(
    view: ViewName, request: Request, who: Signed, client: Temporal, branch: OneBranch = None
) -> Response:
    found = VIEWS.get(view)
    if found is None:
        raise HTTPException(404, f"unknown view {view!r}; known: {', '.join(VIEWS)}")
    identity = who.identity
    if branch is not None:
        scope.ask_for(identity, [branch], "a view")
    branches = [branch] if branch is not None else scope.visible(identity)
    s = settings(request)
    bounds = Bounds.at(datetime.now(s.zone), s.zone_of(branch))
    url = list_url(s.temporal_ui_url, client.namespace, query(found, bounds, branches))
    return RedirectResponse(url, status_code=303)
