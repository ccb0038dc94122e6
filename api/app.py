"""The HTTP API (`/v1`) for the systems that file complaints and act on them.

Intake is idempotent on the caller's `external_id` (update-with-start: never two workflows,
even for two identical requests at the same moment); a repeat of a case still in handling is
merged into it (R-IN-6). Actions run as Temporal updates, so the caller learns at once
whether the case accepted them. Reads come from the workflow while it runs and from the
ledger after. Every 4xx says why.
"""

from __future__ import annotations

import base64
import hashlib
from datetime import UTC, datetime
from typing import Annotated, Any, Literal

import asyncpg
import structlog
from fastapi import APIRouter, Depends, FastAPI, HTTPException, Path, Query, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from pydantic import BaseModel, Field, ValidationError
from temporalio.api.common.v1 import WorkflowExecution
from temporalio.api.workflowservice.v1 import DescribeWorkflowExecutionRequest
from temporalio.client import Client, WorkflowExecutionStatus, WorkflowUpdateFailedError
from temporalio.exceptions import ApplicationError
from temporalio.service import RPCError, RPCStatusCode

from api.auth import Identity, require
from api.reports import router as reports_router
from domain.lifecycle import SUPERVISOR_ONLY
from domain.models import (
    ACTION_MODELS,
    EARLIEST,
    LATEST,
    Channel,
    Clock,
    ComplaintIntake,
    ComplaintState,
    CrisisFacts,
    Customer,
    Grade,
    Model,
    Role,
    Stage,
    TimelineEntry,
    no_nul,
)
from infra.masking import mask_number, mask_recipient
from ledger import intake as intake_ledger
from ledger import views
from workflows import contract

log = structlog.get_logger("api")

MAX_BODY = 64 * 1024  # a complaint is text, not attachments
ANY_ROLE: tuple[Role, ...] = ()
ACTORS = (Role.SYSTEM, Role.HANDLER, Role.SUPERVISOR)
SEES_CUSTOMER_NUMBERS = (Role.HANDLER, Role.SUPERVISOR)


# ---------------------------------------------------------------------------------------------
# Payloads


class ComplaintIn(Model):  # domain Model: unknown fields and NUL characters refused
    """A complaint as another system files it (R-IN-2): everything a ledger row needs."""

    external_id: Annotated[str, Field(min_length=1, max_length=128)]
    channel: Channel
    received_at: datetime | None = Field(None, description="defaults to now; with a time zone")
    branch: Annotated[str, Field(min_length=1, max_length=200)]
    department: Annotated[str, Field(min_length=1, max_length=200)] | None = None
    owner: Annotated[str, Field(min_length=1, max_length=200)]
    supervisor: Annotated[str, Field(min_length=1, max_length=200)] | None = None
    customer: Customer
    policy_number: Annotated[str, Field(max_length=64)] | None = None
    product: Annotated[str, Field(min_length=1, max_length=200)] | None = None
    category: Annotated[str, Field(min_length=1, max_length=200)]
    matter: Annotated[str, Field(min_length=1, max_length=4000)]
    demands: Annotated[str, Field(min_length=1, max_length=4000)]
    grade: Grade = Grade.GENERAL
    crisis: CrisisFacts | None = None


class CustomerView(BaseModel):
    name: str
    phone: str
    id_number: str | None = None
    email: str | None = None


class ComplaintView(BaseModel):
    complaint_id: str
    external_id: str | None = None
    stage: Stage
    grade: Grade
    crisis: bool
    channel: Channel
    branch: str
    department: str | None
    owner: str
    supervisor: str | None
    category: str
    received_at: datetime
    stage_due_at: datetime | None = None
    sla_breached: bool
    reopen_count: int
    repeat_count: int = 0
    outcome: str | None = None
    customer: CustomerView | None = None
    clocks: list[Clock] = []
    source: Literal["workflow", "ledger"]


class NoticeView(BaseModel):
    """One notice on one channel, as the outbox holds it (notices/relay.py delivers it)."""

    key: str
    kind: str
    channel: str
    recipient_role: str
    recipient: str
    subject: str
    status: Literal["pending", "delivered", "skipped", "failed"]
    attempts: int
    created_at: datetime
    delivered_at: datetime | None = None
    last_error: str | None = None
    provider_id: str | None = None


class IntakeResult(BaseModel):
    created: bool
    merged_into: str | None = Field(None, description="R-IN-6: the open case this repeat joined")
    complaint: ComplaintView


class Page(BaseModel):
    items: list[ComplaintView]
    next_cursor: str | None


class Problem(BaseModel):
    detail: str


# ---------------------------------------------------------------------------------------------
# The app


def create_app(
    client: Client,
    pool: asyncpg.Pool,
    *,
    task_queue: str = contract.TASK_QUEUE,
    codec_router: APIRouter | None = None,  # codec server routes (api/codec.py), if given
) -> FastAPI:
    app = FastAPI(
        title="Complaints API",
        version="1",
        description=__doc__,
        responses={401: {"model": Problem}, 403: {"model": Problem}, 422: {"model": Problem}},
    )
    app.state.client = client
    app.state.pool = pool
    app.state.task_queue = task_queue

    @app.middleware("http")
    async def limit_body(request: Request, call_next: Any) -> Any:
        length = request.headers.get("content-length")
        if length is not None and (not length.isdigit() or int(length) > MAX_BODY):
            return JSONResponse({"detail": f"body larger than {MAX_BODY} bytes"}, status_code=413)
        return await call_next(request)

    @app.exception_handler(RequestValidationError)
    async def invalid(request: Request, exc: RequestValidationError) -> JSONResponse:
        return JSONResponse({"detail": _explain(exc.errors())}, status_code=422)

    @app.get("/healthz", tags=["health"])
    async def healthz() -> dict[str, str]:
        return {"status": "ok"}

    @app.get("/readyz", tags=["health"], responses={503: {"model": Problem}})
    async def readyz() -> JSONResponse:
        checks: dict[str, str] = {}
        try:
            await client.service_client.check_health()
            checks["temporal"] = "ok"
        except Exception as err:  # readiness reports, it does not raise
            checks["temporal"] = f"unavailable: {type(err).__name__}"
        try:
            await views.ping(pool)
            checks["postgres"] = "ok"
        except Exception as err:
            checks["postgres"] = f"unavailable: {type(err).__name__}"
        ready = all(v == "ok" for v in checks.values())
        return JSONResponse(checks, status_code=200 if ready else 503)

    @app.post(
        "/v1/complaints",
        response_model=IntakeResult,
        status_code=201,
        tags=["complaints"],
        responses={200: {"model": IntakeResult, "description": "already filed, or merged"}},
    )
    async def file_complaint(
        body: ComplaintIn,
        identity: Annotated[Identity, Depends(require(Role.SYSTEM, Role.HANDLER))],
    ) -> JSONResponse:
        result = await _file(app, body, identity)
        return JSONResponse(
            result.model_dump(mode="json"), status_code=201 if result.created else 200
        )

    @app.get("/v1/complaints/{complaint_id}", response_model=ComplaintView, tags=["complaints"],
             responses={404: {"model": Problem}})  # fmt: skip
    async def get_complaint(
        complaint_id: Annotated[str, Path(pattern=r"^[A-Za-z0-9][A-Za-z0-9_-]{0,63}$")],
        identity: Annotated[Identity, Depends(require(*ANY_ROLE))],
    ) -> ComplaintView:
        return await _view(app, complaint_id, identity)

    @app.get("/v1/complaints/{complaint_id}/timeline", response_model=list[TimelineEntry],
             tags=["complaints"], responses={404: {"model": Problem}})  # fmt: skip
    async def timeline(
        complaint_id: Annotated[str, Path(pattern=r"^[A-Za-z0-9][A-Za-z0-9_-]{0,63}$")],
        identity: Annotated[Identity, Depends(require(*ANY_ROLE))],
    ) -> list[TimelineEntry]:
        state = await _running_state(app, complaint_id)
        if state is not None:
            return state.timeline
        entries = await views.timeline(pool, complaint_id)
        if not entries:
            raise HTTPException(404, f"no complaint {complaint_id}")
        return entries

    @app.get("/v1/complaints/{complaint_id}/notices", response_model=list[NoticeView],
             tags=["complaints"], responses={404: {"model": Problem}})  # fmt: skip
    async def notices(
        complaint_id: Annotated[str, Path(pattern=r"^[A-Za-z0-9][A-Za-z0-9_-]{0,63}$")],
        identity: Annotated[Identity, Depends(require(*ANY_ROLE))],
    ) -> list[NoticeView]:
        """Who was told what, on which channel, and whether it arrived (or why not)."""
        if not await views.known(pool, complaint_id):
            raise HTTPException(404, f"no complaint {complaint_id}")
        found = [NoticeView(**dict(r)) for r in await views.notices(pool, complaint_id)]
        if identity.has(*SEES_CUSTOMER_NUMBERS):
            return found
        return [
            v.model_copy(update={"recipient": mask_recipient(v.recipient)})
            if v.recipient_role == "customer"
            else v
            for v in found
        ]

    @app.get("/v1/complaints", response_model=Page, tags=["complaints"])
    async def search(
        identity: Annotated[Identity, Depends(require(*ANY_ROLE))],
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
        stable while new complaints arrive."""
        try:
            no_nul([branch, owner, cursor])
        except ValueError as err:
            raise HTTPException(422, str(err)) from None
        query = views.Search(
            equal={
                "stage": stage and stage.value, "grade": grade and grade.value,
                "channel": channel and channel.value, "branch": branch, "owner": owner,
                "sla_breached": breached,
            },
            received_from=received_from and _aware(received_from),
            received_to=received_to and _aware(received_to),
            after=_decode_cursor(cursor) if cursor is not None else None,
        )  # fmt: skip
        rows = await views.search(pool, query, limit + 1)
        items = [_from_row(r, identity) for r in rows[:limit]]
        more = len(rows) > limit
        last = rows[limit - 1] if more else None
        return Page(
            items=items,
            next_cursor=_encode_cursor(last["received_at"], last["complaint_id"]) if last else None,
        )

    @app.post(
        "/v1/complaints/{complaint_id}/actions/{action}",
        response_model=ComplaintView,
        tags=["actions"],
        responses={404: {"model": Problem}, 409: {"model": Problem}},
    )
    async def act(
        complaint_id: Annotated[str, Path(pattern=r"^[A-Za-z0-9][A-Za-z0-9_-]{0,63}$")],
        action: Annotated[str, Path(max_length=64)],
        payload: dict[str, Any],
        identity: Annotated[Identity, Depends(require(*ACTORS))],
    ) -> ComplaintView:
        """Run one action of the contract (body: its fields, without `actor` and `role`,
        which come from the API key). 409 with the workflow's reason when refused."""
        return await _act(app, complaint_id, action, payload, identity)

    app.include_router(reports_router)  # monthly statistics and determinations
    if codec_router is not None:  # codec server for the Web UI and CLI (api/codec.py)
        app.include_router(codec_router)
    return app


# ---------------------------------------------------------------------------------------------
# What the routes do


def complaint_id_for(external_id: str) -> str:
    """Stable, so that the same external id always reaches the same workflow."""
    digest = hashlib.sha256(external_id.encode()).digest()
    return "C" + base64.b32encode(digest).decode()[:15]


async def _file(app: FastAPI, body: ComplaintIn, identity: Identity) -> IntakeResult:
    pool: asyncpg.Pool = app.state.pool
    client: Client = app.state.client
    known = await intake_ledger.external_id(pool, body.external_id)
    if known is not None:
        view = await _view(app, known.complaint_id, identity)
        return IntakeResult(
            created=False,
            merged_into=known.complaint_id if known.merged else None,
            complaint=view,
        )
    open_case = await _open_case_for(pool, body)
    if open_case is not None:  # R-IN-6: a repeat of a case still in handling joins it
        await _act(app, open_case, "record_repeat",
                   {"channel": body.channel.value, "external_id": body.external_id,
                    "request_id": f"repeat:{body.external_id}",
                    "note": f"repeat complaint filed by {identity.name}"}, identity)  # fmt: skip
        await intake_ledger.remember_external_id(pool, body.external_id, open_case, merged=True)
        return IntakeResult(
            created=False, merged_into=open_case, complaint=await _view(app, open_case, identity)
        )
    cid = complaint_id_for(body.external_id)
    try:
        intake = ComplaintIntake(
            complaint_id=cid,
            received_at=_aware(body.received_at or datetime.now(UTC)),
            **body.model_dump(exclude={"received_at"}),
        )
    except ValidationError as err:
        raise HTTPException(422, _explain(err.errors())) from None
    try:
        registration = await contract.register(
            client,
            intake,
            task_queue=app.state.task_queue,
            summary=f"{cid} · {intake.channel.value} · {intake.branch} · {intake.category}",
        )
    except RPCError as err:
        raise _rpc_problem(err, cid) from None
    except WorkflowUpdateFailedError as err:
        raise HTTPException(409, f"complaint {cid} could not be registered: {err.cause}") from None
    await intake_ledger.remember_external_id(pool, body.external_id, cid)
    log.info("complaint filed", complaint_id=cid, created=registration.created, by=identity.name)
    return IntakeResult(
        created=registration.created,
        complaint=_from_state(registration.state, identity, external_id=body.external_id),
    )


async def _open_case_for(pool: asyncpg.Pool, body: ComplaintIn) -> str | None:
    """The same customer about the same policy, still in handling: the same case (R-IN-6)."""
    if body.policy_number is None:
        return None
    return await intake_ledger.open_case_for(pool, body.customer.phone, body.policy_number)


async def _act(
    app: FastAPI, cid: str, action: str, payload: dict[str, Any], identity: Identity
) -> ComplaintView:
    model = ACTION_MODELS.get(action)
    if model is None:
        raise HTTPException(404, f"unknown action {action!r}; known: {', '.join(ACTION_MODELS)}")
    if "actor" in payload or "role" in payload:
        raise HTTPException(422, "actor and role come from the API key; leave them out")
    if action in SUPERVISOR_ONLY and not identity.has(Role.SUPERVISOR):
        raise HTTPException(403, f"{action} needs the supervisor role")
    role = next(r for r in (Role.SUPERVISOR, Role.HANDLER, Role.SYSTEM) if identity.has(r))
    try:
        checked = model.model_validate({**payload, "actor": identity.name, "role": role.value})
    except ValidationError as err:
        raise HTTPException(422, _explain(err.errors())) from None
    try:
        state = await contract.act(
            app.state.client, cid, action, checked.model_dump(mode="json", exclude_none=True)
        )
    except WorkflowUpdateFailedError as err:
        cause = err.cause
        if isinstance(cause, ApplicationError) and cause.type == "ActionRefused":
            raise HTTPException(409, cause.message) from None
        raise
    except RPCError as err:
        raise _rpc_problem(err, cid) from None
    return _from_state(state, identity)


async def _running_state(app: FastAPI, cid: str) -> ComplaintState | None:
    """The live state while the workflow runs; None once it has finished (or never existed)."""
    client: Client = app.state.client
    try:
        # The raw call: only the status is needed, not the decoded search attributes.
        description = await client.workflow_service.describe_workflow_execution(
            DescribeWorkflowExecutionRequest(
                namespace=client.namespace,
                execution=WorkflowExecution(workflow_id=contract.workflow_id(cid)),
            )
        )
        status = description.workflow_execution_info.status
        if status != WorkflowExecutionStatus.RUNNING.value:
            return None
        return await contract.state(client, cid)
    except RPCError as err:
        if err.status == RPCStatusCode.NOT_FOUND:
            return None
        raise


async def _view(app: FastAPI, cid: str, identity: Identity) -> ComplaintView:
    state = await _running_state(app, cid)
    if state is not None:
        external = await views.customer(app.state.pool, cid)
        return _from_state(state, identity, row=external)
    row = await views.complaint(app.state.pool, cid)
    if row is None:
        raise HTTPException(404, f"no complaint {cid}")
    return _from_row(row, identity)


def _customer(row: Any, identity: Identity) -> CustomerView | None:
    if row is None:
        return None
    view = CustomerView(
        name=row["customer_name"],
        phone=row["customer_phone"],
        id_number=row["customer_id_number"],
        email=row["customer_email"],
    )
    if identity.has(*SEES_CUSTOMER_NUMBERS):
        return view
    return view.model_copy(
        update={
            "phone": mask_number(view.phone),
            "id_number": view.id_number and mask_number(view.id_number),
        }
    )


def _from_state(
    s: ComplaintState, identity: Identity, *, row: Any = None, external_id: str | None = None
) -> ComplaintView:
    clock = s.clock(f"stage:{s.stage.value}")
    return ComplaintView(
        complaint_id=s.complaint_id,
        external_id=external_id or (row["external_id"] if row is not None else None),
        stage=s.stage, grade=s.grade, crisis=s.crisis, channel=s.channel, branch=s.branch,
        department=s.department, owner=s.owner, supervisor=s.supervisor, category=s.category,
        received_at=s.received_at, stage_due_at=clock.due_at if clock else None,
        sla_breached=s.sla_breached, reopen_count=s.reopen_count, repeat_count=s.repeat_count,
        outcome=s.outcome, customer=_customer(row, identity), clocks=s.clocks, source="workflow",
    )  # fmt: skip


def _from_row(r: Any, identity: Identity) -> ComplaintView:
    return ComplaintView(
        complaint_id=r["complaint_id"], external_id=r["external_id"], stage=r["stage"],
        grade=r["grade"], crisis=r["crisis"], channel=r["channel"], branch=r["branch"],
        department=r["department"], owner=r["owner"], supervisor=r["supervisor"],
        category=r["category"], received_at=r["received_at"], stage_due_at=r["stage_due_at"],
        sla_breached=r["sla_breached"], reopen_count=r["reopen_count"],
        repeat_count=r["repeat_count"], outcome=r["outcome"], customer=_customer(r, identity),
        source="ledger",
    )  # fmt: skip


def _rpc_problem(err: RPCError, cid: str) -> HTTPException:
    if err.status == RPCStatusCode.NOT_FOUND:
        if "completed" in err.message or "finished" in err.message:
            return HTTPException(409, f"complaint {cid} is finished")
        return HTTPException(404, f"no complaint {cid}")
    if err.status == RPCStatusCode.FAILED_PRECONDITION:
        return HTTPException(409, f"complaint {cid} is finished")
    return HTTPException(503, f"Temporal unavailable: {err.message}")


def _aware(value: datetime) -> datetime:
    if value.tzinfo is None:
        raise HTTPException(422, "datetimes need a time zone, e.g. 2026-11-23T10:00:00+08:00")
    if not EARLIEST <= value < LATEST:
        raise HTTPException(422, "datetimes must lie between 2000 and 2100")
    return value


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


def _explain(errors: Any) -> str:
    parts = []
    for e in errors:
        where = ".".join(str(p) for p in e.get("loc", ()) if p != "body") or "body"
        parts.append(f"{where}: {e.get('msg')}")
    return "; ".join(parts) or "invalid request"
