"""Root causes and hot spots over HTTP (R-AN-8; domain/causes.py, ledger/hotspots.py).

- `GET /v1/causes` (every role): the root-cause taxonomy in force (code, Chinese and English
  label, retired), the codes `close_case`'s `root_cause` takes. It changes through
  `POST /v1/policy/causes` (api/policy.py).
- `GET /v1/hot-spots[?period=YYYY-MM][&open=true]` (supervisor, auditor, admin): the hot spots
  the daily watch flagged, with their rectification owner, due date, reminders and
  rectification; a key limited to branches sees its branches' only.
- `POST /v1/hot-spots/{id}/assignment` (supervisor, admin of the hot spot's branch): the
  rectification owner and its due date (default: the policy's `due_days` from today); a new
  assignment replaces the last. 409 once rectified.
- `POST /v1/hot-spots/{id}/rectification` (supervisor, admin of the branch): the rectification
  done (溯源整改): what was found and changed. It closes the hot spot; 409 when already closed.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from typing import Annotated, Any

from fastapi import APIRouter, Depends, HTTPException, Path, Query
from pydantic import BaseModel, ConfigDict, Field

from api import scope
from api.auth import Identity, require
from api.cases import Ledger
from api.models import Problem
from domain.causes import DEFAULT_TAXONOMY, CauseTaxonomy
from domain.vocabulary import Role
from ledger import hotspots
from ledger import policy as policies

router = APIRouter(tags=["hot spots"])
READERS = (Role.SUPERVISOR, Role.AUDITOR, Role.ADMIN)
KEEPERS = (Role.SUPERVISOR, Role.ADMIN)
HotSpotId = Annotated[int, Path(ge=1, le=2**62)]
Person = Annotated[str, Field(min_length=1, max_length=200, pattern=r"^[^\x00-\x1f\x7f]+$")]


class HotSpotView(BaseModel):
    hot_spot_id: int
    period: str
    branch: str
    dimension: str
    key: str
    count: int
    trailing: list[int] = Field(description="the months before, oldest first")
    trailing_mean: float
    flagged_at: datetime
    owner: str | None
    due_on: date | None
    assigned_by: str | None
    assigned_at: datetime | None
    rectification: str | None
    rectified_by: str | None
    rectified_at: datetime | None
    reminders: int
    overdue: bool


class Assignment(BaseModel):
    model_config = ConfigDict(extra="forbid")

    owner: Person
    due_on: date | None = None  # None: the policy's due_days from today


class Rectification(BaseModel):
    model_config = ConfigDict(extra="forbid")

    rectification: Annotated[str, Field(min_length=1, max_length=4000)]


def _view(row: Any) -> HotSpotView:
    today = datetime.now(hotspots.ZONE).date()
    data = dict(row)
    data["trailing"] = data.pop("trailing_counts")
    data.pop("last_reminded_on", None)
    overdue = row["rectified_at"] is None and row["due_on"] is not None and row["due_on"] < today
    return HotSpotView(**data, overdue=overdue)


async def _hot_spot(pool: Any, identity: Identity, hot_spot_id: int) -> Any:
    """The hot spot the key may change: 404 unknown, 403 outside its branches."""
    row = await hotspots.one(pool, hot_spot_id)
    if row is None:
        raise HTTPException(404, f"no hot spot {hot_spot_id}")
    scope.change(identity, row["branch"], f"hot spot {hot_spot_id}")
    if row["rectified_at"] is not None:
        raise HTTPException(
            409,
            f"hot spot {hot_spot_id} was rectified on "
            f"{row['rectified_at']:%Y-%m-%d} by {row['rectified_by']}",
        )
    return row


@router.get("/v1/causes", response_model=CauseTaxonomy)
async def taxonomy(
    identity: Annotated[Identity, Depends(require(*Role))], pool: Ledger
) -> CauseTaxonomy:
    """R-AN-8: the root causes in force."""
    body = await policies.in_force(pool, "causes", None, datetime.now(UTC))
    return DEFAULT_TAXONOMY if body is None else CauseTaxonomy.model_validate(body)


@router.get("/v1/hot-spots", response_model=list[HotSpotView])
async def listing(
    identity: Annotated[Identity, Depends(require(*READERS))],
    pool: Ledger,
    period: Annotated[str | None, Query(pattern=r"^\d{4}-(0[1-9]|1[0-2])$")] = None,
    open_only: Annotated[bool, Query(alias="open")] = False,
) -> list[HotSpotView]:
    rows = await hotspots.listing(
        pool, period=period, branches=scope.visible(identity), open_only=open_only
    )
    return [_view(r) for r in rows]


@router.post(
    "/v1/hot-spots/{hot_spot_id}/assignment",
    response_model=HotSpotView,
    responses={404: {"model": Problem}, 409: {"model": Problem}},
)
async def assign(
    hot_spot_id: HotSpotId,
    body: Assignment,
    identity: Annotated[Identity, Depends(require(*KEEPERS))],
    pool: Ledger,
) -> HotSpotView:
    """R-AN-8: the rectification's owner and due date."""
    await _hot_spot(pool, identity, hot_spot_id)
    today = datetime.now(hotspots.ZONE).date()
    due = body.due_on
    if due is None:
        rule = await hotspots.hot_spot_policy(pool, datetime.now(UTC))
        due = today + timedelta(days=rule.due_days)
    if due < today:
        raise HTTPException(422, f"due_on: {due.isoformat()} is in the past")
    return _view(await hotspots.assign(pool, hot_spot_id, body.owner, due, identity.name))


@router.post(
    "/v1/hot-spots/{hot_spot_id}/rectification",
    response_model=HotSpotView,
    responses={404: {"model": Problem}, 409: {"model": Problem}},
)
async def rectify(
    hot_spot_id: HotSpotId,
    body: Rectification,
    identity: Annotated[Identity, Depends(require(*KEEPERS))],
    pool: Ledger,
) -> HotSpotView:
    """R-AN-8: the rectification done; the hot spot is closed."""
    await _hot_spot(pool, identity, hot_spot_id)
    if "\x00" in body.rectification:
        raise HTTPException(422, "rectification: must not contain NUL characters")
    row = await hotspots.rectify(pool, hot_spot_id, body.rectification, identity.name)
    if row is None:  # another request closed it a moment ago
        raise HTTPException(409, f"hot spot {hot_spot_id} was rectified already")
    return _view(row)
