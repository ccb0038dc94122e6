"""The crisis group's early warnings that are no one case's (R-CR-11; ledger/peer_warnings.py).

- `POST /v1/crisis/peer-warnings` (supervisor, senior_manager, with a key for every branch:
  the crisis group watches the whole market): a peer's crisis event (S1 领导小组: 特别关注同业的
  危机事件和相关报道), recorded with who recorded it, and an early warning sent at once to the
  head office's designated contacts of the contacts directory (R-CR-9). 409 when the directory
  has no head office yet; a key limited to branches: 403.

A media report on one case is that case's action (`record_media_report`).
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated

from fastapi import APIRouter, Depends, HTTPException
from pydantic import BaseModel, ConfigDict, Field, field_validator

from api import scope
from api.auth import Identity, require
from api.cases import Ledger
from api.models import Problem
from domain.vocabulary import Role
from ledger import peer_warnings

router = APIRouter(tags=["crisis"])
CRISIS_GROUP = (Role.SUPERVISOR, Role.SENIOR_MANAGER)
# One line of text; free text keeps line breaks and tabs only.
Line = Annotated[str, Field(min_length=1, max_length=200, pattern=r"^[^\x00-\x1f\x7f]+$")]
Lines = Annotated[
    str, Field(min_length=1, max_length=4000, pattern=r"^[^\x00-\x08\x0b-\x1f\x7f]+$")
]


class PeerWarning(BaseModel):
    model_config = ConfigDict(extra="forbid")

    peer: Line = Field(description="the other company whose crisis it is")
    detail: Lines = Field(description="what happened there, and what it may mean here")
    source: Line | None = Field(default=None, description="where it was learnt")

    @field_validator("peer", "detail", "source")
    @classmethod
    def _not_blank(cls, value: str | None) -> str | None:
        if value is not None and not value.strip():
            raise ValueError("must hold more than white space")
        return value


class PeerWarningView(BaseModel):
    peer_warning_id: int
    peer: str
    detail: str
    source: str | None
    recorded_by: str
    recorded_at: datetime
    warned: list[str] = Field(description="whom the early warning went to")


@router.post(
    "/v1/crisis/peer-warnings",
    status_code=201,
    response_model=PeerWarningView,
    responses={403: {"model": Problem}, 409: {"model": Problem}},
)
async def peer_warning(
    body: PeerWarning,
    identity: Annotated[Identity, Depends(require(*CRISIS_GROUP))],
    pool: Ledger,
) -> PeerWarningView:
    """R-CR-11: a peer's crisis, and the early warning to the crisis group."""
    scope.change(identity, scope.EVERY_BRANCH, "a peer's crisis warning")
    now = datetime.now(UTC)
    async with pool.acquire() as conn, conn.transaction():
        recipients = await peer_warnings.crisis_group(conn, now)
        if not recipients:
            raise HTTPException(
                409,
                "R-CR-9: the contacts directory has no head office, whose contacts the early "
                "warning goes to: an administrator enters it (PUT /v1/contacts/{unit})",
            )
        row, _ = await peer_warnings.record(
            conn,
            peer=body.peer,
            detail=body.detail,
            source=body.source,
            by=identity.name,
            at=now,
            recipients=recipients,
        )
    return PeerWarningView(**dict(row))
