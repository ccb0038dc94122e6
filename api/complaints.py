"""Filing, reading and searching complaints: `POST /v1/complaints`, `GET /v1/complaints/{id}`,
`GET /v1/complaints`.

Intake is idempotent on the caller's `external_id` (update-with-start: never two workflows,
even for two identical requests at the same moment); a repeat of a case still in handling is
merged into it (R-IN-6). Reads come from the workflow while it runs and from the ledger after.
"""

from __future__ import annotations

import base64
import hashlib
from datetime import UTC, datetime, timedelta
from typing import Annotated

import structlog
from fastapi import APIRouter, Depends, HTTPException, Query, Request
from fastapi.responses import JSONResponse
from pydantic import ValidationError
from temporalio.client import WorkflowUpdateFailedError
from temporalio.service import RPCError

from api import cases, scope
from api.auth import Identity, require
from api.cases import Ledger, TaskQueue, Temporal
from api.models import (
    ComplaintId,
    ComplaintIn,
    ComplaintView,
    IntakeResult,
    Page,
    Problem,
    aware,
    explain,
    from_row,
    from_state,
)
from domain import intake_rules
from domain.fields import NEW_INPUT, no_nul, received_in_window
from domain.intake import ComplaintIntake, RepeatOf
from domain.vocabulary import Channel, Grade, Role, Stage
from infra.config import Settings
from ledger import intake as intake_ledger
from ledger import policy as policies
from ledger import views
from workflows import contract

log = structlog.get_logger("api")

router = APIRouter(tags=["complaints"])


def complaint_id_for(external_id: str) -> str:
    """Stable, so that the same external id always reaches the same workflow."""
    digest = hashlib.sha256(external_id.encode()).digest()
    return "C" + base64.b32encode(digest).decode()[:15]


@router.post(
    "/v1/complaints",
    response_model=IntakeResult,
    status_code=201,
    operation_id="file_complaint",  # a generated client's name for it
    responses={200: {"model": IntakeResult, "description": "already filed, or merged"}},
)
async def file_complaint(
    body: ComplaintIn,
    identity: Annotated[Identity, Depends(require(Role.SYSTEM, Role.HANDLER))],
    client: Temporal,
    pool: Ledger,
    task_queue: TaskQueue,
    request: Request,
) -> JSONResponse:
    settings = request.app.state.settings
    body = checked_intake(body, settings)
    result = await _file(client, pool, task_queue, body, identity, settings)
    return JSONResponse(result.model_dump(mode="json"), status_code=201 if result.created else 200)


@router.get(
    "/v1/complaints/{complaint_id}",
    response_model=ComplaintView,
    operation_id="get_complaint",
    responses={404: {"model": Problem}},
)
async def get_complaint(
    complaint_id: ComplaintId,
    identity: Annotated[Identity, Depends(require())],
    client: Temporal,
    pool: Ledger,
) -> ComplaintView:
    return await cases.view(client, pool, complaint_id, identity)


@router.get("/v1/complaints", response_model=Page)
async def search(
    identity: Annotated[Identity, Depends(require())],
    pool: Ledger,
    stage: Stage | None = None,
    grade: Grade | None = None,
    channel: Channel | None = None,
    branch: Annotated[str | None, Query(max_length=200)] = None,
    owner: Annotated[str | None, Query(max_length=200)] = None,
    breached: bool | None = None,
    received_from: datetime | None = None,
    received_to: datetime | None = None,
    limit: Annotated[int, Query(ge=1, le=200)] = 50,
    cursor: Annotated[str | None, Query(max_length=200)] = None,
) -> Page:
    """Search the ledger, newest first; `next_cursor` continues where a page ended,
    stable while new complaints arrive. Only the cases of the key's branches."""
    try:
        no_nul([branch, owner, cursor])
    except ValueError as err:
        raise HTTPException(422, str(err)) from None
    if branch is not None:
        scope.ask_for(identity, [branch], "a search")
    query = views.Search(
        equal={
            "stage": stage and stage.value,
            "grade": grade and grade.value,
            "channel": channel and channel.value,
            "branch": branch,
            "owner": owner,
            "sla_breached": breached,
        },
        received_from=received_from and aware(received_from),
        received_to=received_to and aware(received_to),
        after=_decode_cursor(cursor) if cursor is not None else None,
        branches=scope.visible(identity),
    )
    rows = await views.search(pool, query, limit + 1)
    items = [from_row(r, identity) for r in rows[:limit]]
    shown = [i.complaint_id for i in items if i.customer is not None]
    await cases.accessed(pool, identity, "api:GET /v1/complaints", shown)
    more = len(rows) > limit
    last = rows[limit - 1] if more else None
    return Page(
        items=items,
        next_cursor=_encode_cursor(last["received_at"], last["complaint_id"]) if last else None,
    )


def checked_intake(body: ComplaintIn, settings: Settings) -> ComplaintIn:
    """The intake under the input rules (`domain.fields.NEW_INPUT`, docs/input.md) and its
    `received_at` within the intake horizon: 422 naming the field otherwise."""
    try:
        checked = ComplaintIn.model_validate(body.model_dump(exclude_unset=True), context=NEW_INPUT)
        if checked.received_at is not None:
            horizon = timedelta(days=settings.intake_horizon_days)
            received_in_window(checked.received_at, datetime.now(UTC), horizon)
    except ValidationError as err:
        raise HTTPException(422, explain(err.errors())) from None
    except ValueError as err:
        raise HTTPException(422, str(err)) from None
    return checked


async def file_intake(
    client: Temporal,
    pool: Ledger,
    task_queue: str,
    body: ComplaintIn,
    identity: Identity,
    settings: Settings,
) -> IntakeResult:
    """File an intake as `POST /v1/complaints` does (its input rules, scope, repeats): the
    desk's intake form (api/desk/intake.py) files through here."""
    return await _file(client, pool, task_queue, checked_intake(body, settings), identity, settings)


async def _file(
    client: Temporal,
    pool: Ledger,
    task_queue: str,
    body: ComplaintIn,
    identity: Identity,
    settings: Settings,
) -> IntakeResult:
    scope.change(identity, body.branch, "filing a complaint")
    known = await intake_ledger.external_id(pool, body.external_id)
    if known is not None:
        await scope.case_to_change(client, pool, identity, known.complaint_id)
        view = await cases.view(client, pool, known.complaint_id, identity)
        return IntakeResult(
            created=False,
            merged_into=known.complaint_id if known.merged else None,
            complaint=view,
        )
    open_case = await _open_case_for(pool, body)
    if open_case is not None:  # R-IN-6: a repeat of a case still in handling joins it
        await scope.case_to_change(client, pool, identity, open_case)
        await cases.act(
            client,
            open_case,
            "record_repeat",
            {
                "channel": body.channel.value,
                "external_id": body.external_id,
                "new_facts": body.new_facts,
                "request_id": f"repeat:{body.external_id}",
                "note": f"repeat complaint filed by {identity.name}",
            },
            identity,
            pool=pool,
        )
        await intake_ledger.remember_external_id(pool, body.external_id, open_case, merged=True)
        return IntakeResult(
            created=False,
            merged_into=open_case,
            complaint=await cases.view(client, pool, open_case, identity),
        )
    cid = complaint_id_for(body.external_id)
    received_at = aware(body.received_at or datetime.now(UTC))
    try:
        intake = ComplaintIntake(
            complaint_id=cid,
            received_at=received_at,
            repeat_of=await _closed_case_repeated(pool, body, received_at, settings),
            **body.model_dump(exclude={"received_at", "new_facts"}),
        )
    except ValidationError as err:
        raise HTTPException(422, explain(err.errors())) from None
    try:
        registration = await contract.register(
            client,
            intake,
            task_queue=task_queue,
            summary=f"{cid} · {intake.channel.value} · {intake.branch} · {intake.category}",
        )
    except RPCError as err:
        raise cases.rpc_problem(err, cid) from None
    except WorkflowUpdateFailedError as err:
        raise HTTPException(409, f"complaint {cid} could not be registered: {err.cause}") from None
    await intake_ledger.remember_external_id(pool, body.external_id, cid)
    log.info("complaint filed", complaint_id=cid, created=registration.created, by=identity.name)
    return IntakeResult(
        created=registration.created,
        complaint=from_state(registration.state, identity, external_id=body.external_id),
    )


async def _open_case_for(pool: Ledger, body: ComplaintIn) -> str | None:
    """The same customer about the same policy, still in handling: the same case (R-IN-6)."""
    if body.policy_number is None:
        return None
    return await intake_ledger.open_case_for(pool, body.customer.phone, body.policy_number)


async def _closed_case_repeated(
    pool: Ledger, body: ComplaintIn, received_at: datetime, settings: Settings
) -> RepeatOf | None:
    """R-IN-6 (rules 3): whether the complaint repeats a closed case (`intake_rules.repeat_of`)
    under the branch's SLA policy in force (its review window), at the process's clock speed
    as the case's own window runs (the demo's fast clock)."""
    if body.policy_number is None:
        return None
    closed = await intake_ledger.closed_case_for(pool, body.customer.phone, body.policy_number)
    if closed is None:
        return None
    sla = await policies.sla_in_force(pool, body.branch, received_at)
    sla = sla.model_copy(update={"speed": settings.clock_speed})
    return intake_rules.repeat_of(received_at, closed, sla)


def _encode_cursor(at: datetime, cid: str) -> str:
    return base64.urlsafe_b64encode(f"{at.isoformat()}|{cid}".encode()).decode()


def _decode_cursor(cursor: str) -> tuple[datetime, str]:
    try:
        at, cid = base64.urlsafe_b64decode(cursor.encode()).decode().split("|", 1)
        moment = datetime.fromisoformat(at)
    except (ValueError, UnicodeDecodeError):
        moment = None
    if moment is None or moment.tzinfo is None or "\x00" in cid:
        raise HTTPException(422, "cursor is not one this API gave out")
    return moment, cid
