"""The customer's status page (R-CU-2), and the staff's routes to revoke or re-issue its link.

`GET /status/{token}` is the page a customer opens from the link in their acknowledgement, on a
phone, without any account: the stage in plain Chinese, the dates they were promised, the
notices the case sent them, how to reach the handler's team, their name masked (`张*`) and
nothing else personal. The same view as JSON serves the insurer's own app (`Accept:
application/json`, or `GET /status/{token}.json`). Everything comes from the ledger
(`ledger.status_links.facts`), not from Temporal.

An unknown, revoked or expired token gets the same 404, byte for byte, after the same one
indexed lookup by the token's hash (`ledger.status_links.find`). Each client (by IP address) may
ask `status_burst` times at once and `status_rate_per_minute` times a minute after that
(a token bucket in this process); past that 429 with `Retry-After`. Every answer carries
`Cache-Control: no-store`, `Referrer-Policy: no-referrer`, `X-Robots-Tag: noindex` and a
Content-Security-Policy that allows nothing but the page's own inline style (by its hash).

Staff (a handler, a supervisor or a senior manager of the case's branch: `api.scope`) revoke
the link (`POST /v1/complaints/{id}/status-link/revoke`) or re-issue it
(`POST /v1/complaints/{id}/status-link`: the old link stops working, the customer gets a new one
by SMS). Design and settings: docs/status-page.md.
"""

from __future__ import annotations

import base64
import hashlib
import math
import time
from collections import OrderedDict
from datetime import UTC, date, datetime
from pathlib import Path as FilePath
from typing import Annotated, Literal
from zoneinfo import ZoneInfo

from fastapi import APIRouter, Depends, HTTPException, Path, Request, Response
from fastapi.responses import HTMLResponse, JSONResponse
from jinja2 import Environment, FileSystemLoader, select_autoescape
from pydantic import BaseModel

from api import scope
from api.auth import Identity, require
from api.cases import Ledger, Temporal
from api.models import ComplaintId, Problem
from domain.notice_models import NoticeKind, Notification
from domain.notices import last_day
from domain.vocabulary import Role
from infra.config import Settings
from infra.masking import mask_name
from ledger import outbox, status_links
from ledger.status_links import REVIEW_WINDOW, StatusFacts

router = APIRouter()

# ---------------------------------------------------------------------------------------------
# The stages in the customer's words

# The steps a customer sees, in order: 受理 is the intake, then one per handling stage.
STEPS: tuple[tuple[str, str], ...] = (
    ("received", "受理"),
    ("contact", "联系您"),
    ("investigate", "调查处理"),
    ("approve", "审批"),
    ("close", "结案"),
    ("callback", "回访"),
    ("closed", "已结束"),
)
STAGE_WORDS = dict(STEPS) | {"withdrawn": "已撤回"}
SUMMARY = {
    "contact": "您的投诉已受理，处理人员将尽快与您联系，了解具体情况。",
    "investigate": "我们正在调查核实您反映的问题。",
    "approve": "处理方案已经提出，正在审批。",
    "close": "处理方案已经确定，我们正在将处理结果告知您。",
    "callback": "处理结果已告知您，我们将回访，了解您对处理结果是否满意。",
    "closed": "您的投诉已处理完毕。",
    "withdrawn": "您已撤回投诉，处理已结束。",
}
# A notice's kind in words, when its subject has no Chinese of its own.
NOTICE_WORDS = {
    NoticeKind.ACKNOWLEDGEMENT.value: "投诉已受理",
    NoticeKind.CUSTOMER_NOTICE.value: "处理进展通知",
}


class Step(BaseModel):
    stage: str
    words: str
    state: Literal["done", "current", "upcoming"]


class Event(BaseModel):
    on: date
    what: str


class Team(BaseModel):
    name: str
    contact: str | None


class StatusView(BaseModel):
    """What the customer may see of their case (the page, and its JSON form)."""

    complaint_id: str
    customer: str  # masked: 张*
    stage: str
    stage_words: str
    summary: str
    steps: list[Step]
    received_on: date
    decision_by: date | None  # the last day the decision is due to reach them (R-IN-4)
    decision_told_on: date | None
    review_until: date | None  # R-IN-7: the last day to ask for a review
    answer_by: date | None = None  # R-CU-3: the last day to say whether they accept the resolution
    events: list[Event]
    team: Team
    time_zone: str


def chinese_words(text: str) -> str | None:
    """The Chinese part of a bilingual subject (`投诉已受理 / complaint accepted`); None if none."""
    for part in text.split(" / "):
        if any("\u4e00" <= ch <= "\u9fff" for ch in part):
            return part.strip()
    return None


def steps_of(stage: str) -> list[Step]:
    """The steps with the case's stage current; a withdrawn case: received, then withdrawn."""
    if stage == "withdrawn":
        return [
            Step(stage="received", words="受理", state="done"),
            Step(stage="withdrawn", words=STAGE_WORDS["withdrawn"], state="current"),
        ]
    order = [s for s, _ in STEPS]
    at = order.index(stage) if stage in order else 0
    return [
        Step(stage=s, words=w, state="done" if i < at else "current" if i == at else "upcoming")
        for i, (s, w) in enumerate(STEPS)
    ]


# The Chinese subject of the decision notice (domain.notices.decision).
DECISION_TOLD = "投诉处理结果"


def view_of(facts: StatusFacts, zone: ZoneInfo, contact: str) -> StatusView:
    """The customer's view of the case, dates in `zone`."""

    def day(moment: datetime) -> date:
        return moment.astimezone(zone).date()

    stage = facts.stage
    steps = steps_of(stage)
    happened = [(facts.received_at, "收到您的投诉")]
    happened += [
        (n.at, chinese_words(n.subject) or NOTICE_WORDS.get(n.kind, "通知")) for n in facts.notices
    ]
    decided = facts.decided_at if stage in ("callback", "closed") else None
    # A case of rules 5 sends the decision itself (R-CU-1): it is among the notices already.
    told = any(what == DECISION_TOLD for _, what in happened)
    if decided is not None and not told:
        happened.append((decided, "处理结果已告知您"))
    if facts.closed_at is not None and stage in ("closed", "withdrawn"):
        happened.append((facts.closed_at, "投诉已撤回" if stage == "withdrawn" else "投诉处理完毕"))
    events = [Event(on=day(at), what=what) for at, what in sorted(happened, key=lambda e: e[0])]
    due = facts.decision_due_at
    review_until = last_day((decided + REVIEW_WINDOW).astimezone(zone)) if decided else None
    summary = SUMMARY.get(stage, "")
    answer_by = None
    if facts.answer_due_at is not None and stage == "close":
        answer_by = last_day(facts.answer_due_at.astimezone(zone))
        summary = (
            "处理方案已经提出并告知您，请在"
            f"{chinese_date(answer_by)}前告诉我们您是否接受；逾期未答复的，我们将按该方案办理。"
        )
    if review_until is not None and stage == "closed":  # R-IN-7, told as R-CU-1 tells it
        summary += f"如对处理结果有异议，可在{chinese_date(review_until)}前申请核查。"
    return StatusView(
        complaint_id=facts.complaint_id,
        customer=mask_name(facts.customer_name),
        stage=stage,
        stage_words=STAGE_WORDS.get(stage, stage),
        summary=summary,
        steps=steps,
        received_on=day(facts.received_at),
        decision_by=last_day(due.astimezone(zone)) if due and stage != "withdrawn" else None,
        decision_told_on=day(facts.decision_told_at)
        if facts.decision_told_at and decided
        else None,
        review_until=review_until,
        answer_by=answer_by,
        events=events,
        team=Team(name=f"{facts.branch} 投诉处理团队", contact=contact or None),
        time_zone=zone.key,
    )


def chinese_date(day: date) -> str:
    return f"{day.year}年{day.month}月{day.day}日"


# ---------------------------------------------------------------------------------------------
# Rendering and headers

TEMPLATES = FilePath(__file__).resolve().parent / "status_templates"
_JINJA = Environment(
    loader=FileSystemLoader(TEMPLATES), autoescape=select_autoescape(["html"]), auto_reload=False
)
CSS = (TEMPLATES / "status.css").read_text()
_CSS_HASH = base64.b64encode(hashlib.sha256(CSS.encode()).digest()).decode()
CSP = (
    f"default-src 'none'; style-src 'sha256-{_CSS_HASH}'; base-uri 'none'; "
    "form-action 'none'; frame-ancestors 'none'"
)
HEADERS = {
    "Cache-Control": "no-store",
    "Referrer-Policy": "no-referrer",
    "Content-Security-Policy": CSP,
    "X-Robots-Tag": "noindex, nofollow",
    "X-Content-Type-Options": "nosniff",
}
NOT_FOUND_HTML = _JINJA.get_template("not_found.html").render(css=CSS)
TOO_MANY_HTML = _JINJA.get_template("too_many.html").render(css=CSS)
NOT_FOUND_JSON = {"detail": "not found"}
ZONE_WORDS = {"Asia/Shanghai": "北京时间"}


def render_page(view: StatusView) -> str:
    dates = [("受理日期", chinese_date(view.received_on))]
    if view.decision_told_on is not None:
        dates.append(("处理结果告知日期", chinese_date(view.decision_told_on)))
    elif view.decision_by is not None:
        dates.append(("处理结果最迟告知日期", chinese_date(view.decision_by)))
    if view.answer_by is not None:
        dates.append(("答复处理方案截止日期", chinese_date(view.answer_by)))
    if view.review_until is not None:
        dates.append(("申请核查截止日期", chinese_date(view.review_until)))
    events = [(e.on.isoformat(), chinese_date(e.on), e.what) for e in view.events]
    zone_words = ZONE_WORDS.get(view.time_zone, view.time_zone)
    return _JINJA.get_template("page.html").render(
        css=CSS, view=view, dates=dates, events=events, zone_words=zone_words
    )


# ---------------------------------------------------------------------------------------------
# Rate limit


class ClientBuckets:
    """A token bucket per client: `burst` requests at once, refilled at `per_second`; the
    least recently seen clients are forgotten past `clients` (a full bucket again)."""

    def __init__(self, burst: int, per_second: float, clients: int = 10_000) -> None:
        self._burst = float(burst)
        self._rate = per_second
        self._clients = clients
        self._buckets: OrderedDict[str, tuple[float, float]] = OrderedDict()

    def take(self, client: str, now: float | None = None) -> float:
        """0 if `client` may ask now (one token taken), else the seconds until it may."""
        now = time.monotonic() if now is None else now
        tokens, then = self._buckets.pop(client, (self._burst, now))
        tokens = min(self._burst, tokens + (now - then) * self._rate)
        wait = 0.0 if tokens >= 1 else (1 - tokens) / self._rate
        self._buckets[client] = (tokens - 1 if wait == 0 else tokens, now)
        while len(self._buckets) > self._clients:
            self._buckets.popitem(last=False)
        return wait


def _buckets(request: Request) -> ClientBuckets:
    state = request.app.state
    buckets: ClientBuckets | None = getattr(state, "status_buckets", None)
    if buckets is None:
        settings: Settings = state.settings
        buckets = ClientBuckets(settings.status_burst, settings.status_rate_per_minute / 60)
        state.status_buckets = buckets
    return buckets


def limited(request: Request) -> Response | None:
    """429 with Retry-After once the client has asked too often; None while it may ask."""
    client = request.client.host if request.client else "unknown"
    wait = _buckets(request).take(client)
    if wait <= 0:
        return None
    body = {"detail": "too many requests; retry later"} if _wants_json(request) else TOO_MANY_HTML
    return _answer(429, body, {"Retry-After": str(max(1, math.ceil(wait)))})


def _wants_json(request: Request) -> bool:
    if request.url.path.endswith(".json"):
        return True
    accept = request.headers.get("accept", "")
    return "application/json" in accept and "text/html" not in accept


def _answer(status: int, body: object, headers: dict[str, str] | None = None) -> Response:
    every = HEADERS | (headers or {})
    if isinstance(body, str):
        return HTMLResponse(body, status_code=status, headers=every)
    return JSONResponse(body, status_code=status, headers=every)


def _zone(settings: Settings) -> ZoneInfo:
    return ZoneInfo(settings.time_zone)


async def _page(request: Request, token: str, pool: Ledger, as_json: bool) -> Response:
    refused = limited(request)
    if refused is not None:
        return refused
    complaint_id = await status_links.find(pool, token, datetime.now(UTC))
    facts = None if complaint_id is None else await status_links.facts(pool, complaint_id)
    if facts is None:
        return _answer(404, NOT_FOUND_JSON if as_json else NOT_FOUND_HTML)
    settings: Settings = request.app.state.settings
    view = view_of(facts, _zone(settings), settings.status_contact)
    if as_json:
        return _answer(200, view.model_dump(mode="json"))
    return _answer(200, render_page(view))


# Any text up to this length is looked up (and is not found unless it is a live token); a longer
# one is no link at all: 422.
Token = Annotated[str, Path(min_length=1, max_length=256)]
_EITHER = {"text/html": {"schema": {"type": "string"}}, "application/json": {}}
_PAGE_RESPONSES: dict[int | str, dict[str, object]] = {
    200: {"content": {"text/html": {"schema": {"type": "string"}}}},
    404: {
        "description": "an unknown, revoked or expired link: always the same answer",
        "content": _EITHER,
    },
    429: {"description": "too many requests from this client; see Retry-After", "content": _EITHER},
}


# The JSON route first: `/status/{token}` would take `<token>.json` as its token.
@router.get(
    "/status/{token}.json",
    tags=["status page"],
    response_model=StatusView,
    responses=_PAGE_RESPONSES,
    summary="The customer's status page as JSON (for the insurer's app)",
)
async def status_json(token: Token, request: Request, pool: Ledger) -> Response:
    return await _page(request, token, pool, as_json=True)


@router.get(
    "/status/{token}",
    tags=["status page"],
    response_model=StatusView,
    responses=_PAGE_RESPONSES,
    summary="The customer's status page (JSON with Accept: application/json)",
)
async def status_page(token: Token, request: Request, pool: Ledger) -> Response:
    return await _page(request, token, pool, as_json=_wants_json(request))


# ---------------------------------------------------------------------------------------------
# Staff: revoke, re-issue

LINK_STAFF = (Role.HANDLER, Role.SUPERVISOR, Role.SENIOR_MANAGER)
REISSUED_SUBJECT = "查询链接已更新"


class StatusLinkState(BaseModel):
    """A case's status link after a staff member's change (never the token)."""

    complaint_id: str
    live: bool  # a link of the case opens its page (within the review window)
    generation: int | None  # the live link's generation (0: the acknowledgement's)
    revoked: int  # links this request revoked
    sent_to_customer: bool  # a notice with the new link is queued to the customer


def _not_configured() -> HTTPException:
    return HTTPException(
        409,
        "status links are not configured on this server (COMPLAINTS_STATUS_URL and "
        "COMPLAINTS_STATUS_SECRET, docs/status-page.md)",
    )


@router.post(
    "/v1/complaints/{complaint_id}/status-link/revoke",
    tags=["complaints"],
    response_model=StatusLinkState,
    responses={404: {"model": Problem}},
)
async def revoke_link(
    complaint_id: ComplaintId,
    identity: Annotated[Identity, Depends(require(*LINK_STAFF))],
    client: Temporal,
    pool: Ledger,
) -> StatusLinkState:
    """R-CU-2: the case's status link stops working at once (the page answers as for an unknown
    link). The customer is not told; re-issue to send them a new one."""
    await scope.case_to_change(client, pool, identity, complaint_id)
    async with pool.acquire() as conn:
        revoked = await status_links.revoke(conn, complaint_id, identity.name)
    return StatusLinkState(
        complaint_id=complaint_id,
        live=False,
        generation=None,
        revoked=revoked,
        sent_to_customer=False,
    )


@router.post(
    "/v1/complaints/{complaint_id}/status-link",
    tags=["complaints"],
    response_model=StatusLinkState,
    responses={404: {"model": Problem}, 409: {"model": Problem}},
)
async def reissue_link(
    complaint_id: ComplaintId,
    request: Request,
    identity: Annotated[Identity, Depends(require(*LINK_STAFF))],
    client: Temporal,
    pool: Ledger,
) -> StatusLinkState:
    """R-CU-2: revoke the case's status link and send the customer a new one by SMS (the new
    link is added when the notice is sent; this answer never holds it)."""
    await scope.case_to_change(client, pool, identity, complaint_id)
    settings: Settings = request.app.state.settings
    if settings.status_secret is None or settings.status_url is None:
        raise _not_configured()
    row = await pool.fetchrow(
        "SELECT customer_phone, stage, decided_at, closed_at FROM complaints"
        " WHERE complaint_id = $1",
        complaint_id,
    )
    if row is None:  # filed a moment ago: the workflow has not recorded it yet
        raise HTTPException(409, f"complaint {complaint_id} is not in the ledger yet; retry")
    ended = {
        "callback": row["decided_at"],
        "closed": row["decided_at"],
        "withdrawn": row["closed_at"],
    }.get(row["stage"])
    if ended is not None and ended + REVIEW_WINDOW <= datetime.now(UTC):
        until = (ended + REVIEW_WINDOW).astimezone(_zone(settings))
        raise HTTPException(
            409,
            f"R-IN-7: the review window of complaint {complaint_id} ended on "
            f"{until:%Y-%m-%d}; a new link would not open",
        )
    async with pool.acquire() as conn, conn.transaction():
        generation, revoked = await status_links.reissue(
            conn, settings.status_secret, complaint_id, identity.name
        )
        notice = Notification(
            key=status_links.reissue_key(complaint_id, generation),
            complaint_id=complaint_id,
            kind=NoticeKind.CUSTOMER_NOTICE,
            recipient_role="customer",
            recipient=row["customer_phone"],
            channels=["sms"],
            subject=REISSUED_SUBJECT,
            body=f"您的投诉（编号{complaint_id}）的进度查询链接已更新，此前的链接已失效。",
        )
        await outbox.enqueue(conn, [notice])
    return StatusLinkState(
        complaint_id=complaint_id,
        live=True,
        generation=generation,
        revoked=revoked,
        sent_to_customer=True,
    )
