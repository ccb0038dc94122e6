"""The HTTP API (`/v1`) for the systems that file complaints and act on them.

Intake is idempotent on the caller's `external_id` (update-with-start: never two workflows,
even for two identical requests at the same moment); a repeat of a case still in handling is
merged into it (R-IN-6). Actions run as Temporal updates, so the caller learns at once
whether the case accepted them. Reads come from the workflow while it runs and from the
ledger after. Every 4xx says why; while the ledger cannot be reached, every route that needs
it (the API key's lookup included) answers 503 with `Retry-After`, never 500.
"""

from __future__ import annotations

import asyncpg
import structlog
from fastapi import APIRouter, FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from temporalio.client import Client

from api import (
    access,
    actions,
    calendar,
    complaints,
    contacts,
    crisis,
    desk,
    evidence,
    health,
    hotspots,
    letters,
    status,
    timeline,
)
from api.limits import BodyLimit
from api.metrics import RequestMetrics
from api.metrics import router as metrics_router
from api.models import Problem, explain
from api.policy import router as policy_router
from api.reports import router as reports_router
from api.templates import router as templates_router
from infra.codec import EncryptionCodec, KeyRing
from infra.config import Settings
from workflows import contract

MAX_BODY = 64 * 1024  # a complaint is text, not attachments
RETRY_AFTER = "5"  # seconds: a restarting or failing-over PostgreSQL is back in about that

# The ledger cannot be reached: the server is down or restarting, refuses more connections, a
# pooled connection was cut, the pool is closed, or the connection timed out (TimeoutError and
# a missing socket file are OSErrors). The caller may retry: 503, not 500.
LEDGER_UNAVAILABLE: tuple[type[Exception], ...] = (
    asyncpg.PostgresConnectionError,
    asyncpg.exceptions.OperatorInterventionError,  # shutting down, starting up
    asyncpg.TooManyConnectionsError,
    asyncpg.exceptions.InterfaceError,  # e.g. "pool is closing", "connection is closed"
    OSError,
)

log = structlog.get_logger("api")


def create_app(
    client: Client,
    pool: asyncpg.Pool,
    *,
    task_queue: str = contract.TASK_QUEUE,
    codec_router: APIRouter | None = None,  # codec server routes (api/codec.py), if given
    key_ring: KeyRing | None = None,  # evidence at rest (R-IN-9); default: the client's codec's
    settings: Settings | None = None,  # evidence limits; default: from the environment
) -> FastAPI:
    """The API around a Temporal client and a ledger pool (`api.cases` hands them to routes)."""
    app = FastAPI(
        title="Complaints API",
        version="1",
        description=__doc__,
        responses={
            401: {"model": Problem},
            403: {"model": Problem},
            422: {"model": Problem},
            503: {"model": Problem, "description": "the ledger cannot be reached"},
        },
    )
    app.state.client = client
    app.state.pool = pool
    app.state.task_queue = task_queue
    codec = client.data_converter.payload_codec
    app.state.key_ring = key_ring or (codec.ring if isinstance(codec, EncryptionCodec) else None)
    app.state.settings = settings = settings or Settings.from_env()

    # Bodies limited as they arrive (api/limits.py); R-IN-9: evidence uploads have their own.
    upload = ("POST", "/v1/complaints/{complaint_id}/evidence")
    app.add_middleware(
        BodyLimit,
        default=MAX_BODY,
        per_route={upload: settings.evidence_max_bytes},
        describe={upload: "R-IN-9: evidence may be at most"},
    )

    @app.exception_handler(RequestValidationError)
    async def invalid(request: Request, exc: RequestValidationError) -> JSONResponse:
        return _problem(422, explain(exc.errors()))

    async def ledger_unavailable(request: Request, exc: Exception) -> JSONResponse:
        log.warning("ledger unavailable", path=request.url.path, error=type(exc).__name__)
        answer = _problem(503, "the ledger (PostgreSQL) cannot be reached now; retry shortly")
        answer.headers["Retry-After"] = RETRY_AFTER
        return answer

    for unavailable in LEDGER_UNAVAILABLE:
        app.add_exception_handler(unavailable, ledger_unavailable)

    app.add_middleware(RequestMetrics)  # outermost: counts every answer, 413 and 422 too
    app.include_router(health.router)
    app.include_router(metrics_router)  # /metrics, without an API key (api/metrics.py)
    app.include_router(complaints.router)  # file, read, search
    app.include_router(timeline.router)  # a case's timeline and notices
    app.include_router(actions.router)
    app.include_router(evidence.router)  # R-IN-9: attachments of a case or an appeal
    app.include_router(access.router)  # who saw customer data (auditors)
    app.include_router(reports_router)  # monthly statistics and determinations
    app.include_router(policy_router)  # policy as data, closures, accountability results
    app.include_router(calendar.router)  # R-SLA-11: the national calendar as data
    app.include_router(templates_router)  # the words of customer notices (R-CU-1)
    app.include_router(desk.router)  # the complaint desk's pages (api/desk/, docs/desk.md)
    app.include_router(status.router)  # R-CU-2: the customer's status page, its link's revocation
    app.include_router(letters.router)  # R-CU-1: the decision notice as a printable letter
    app.include_router(contacts.router)  # R-CR-9: the contacts directory
    app.include_router(hotspots.router)  # R-AN-8: causes and hot spots
    app.include_router(crisis.router)  # R-CR-11: a peer's crisis warns the crisis group
    if codec_router is not None:  # codec server for the Web UI and CLI (api/codec.py)
        app.include_router(codec_router)
    return app


def _problem(status: int, detail: str) -> JSONResponse:
    return JSONResponse(Problem(detail=detail).model_dump(), status_code=status)
