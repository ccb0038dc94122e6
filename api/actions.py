"""Actions on a case: `POST /v1/complaints/{id}/actions/{action}`, each run as a Temporal
update, so the caller learns at once whether the case accepted it."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, HTTPException, Path

from api import cases, scope
from api.auth import Identity, require
from api.cases import ACTING_ROLES, Ledger, Temporal
from api.models import ComplaintId, ComplaintView, Problem
from ledger import evidence

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
    pool: Ledger,
) -> ComplaintView:
    """Run one action of the contract (body: its fields, without `actor` and `role`,
    which come from the API key). 409 with the workflow's reason when refused."""
    await scope.case_to_change(client, pool, identity, complaint_id)
    attachments = payload.get("attachments") if action == "report_crisis" else None
    if isinstance(attachments, list) and attachments:
        # R-IN-9: a crisis report sends the case's own evidence (the workflow cannot look).
        unknown = await evidence.missing(
            pool, [str(a) for a in attachments], owner_kind="case", owner_id=complaint_id
        )
        if unknown:
            raise HTTPException(
                422, f"attachments: not evidence of complaint {complaint_id}: {', '.join(unknown)}"
            )
    return await cases.act(client, complaint_id, action, payload, identity)
