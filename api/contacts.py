"""The contacts directory over HTTP (R-CR-9; domain/contacts.py).

- `GET /v1/contacts` (every role): the directory in force: the units of the key's branches and
  every unit above them to the head office, so each level sees its superiors' designated
  people (S1: the superior's contacts are published to the levels below); an unlimited key
  sees every unit. Each unit lists its chain upward (`chain`, its own id first).
- `PUT /v1/contacts/{unit}` (admin): a new version of one unit (its level, name, parent, the
  branch whose administrators keep it, 1-2 contacts, optionally its HR and finance departments
  that receive the accountability results, R-AC-5), in force from `effective_from` (default:
  now), with the `reason`; the author is the key's. A unit of a branch is changed by an
  administrator of that branch (a unit moved between branches: of both); the head office and
  units without a branch by an administrator for every branch. 422, naming the unit, when the
  directory with the change would not end at the head office from every unit (parent missing,
  not a level above, a second head office). Crisis reports of cases begun later climb it
  (a running case keeps the chain it began with).
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated, Any

from fastapi import APIRouter, Depends, HTTPException, Path
from pydantic import BaseModel, ConfigDict, Field

from api import scope
from api.auth import Identity, require
from api.cases import Ledger
from api.models import Problem
from domain import contacts
from domain.contacts import Unit, UnitChange
from domain.fields import AwareDatetime
from domain.vocabulary import Role
from ledger import policy as policies

router = APIRouter(tags=["contacts"])
# A unit's id: not starting with '*' (the policy table's "every branch"), no control characters.
UnitPath = Annotated[
    str, Path(min_length=1, max_length=200, pattern=r"^[^*\x00-\x1f\x7f][^\x00-\x1f\x7f]*$")
]


class UnitVersion(BaseModel):
    model_config = ConfigDict(extra="forbid")

    effective_from: AwareDatetime | None = None  # None: now
    reason: Annotated[str, Field(min_length=1, max_length=2000)]
    unit: UnitChange


class DirectoryUnit(Unit):
    chain: list[str] = Field(description="this unit and every unit above it to the head office")


class UnitSaved(BaseModel):
    version: int
    unit: Unit
    effective_from: datetime
    reason: str
    changed_by: str
    changed_at: datetime


async def directory(db: Any, at: datetime) -> dict[str, Unit]:
    """The units in force at `at` (domain/contacts.py)."""
    found = await policies.every_scope_in_force(db, "contacts", at)
    return {k: Unit.model_validate(v | {"unit": k}) for k, v in found.items()}


@router.get("/v1/contacts", response_model=list[DirectoryUnit])
async def listing(
    identity: Annotated[Identity, Depends(require(*Role))], pool: Ledger
) -> list[DirectoryUnit]:
    """R-CR-9: the key's units and their superiors, with their designated contacts."""
    units = await directory(pool, datetime.now(UTC))
    shown: dict[str, list[str]] = {}
    for u in units.values():
        if identity.branches is None or (u.branch is not None and scope.covers(identity, u.branch)):
            chain = contacts.chain(units, u.unit)
            for i, above in enumerate(chain):
                shown.setdefault(above.unit, [c.unit for c in chain[i:]])
    rank = contacts.RANK
    return [
        DirectoryUnit(**units[k].model_dump(), chain=shown[k])
        for k in sorted(shown, key=lambda k: (-rank[units[k].level], k))
    ]


@router.put(
    "/v1/contacts/{unit}",
    status_code=201,
    response_model=UnitSaved,
    responses={422: {"model": Problem}, 403: {"model": Problem}},
)
async def change(
    unit: UnitPath,
    body: UnitVersion,
    identity: Annotated[Identity, Depends(require(Role.ADMIN))],
    pool: Ledger,
) -> UnitSaved:
    """R-CR-9, R-SLA-10: a new version of one unit; the earlier ones stay."""
    at = body.effective_from or datetime.now(UTC)
    new = body.unit.of(unit)
    async with pool.acquire() as conn, conn.transaction():
        # One directory change at a time: the check below sees every earlier one.
        await conn.execute("SELECT pg_advisory_xact_lock(hashtext('contacts directory'))")
        units = await directory(conn, max(at, datetime.now(UTC)))
        old = units.get(unit)
        for branch in {new.branch, old.branch if old else new.branch}:
            scope.change(identity, branch or scope.EVERY_BRANCH, f"the contacts of {unit}")
        units[unit] = new
        wrong = contacts.problems(units.values())
        if wrong:
            raise HTTPException(422, "contacts directory: " + "; ".join(wrong))
        body_json = body.unit.model_dump(mode="json")
        row = await policies.add_version(
            conn, "contacts", unit, at, body_json, body.reason, identity.name
        )
    return UnitSaved(
        version=row["version"],
        unit=new,
        effective_from=at,
        reason=body.reason,
        changed_by=identity.name,
        changed_at=row["changed_at"],
    )
