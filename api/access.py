"""The access log for auditors: `GET /v1/access-log` (ledger.access). Who saw a case's
customer data unmasked, when and through what: the codec server's decodes and the API's reads.
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from fastapi import APIRouter, Depends, HTTPException, Query

from api import scope
from api.auth import Identity, require
from api.cases import Ledger, Temporal
from api.models import aware
from domain.fields import no_nul
from domain.vocabulary import Role
from ledger import access

router = APIRouter(tags=["audit"])


@router.get("/v1/access-log", response_model=list[access.Access])
async def access_log(
    identity: Annotated[Identity, Depends(require(Role.AUDITOR))],
    client: Temporal,
    pool: Ledger,
    complaint_id: Annotated[str | None, Query(pattern=r"^[A-Za-z0-9][A-Za-z0-9_-]{0,63}$")] = None,
    actor: Annotated[str | None, Query(min_length=1, max_length=200)] = None,
    since: datetime | None = None,
    until: datetime | None = None,
    limit: Annotated[int, Query(ge=1, le=1000)] = 200,
) -> list[access.Access]:
    """Newest first; narrowed by case, person and time (auditors). A key limited to branches
    sees the accesses to its branches' cases (another branch's case: 404)."""
    try:
        no_nul(actor)
    except ValueError as err:
        raise HTTPException(422, str(err)) from None
    if complaint_id is not None and identity.branches is not None:
        await scope.case_to_read(client, pool, identity, complaint_id)
    found = await access.entries(
        pool,
        complaint_id=complaint_id,
        actor=actor,
        since=since and aware(since),
        until=until and aware(until),
        limit=limit,
        branches=scope.visible(identity),
    )
    return found
