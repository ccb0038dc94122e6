"""The work queues and bulk reassignment: `/desk/queue/mine` (the person's own open cases),
`/desk/queue/team` (every open case of their branches), `POST /desk/bulk/reassign`.

A queue is one ledger statement (`ledger.queue.queue`), sorted by the next deadline, in
buckets: overdue, due today (in the branch's zone), later, no running deadline. The key's
branches bound it (`api.scope.visible`); a filter naming another branch is 403.
"""

from __future__ import annotations

import asyncio
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime, time, timedelta
from typing import Annotated, Any

from fastapi import APIRouter, HTTPException, Query, Request
from fastapi.responses import RedirectResponse, Response
from pydantic import BaseModel, ConfigDict, Field, field_validator

from api import cases, scope
from api.cases import Ledger, Temporal
from api.desk.available import role_may
from api.desk.config import DeskSettings, settings
from api.desk.pages import DeskRoute, render
from api.desk.session import Person, Signed, checked_form
from domain.vocabulary import Channel, Grade, HelpFlag, Stage
from ledger import queue as queue_ledger
from ledger.queue import OPEN_STAGES, QueueFilter

router = APIRouter(route_class=DeskRoute, include_in_schema=False)

FETCHED = 5000  # open cases a queue reads (the counts are over these)
SHOWN = 500  # rows a queue page lists
BULK_MAX = 200  # cases one bulk reassignment may take
BULK_AT_ONCE = 4  # actions in flight at once (each an update the case answers)
BUCKETS = (
    ("overdue", "已超时 Overdue"),
    ("today", "今日到期 Due today"),
    ("later", "之后到期 Later"),
    ("none", "无计时 No running deadline"),
)


@dataclass
class Row:
    r: Any  # the ledger's row
    bucket: str
    left: str  # "overdue 3 h" / "45 min left", in words


def _left(due: datetime, now: datetime) -> str:
    gap = due - now
    minutes = int(abs(gap).total_seconds() // 60)
    amount = (
        f"{minutes} 分钟 min"
        if minutes < 120
        else (f"{minutes // 60} 小时 h" if minutes < 48 * 60 else f"{minutes // 1440} 天 d")
    )
    return f"超时 overdue {amount}" if gap < timedelta(0) else f"剩余 {amount} left"


def bucketed(rows: list[Any], s: DeskSettings, now: datetime) -> list[Row]:
    out = []
    for r in rows:
        due: datetime | None = r["next_due_at"]
        if due is None:
            out.append(Row(r, "none", ""))
            continue
        zone = s.zone_of(r["branch"])
        midnight = datetime.combine(
            now.astimezone(zone).date() + timedelta(days=1), time(0), tzinfo=zone
        )
        bucket = "overdue" if due < now else "today" if due < midnight else "later"
        out.append(Row(r, bucket, _left(due, now)))
    return out


async def _queue(
    request: Request, who: Person, pool: Any, asked: Filters, *, mine: bool
) -> Response:
    identity = who.identity
    if asked.branch:
        scope.ask_for(identity, [asked.branch], "a queue")
    wanted = QueueFilter(
        branches=scope.visible(identity),
        owner=identity.name if mine else None,
        stage=asked.stage and asked.stage.value,
        branch=asked.branch or None,
        grade=asked.grade and asked.grade.value,
        channel=asked.channel and asked.channel.value,
        help_flag=asked.flag and asked.flag.value,
        crisis=True if asked.crisis else None,
    )
    s = settings(request)
    rows = bucketed(await queue_ledger.queue(pool, wanted, FETCHED), s, datetime.now(UTC))
    counts = {b: sum(1 for r in rows if r.bucket == b) for b, _ in BUCKETS}
    shown = rows[:SHOWN]
    return render(
        request,
        "queue.html",
        who,
        mine=mine,
        buckets=BUCKETS,
        counts=counts,
        total=len(rows),
        groups={b: [r for r in shown if r.bucket == b] for b, _ in BUCKETS},
        shown=len(shown),
        asked=asked.model_dump(mode="json"),
        branches=await queue_ledger.branches(pool, scope.visible(identity)),
        stages=[st for st in OPEN_STAGES],
        grades=list(Grade),
        channels=list(Channel),
        flags=list(HelpFlag),
        may_reassign=role_may("reassign", identity.roles),
        path=request.url.path,
    )


class Filters(BaseModel):
    """What a queue page may be narrowed by (its query string)."""

    model_config = ConfigDict(extra="forbid")

    stage: Stage | None = None
    branch: Annotated[str | None, Field(max_length=200)] = None
    grade: Grade | None = None
    channel: Channel | None = None
    flag: HelpFlag | None = None
    crisis: bool = False

    @field_validator("stage", "branch", "grade", "channel", "flag", mode="before")
    @classmethod
    def _all(cls, value: object) -> object:
        return None if value == "" else value  # the form's "全部 All" option sends ""

    @field_validator("stage")
    @classmethod
    def _open(cls, stage: Stage | None) -> Stage | None:
        if stage is not None and stage.value not in OPEN_STAGES:
            raise ValueError(f"a queue holds open cases ({', '.join(OPEN_STAGES)})")
        return stage


Asked = Annotated[Filters, Query()]


@router.get("/desk")
async def home(who: Signed) -> Response:
    return RedirectResponse("/desk/queue/mine", status_code=303)


@router.get("/desk/queue/mine")
async def my_queue(request: Request, who: Signed, pool: Ledger, asked: Asked) -> Response:
    """The signed-in person's own open cases (owner = their name)."""
    return await _queue(request, who, pool, asked, mine=True)


@router.get("/desk/queue/team")
async def team_queue(request: Request, who: Signed, pool: Ledger, asked: Asked) -> Response:
    """Every open case of the person's branches."""
    return await _queue(request, who, pool, asked, mine=False)


@dataclass
class Result:
    complaint_id: str
    ok: bool
    detail: str


@router.post("/desk/bulk/reassign")
async def bulk_reassign(request: Request, who: Signed, client: Temporal, pool: Ledger) -> Response:
    """Leave cover: each selected case reassigned to one person, each under the signed-in
    person's identity (`reassign`, as `POST /v1/complaints/{id}/actions/reassign`), with a
    result per case. A selection naming a case outside their branches does nothing (403)."""
    form = await checked_form(request, who)
    identity = who.identity
    if not role_may("reassign", identity.roles):
        raise HTTPException(403, f"{identity.name} may not reassign cases with the roles held")
    ids = list(dict.fromkeys(str(c) for c in form.getlist("cid")))
    owner = str(form.get("owner") or "").strip()
    note = str(form.get("note") or "").strip() or "leave cover (bulk reassignment)"
    problems = []
    if not ids:
        problems.append("cid: select at least one case")
    if len(ids) > BULK_MAX:
        problems.append(f"cid: at most {BULK_MAX} cases at once")
    if not owner or len(owner) > 200:
        problems.append("owner: the person who takes the cases (1 to 200 characters)")
    if problems:
        raise HTTPException(422, "; ".join(problems))
    outside = await scope.cases_outside(client, pool, identity, ids)
    if outside:
        raise scope.refused(identity, f"complaints {', '.join(outside)}")
    batch = uuid.uuid4().hex[:12]
    gate = asyncio.Semaphore(BULK_AT_ONCE)

    async def one(cid: str) -> Result:
        async with gate:
            try:
                await scope.case_to_change(client, pool, identity, cid)
                await cases.act(
                    client,
                    cid,
                    "reassign",
                    {"owner": owner, "note": note, "request_id": f"bulk-{batch}-{cid}"[:128]},
                    identity,
                    pool=pool,
                )
            except HTTPException as err:
                return Result(cid, False, str(err.detail))
            return Result(cid, True, f"→ {owner}")

    results = await asyncio.gather(*(one(cid) for cid in ids))
    return render(
        request, "bulk.html", who, results=results, owner=owner, accepted=sum(r.ok for r in results)
    )
