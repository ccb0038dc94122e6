"""Liveness and readiness: `GET /healthz` (the process answers), `GET /readyz` (Temporal and
the ledger answer too; 503 naming the one that does not)."""

from __future__ import annotations

from fastapi import APIRouter
from fastapi.responses import JSONResponse

from api.cases import Ledger, Temporal
from api.models import Problem
from ledger import views

router = APIRouter(tags=["health"])


@router.get("/healthz")
async def healthz() -> dict[str, str]:
    return {"status": "ok"}


@router.get("/readyz", responses={503: {"model": Problem}})
async def readyz(client: Temporal, pool: Ledger) -> JSONResponse:
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
