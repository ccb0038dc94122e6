"""Actions on a case: `POST /v1/complaints/{id}/actions/{action}`, each run as a Temporal
update, so the caller learns at once whether the case accepted it."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Path

from api import cases
from api.auth import Identity, require
from api.cases import ACTING_ROLES, Temporal
from api.models import ComplaintId, ComplaintView, Problem

router = APIRouter(tags=["actions"])


@router.post(
    "/v1/complaints/{complaint_id}/actions/{action}",
    response_model=ComplaintView,
    responses={404: {"model": Problem}, 409: {"model": Problem}},
)
async def act(
    complaint_id: ComplaintId,
    action: Annotated[str, Path(max_length=64)],
    payload: dict[str, Any],
    identity: Annotated[Identity, Depends(require(*ACTING_ROLES))],
    client: Temporal,
) -> ComplaintView:
    """Run one action of the contract (body: its fields, without `actor` and `role`,
    which come from the API key). 409 with the workflow's reason when refused."""
    return await cases.act(client, complaint_id, action, payload, identity)
