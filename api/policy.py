"""Policy as data and the accountability results over HTTP (R-SLA-10, R-AC-4).

- `POST /v1/policy/{kind}` (admin): a new version of `sla` (the SLA table,
  domain/sla.SlaPolicy fields), `penalty` (the penalty amounts, by channel among them:
  domain/accountability.PenaltyPolicy) or `working_hours` (`{"windows": [{"start": "09:00",
  "end": "12:00"}, ...]}`, with `scope` the branch), with `effective_from` and a `reason`; the
  author is the key's. Every version is kept. 422 for a body the policy's model refuses.
  `causes` (R-AN-8: the root-cause taxonomy, domain/causes.CauseTaxonomy; a version keeps
  every code of the one in force, retiring instead of removing) and `hot_spots` (R-AN-8: when
  a count is a hot spot, domain/causes.HotSpotPolicy) apply to every branch.
- `GET /v1/policy[?kind=]` (admin, supervisor, auditor): every version, oldest first (also
  `contacts`, the directory's units: api/contacts.py).
- `POST /v1/branches/{branch}/closures` (admin): an ad-hoc closure (a typhoon day), whole local
  days; recorded (a repeated `closure_key` is a no-op), then `announce_closure` is signalled
  to every case of the branch still in handling (one sealed signal each; a case under rules
  before 3 records the refusal and keeps its calendar). New cases load it with their policy.
- `GET /v1/accountability/{period}/results[?format=json]` (review_group, supervisor, auditor,
  system, admin): a published period's final results, CSV by default, with each item's
  outcomes (R-AC-5), for the branch's HR and finance departments.
"""

from __future__ import annotations

import asyncio
import json
import secrets
from datetime import UTC, date, datetime
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, HTTPException, Path, Query
from fastapi.responses import Response
from pydantic import AwareDatetime, BaseModel, ConfigDict, Field, ValidationError

from api import scope
from api.auth import Identity, require
from api.cases import Ledger, Temporal
from api.models import Problem, explain
from domain.accountability import PenaltyPolicy
from domain.actions.closure import AnnounceClosure
from domain.calendar import WorkCalendar, WorkingWindow
from domain.causes import DEFAULT_TAXONOMY, CauseTaxonomy, HotSpotPolicy, dropped
from domain.fields import NEW_INPUT
from domain.identity import VerifiedIdentity
from domain.sla import SlaPolicy
from domain.vocabulary import Role
from ledger import accountability
from ledger import policy as policies
from reports.accountability import render
from workflows import contract

router = APIRouter(tags=["policy"])
Kind = Literal["sla", "penalty", "working_hours", "causes", "hot_spots"]
ReadKind = Literal["sla", "penalty", "working_hours", "causes", "hot_spots", "contacts"]
Branch = Annotated[str, Path(min_length=1, max_length=200)]
Period = Annotated[str, Path(pattern=r"^\d{4}-(0[1-9]|1[0-2])$")]
RESULT_READERS = (Role.REVIEW_GROUP, Role.SUPERVISOR, Role.AUDITOR, Role.SYSTEM, Role.ADMIN)
SIGNALS_AT_ONCE = 20  # concurrent signals of one announcement


class WorkingHours(BaseModel):
    model_config = ConfigDict(extra="forbid")
    windows: Annotated[list[WorkingWindow], Field(min_length=1, max_length=6)]


BODIES: dict[str, type[BaseModel]] = {
    "sla": SlaPolicy,
    "penalty": PenaltyPolicy,
    "working_hours": WorkingHours,
    "causes": CauseTaxonomy,
    "hot_spots": HotSpotPolicy,
}


class PolicyChange(BaseModel):
    model_config = ConfigDict(extra="forbid")
    scope: Annotated[str, Field(min_length=1, max_length=200)] = "*"
    effective_from: AwareDatetime
    reason: Annotated[str, Field(min_length=1, max_length=2000)]
    body: dict[str, Any]


class PolicyVersion(BaseModel):
    version: int
    kind: str
    scope: str
    effective_from: datetime
    body: dict[str, Any]
    reason: str
    changed_by: str
    changed_at: datetime


class Closure(BaseModel):
    model_config = ConfigDict(extra="forbid")
    first_day: date
    last_day: date
    reason: Annotated[str, Field(min_length=1, max_length=2000)]
    closure_key: Annotated[str, Field(min_length=1, max_length=128)] | None = None


class ClosureAnnounced(BaseModel):
    closure_key: str
    branch: str
    new: bool
    cases_told: int


@router.post(
    "/v1/policy/{kind}",
    status_code=201,
    response_model=PolicyVersion,
    responses={422: {"model": Problem}},
)
async def change(
    kind: Kind,
    change: PolicyChange,
    identity: Annotated[Identity, Depends(require(Role.ADMIN))],
    pool: Ledger,
) -> PolicyVersion:
    """R-SLA-10: a new version in force from `effective_from`; the earlier versions stay. A key
    limited to branches changes only their working hours (every branch's: an unlimited key)."""
    scope.change(identity, change.scope, f"the {kind} policy")
    try:
        body = BODIES[kind].model_validate(change.body).model_dump(mode="json")
        if kind == "working_hours":
            WorkCalendar(windows=tuple(WorkingHours.model_validate(body).windows))
    except ValidationError as err:
        raise HTTPException(422, f"{kind}: {explain(err.errors())}") from None
    if kind == "sla":
        body.pop("speed", None)  # the demo's speed is the process's
    if kind != "working_hours" and change.scope != "*":
        raise HTTPException(422, f"{kind} applies to every branch: leave scope out")
    if kind == "causes":  # R-AN-8: codes are stable; past cases keep theirs
        now = await policies.in_force(
            pool, "causes", None, max(change.effective_from, datetime.now(UTC))
        )
        before = DEFAULT_TAXONOMY if now is None else CauseTaxonomy.model_validate(now)
        gone = dropped(before, CauseTaxonomy.model_validate(body))
        if gone:
            raise HTTPException(
                422,
                f"causes: {', '.join(gone)} may not be removed (codes "
                "are stable): keep them with retired=true",
            )
    row = await policies.add_version(
        pool, kind, change.scope, change.effective_from, body, change.reason, identity.name
    )
    return PolicyVersion(
        version=row["version"],
        kind=kind,
        scope=change.scope,
        effective_from=change.effective_from,
        body=body,
        reason=change.reason,
        changed_by=identity.name,
        changed_at=row["changed_at"],
    )


@router.get("/v1/policy", response_model=list[PolicyVersion])
async def versions(
    identity: Annotated[Identity, Depends(require(Role.ADMIN, Role.SUPERVISOR, Role.AUDITOR))],
    pool: Ledger,
    kind: ReadKind | None = None,
) -> list[PolicyVersion]:
    """Every version in force for the key's branches (every branch's, and their own)."""
    return [
        PolicyVersion.model_validate(v)
        for v in await policies.history(pool, kind)
        if v["scope"] == scope.EVERY_BRANCH or scope.covers(identity, v["scope"])
    ]


@router.post(
    "/v1/branches/{branch}/closures",
    response_model=ClosureAnnounced,
    responses={422: {"model": Problem}},
)
async def announce(
    branch: Branch,
    closure: Closure,
    identity: Annotated[Identity, Depends(require(Role.ADMIN))],
    pool: Ledger,
    client: Temporal,
) -> ClosureAnnounced:
    """R-SLA-10: record the closure, then tell every running case of the branch."""
    scope.change(identity, branch, "a closure")
    key = closure.closure_key or f"{branch}:{closure.first_day}:{closure.last_day}"
    try:
        action = AnnounceClosure.model_validate(
            {
                "actor": identity.name,
                "role": Role.ADMIN,
                "closure_key": key,
                "first_day": closure.first_day,
                "last_day": closure.last_day,
                "reason": closure.reason,
            },
            context=NEW_INPUT,
        )
    except ValidationError as err:
        raise HTTPException(422, explain(err.errors())) from None
    new = await policies.announce_closure(
        pool, key, branch, closure.first_day, closure.last_day, closure.reason, identity.name
    )
    cases = await policies.open_cases(pool, branch)
    payload = action.model_dump(mode="json") | {"request_id": f"closure:{key}"}
    gate = asyncio.Semaphore(SIGNALS_AT_ONCE)

    async def tell(workflow_id: str) -> bool:
        sender = VerifiedIdentity(
            actor=identity.name,
            roles=[r.value for r in identity.roles],
            branches=scope.visible(identity),
            via="api",
            bound_to=workflow_id,
            action="announce_closure",
            issued_at=datetime.now(UTC),
            nonce=secrets.token_hex(16),
        )
        async with gate:
            try:
                handle = client.get_workflow_handle(workflow_id)
                await handle.signal("announce_closure", contract.sealed(client, payload, sender))
            except Exception:
                return False
        return True

    told = sum(await asyncio.gather(*(tell(w) for w in cases)))
    await policies.told(pool, key, told)
    return ClosureAnnounced(closure_key=key, branch=branch, new=new, cases_told=told)


@router.get(
    "/v1/accountability/{period}/results",
    responses={
        200: {"content": {"text/csv": {"schema": {"type": "string"}}}},
        404: {"model": Problem},
    },
)
async def results(
    period: Period,
    identity: Annotated[Identity, Depends(require(*RESULT_READERS))],
    pool: Ledger,
    output: Annotated[Literal["csv", "json"], Query(alias="format")] = "csv",
) -> Response:
    """R-AC-4, R-AC-5: the final results of a published period, for the branch's HR and
    finance (a key limited to branches: its branches' rows)."""
    rows = await accountability.results(pool, period)
    if not rows:
        raise HTTPException(404, f"accountability {period}: no published results")
    rows = [r for r in rows if scope.covers(identity, r["branch"])]
    if output == "json":
        return Response(
            json.dumps([dict(r) for r in rows], default=str), media_type="application/json"
        )
    return Response(
        render(rows),
        media_type="text/csv",
        headers={"Content-Disposition": f'attachment; filename="accountability-{period}.csv"'},
    )
