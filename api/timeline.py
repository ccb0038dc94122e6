"""What happened to a case: `GET /v1/complaints/{id}/timeline` (every step: the ledger's,
with the running workflow's newest) and `GET /v1/complaints/{id}/notices` (who was told
what, from the outbox)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, HTTPException

from api import cases, scope
from api.auth import Identity, require
from api.cases import Ledger, Temporal
from api.models import (
    ComplaintId,
    NoticeView,
    Problem,
    TimelineEntryView,
    entry_for,
    notice_for,
    shows_numbers,
)
from ledger import views

router = APIRouter(tags=["complaints"])


@router.get(
    "/v1/complaints/{complaint_id}/timeline",
    response_model=list[TimelineEntryView],
    responses={404: {"model": Problem}},
)
async def timeline(
    complaint_id: ComplaintId,
    identity: Annotated[Identity, Depends(require())],
    client: Temporal,
    pool: Ledger,
) -> list[TimelineEntryView]:
    await scope.case_to_read(client, pool, identity, complaint_id)
    # The ledger holds every entry; a running workflow holds the newest (some maybe not yet
    # recorded) and, after it continued as new, only those: its entries win for their seqs.
    state = await cases.running_state(client, complaint_id)
    entries = {e.seq: e for e in await views.timeline(pool, complaint_id)}
    if state is not None:
        entries.update((e.seq, e) for e in state.timeline)
    if not entries:
        raise HTTPException(404, f"no complaint {complaint_id}")
    shown = [entry_for(entries[seq], identity) for seq in sorted(entries)]
    if any(shows_numbers(e.detail) for e in shown):  # customer numbers, unmasked
        await cases.accessed(pool, identity, "api:GET /v1/complaints/{id}/timeline", [complaint_id])
    return shown


@router.get(
    "/v1/complaints/{complaint_id}/notices",
    response_model=list[NoticeView],
    responses={404: {"model": Problem}},
)
async def notices(
    complaint_id: ComplaintId,
    identity: Annotated[Identity, Depends(require())],
    client: Temporal,
    pool: Ledger,
) -> list[NoticeView]:
    """Who was told what, on which channel, and whether it arrived (or why not)."""
    await scope.case_to_read(client, pool, identity, complaint_id)
    if not await views.known(pool, complaint_id):
        raise HTTPException(404, f"no complaint {complaint_id}")
    shown = [
        notice_for(NoticeView(**dict(r)), identity) for r in await views.notices(pool, complaint_id)
    ]
    if any(n.recipient_role == "customer" or shows_numbers(n.subject) for n in shown):
        await cases.accessed(pool, identity, "api:GET /v1/complaints/{id}/notices", [complaint_id])
    return shown
