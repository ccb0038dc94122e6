"""Monthly statistics (R-AN-1, R-AN-2) and the determination of finished cases (R-AN-2, R-AN-4,
R-AC-1) over HTTP: an `APIRouter` that `create_app` includes; it reads `app.state.pool`.

- `GET /v1/reports/monthly?period=YYYY-MM[&branch=<prefix>][&format=json|csv|html]`
  (supervisor, auditor, system): JSON by default (`MonthlyReport`); `format=csv`, or no
  `format` and `Accept: text/csv`, gives the CSV table of `reports.render` (section, key, metric,
  value); `format=html` the printable page with its charts. 422 for a period that is not a
  calendar month.
- `POST /v1/complaints/{id}/determination` (supervisor): record the case's determination:
  `effective`, `not_effective` or `exempt`, with a reason code of that verdict and the people
  held responsible. 404 for an unknown case; 409 while the ledger does not show it closed or
  withdrawn, and for an exemption the ledger contradicts (R-AN-4: `withdrawn` or
  `satisfied_first_coordination` for a case not settled so at the first coordination: reopened,
  reviewed, repeated, escalated or multi-channel). 201 the first time, 200 when it replaces an
  earlier determination. The answer carries the exemption the ledger's facts propose (R-AN-4).
  A case referred to a business line (R-AN-7) is determined with that `business_line`; 409
  for another line or none, and for a `business_line` on a case never referred.
- `POST /v1/complaints/{id}/determination/referral` (review_group, supervisor): R-AN-7, the
  case cannot be determined: it goes to `business_line` (with the `reason`), which determines
  it. 404, 409 as above; 201 the first time, 200 when it replaces an earlier referral.
- `GET /v1/complaints/{id}/determination` (supervisor, auditor, system): the case's
  determination (`null` before one is made) and the proposed exemption.
"""

from __future__ import annotations

import asyncio
from datetime import datetime
from typing import Annotated, Any, Literal

import asyncpg
from asyncpg import Record
from fastapi import APIRouter, Depends, Header, HTTPException, Query, Request
from fastapi.responses import JSONResponse, Response
from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from api import scope
from api.auth import Identity, require
from api.models import ComplaintId, Problem
from domain.accountability import exemption_from_facts, exemption_holds
from domain.vocabulary import Role
from infra.postgres import Connection
from ledger import determinations
from reports.render import render_csv, render_html
from reports.statistics import (
    REASONS,
    MonthlyReport,
    ReasonCode,
    Verdict,
    monthly_report,
    verdict_of,
)

READERS = (Role.SUPERVISOR, Role.AUDITOR, Role.SYSTEM)
FINISHED = ("closed", "withdrawn")
NEEDS_DIRECT_PERSON = ("instigated_by_own_surveyor",)  # R-AN-2: "those staff are held accountable"

router = APIRouter()

# ---------------------------------------------------------------------------------------------
# The monthly report


@router.get(
    "/v1/reports/monthly",
    response_model=MonthlyReport,
    tags=["reports"],
    responses={
        200: {
            "description": "the report: JSON, or CSV / HTML as asked",
            "content": {
                "text/csv": {"schema": {"type": "string"}},
                "text/html": {"schema": {"type": "string"}},
            },
        },
        422: {"model": Problem, "description": "not a calendar month, or a bad parameter"},
    },
)
async def monthly(
    request: Request,
    identity: Annotated[Identity, Depends(require(*READERS))],
    period: Annotated[
        str, Query(max_length=32, description="calendar month, Asia/Shanghai", examples=["2026-10"])
    ],
    branch: Annotated[
        str | None, Query(max_length=200, description="only branches whose name starts so")
    ] = None,
    output: Annotated[
        Literal["json", "csv", "html"] | None,
        Query(alias="format", description="json (default), csv or html"),
    ] = None,
    accept: Annotated[str | None, Header(include_in_schema=False)] = None,
) -> Any:
    """The monthly statistics of the ledger (R-AN-1, R-AN-2); see `reports.statistics`. A key
    limited to branches gets its branches' figures only."""
    if output is None:
        output = "csv" if accept and "text/csv" in accept else "json"
    mine = scope.visible(identity)
    if branch and mine is not None and not any(b.startswith(branch) for b in mine):
        raise scope.refused(identity, f"the report of {branch}")
    try:
        report = await monthly_report(request.app.state.pool, period, branch or None, mine)
    except ValueError as err:  # a period that is not a calendar month, a NUL in the branch
        raise HTTPException(422, str(err)) from None
    name = f"complaints-{report.period}" + (f"-{branch}" if branch else "")
    if output == "csv":
        return Response(
            render_csv(report),
            media_type="text/csv; charset=utf-8",
            headers={"Content-Disposition": _attachment(f"{name}.csv")},
        )
    if output == "html":
        page = await asyncio.to_thread(render_html, report)  # matplotlib: CPU, off the loop
        return Response(page, media_type="text/html; charset=utf-8")
    return report


def _attachment(filename: str) -> str:
    from urllib.parse import quote

    ascii_name = "".join(c if c.isascii() and c not in '"\\' else "_" for c in filename)
    return f"attachment; filename=\"{ascii_name}\"; filename*=UTF-8''{quote(filename)}"


# ---------------------------------------------------------------------------------------------
# Determinations


class DeterminationIn(BaseModel):
    """R-AN-2 / R-AN-4 verdict of a finished case, with the people held responsible (R-AC-1)."""

    model_config = ConfigDict(extra="forbid")

    verdict: Verdict
    reason_code: ReasonCode = Field(
        description="effective: staff_error, poor_attitude, lack_of_responsibility, "
        "deliberate_escalation; not_effective: repair_shop_impersonation, "
        "instigated_by_own_surveyor, against_head_office_rules; exempt: withdrawn, "
        "outside_liability, satisfied_first_coordination"
    )
    direct_person: Annotated[str, Field(min_length=1, max_length=200)] | None = Field(
        None, description="directly responsible; needed for effective and for a surveyor's case"
    )
    managerial_person: Annotated[str, Field(min_length=1, max_length=200)] | None = None
    note: Annotated[str, Field(max_length=4000)] | None = None
    # R-AC-4: further managerial levels above managerial_person (nearest first), and the
    # department head, held accountable for an escalated or media complaint.
    managerial_levels: Annotated[
        list[Annotated[str, Field(min_length=1, max_length=200)]], Field(max_length=5)
    ] = []
    department_head: Annotated[str, Field(min_length=1, max_length=200)] | None = None
    business_line: Annotated[str, Field(min_length=1, max_length=200)] | None = Field(
        None, description="R-AN-7: the business line determining a case referred to it"
    )

    @field_validator(
        "direct_person", "managerial_person", "note", "department_head", "business_line"
    )
    @classmethod
    def _no_nul(cls, value: str | None) -> str | None:
        if value is not None and "\x00" in value:
            raise ValueError("must not contain NUL characters")
        return value

    @model_validator(mode="after")
    def _consistent(self) -> DeterminationIn:
        if verdict_of(self.reason_code) != self.verdict:
            raise ValueError(
                f"reason_code {self.reason_code} is not a reason for the verdict {self.verdict}; "
                f"use one of {', '.join(REASONS[self.verdict])}"
            )
        needs = self.verdict == "effective" or self.reason_code in NEEDS_DIRECT_PERSON
        if needs and self.direct_person is None:
            raise ValueError(
                f"{self.reason_code} needs direct_person, the person held directly responsible"
            )
        return self


class Determination(BaseModel):
    verdict: Verdict
    effective: bool
    reason_code: ReasonCode
    direct_person: str | None
    managerial_person: str | None
    decided_by: str
    decided_at: datetime
    note: str | None
    managerial_levels: list[str] = []
    department_head: str | None = None
    business_line: str | None = None  # R-AN-7: the line that determined it, if referred


class Referral(BaseModel):
    """R-AN-7: the case went to a business line to determine."""

    business_line: str
    reason: str
    referred_by: str
    referred_at: datetime


class ReferralIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    business_line: Annotated[str, Field(min_length=1, max_length=200)]
    reason: Annotated[str, Field(min_length=1, max_length=4000)]

    @field_validator("business_line", "reason")
    @classmethod
    def _no_nul(cls, value: str) -> str:
        if "\x00" in value:
            raise ValueError("must not contain NUL characters")
        return value


class DeterminationView(BaseModel):
    complaint_id: str
    stage: str
    outcome: str | None
    branch: str
    received_at: datetime
    determination: Determination | None
    proposed_exemption: str | None = Field(
        description="R-AN-4 from the ledger's facts: withdrawn, satisfied_first_coordination, "
        "or null (outside liability is a judgement the ledger cannot make)"
    )
    referral: Referral | None = None  # R-AN-7


def _facts(row: Any) -> dict[str, Any]:
    """What R-AN-4 is judged on (domain.accountability)."""
    keys = ("outcome", "reopen_count", "review_count", "repeat_count", "escalated", "multi_channel")
    return {k: row[k] for k in keys}


def _proposal(row: Any) -> str | None:
    return exemption_from_facts(**_facts(row))


def _view(row: Any) -> DeterminationView:
    determination = None
    if row["reason_code"] is not None:
        determination = Determination(
            verdict=verdict_of(row["reason_code"]),
            effective=row["effective"],
            reason_code=row["reason_code"],
            direct_person=row["direct_person"],
            managerial_person=row["managerial_person"],
            decided_by=row["decided_by"],
            decided_at=row["decided_at"],
            note=row["note"],
            managerial_levels=row["managerial_levels"] or [],
            department_head=row["department_head"],
            business_line=row["business_line"],
        )
    referral = None
    if row["referred_to"] is not None:
        referral = Referral(
            business_line=row["referred_to"],
            reason=row["referral_reason"],
            referred_by=row["referred_by"],
            referred_at=row["referred_at"],
        )
    return DeterminationView(
        complaint_id=row["complaint_id"],
        stage=row["stage"],
        outcome=row["outcome"],
        branch=row["branch"],
        received_at=row["received_at"],
        determination=determination,
        proposed_exemption=_proposal(row),
        referral=referral,
    )


def _contradiction(body: DeterminationIn, row: Any) -> str | None:
    """Why the ledger's facts rule out the exemption claimed (R-AN-4), or the business line
    named is not the one the case was referred to (R-AN-7), if so."""
    if row["referred_to"] is not None and body.business_line != row["referred_to"]:
        return (
            f"R-AN-7: the case was referred to business line {row['referred_to']}, which "
            f"determines it (business_line {row['referred_to']})"
        )
    if row["referred_to"] is None and body.business_line is not None:
        return "R-AN-7: the case was not referred to a business line; leave business_line out"
    code = body.reason_code
    if code not in ("withdrawn", "satisfied_first_coordination"):
        return None
    if exemption_holds(code, **_facts(row)):
        return None
    settled = "withdrawn" if code == "withdrawn" else "resolved"
    facts = [
        f"outcome is {row['outcome'] or 'none'}" if row["outcome"] != settled else "",
        f"reopened {row['reopen_count']} time(s)" if row["reopen_count"] else "",
        f"reviewed {row['review_count']} time(s)" if row["review_count"] else "",
        f"{row['repeat_count']} repeat complaint(s)" if row["repeat_count"] else "",
        "escalated" if row["escalated"] else "",
        "multi-channel" if row["multi_channel"] else "",
    ]
    return (
        f"the exemption {code} needs a case {settled} at the first coordination, never "
        "reopened, reviewed, repeated, escalated or multi-channel (R-AN-4); the ledger shows: "
        + ", ".join(f for f in facts if f)
    )


async def _finished_case(
    conn: Connection, complaint_id: str, identity: Identity, why: str = ""
) -> Record:
    """The case's ledger row, locked, for a change by `identity`: unknown or outside the key's
    branches as `api.scope` answers; 409 while the case is still in handling."""
    row = await determinations.case_for_update(conn, complaint_id)
    if row is None:
        raise scope.not_found(complaint_id)
    scope.change(identity, row["branch"], f"complaint {complaint_id}")
    if row["stage"] not in FINISHED:
        raise HTTPException(
            409, f"complaint {complaint_id} is still in handling (stage {row['stage']}){why}"
        )
    return row


@router.post(
    "/v1/complaints/{complaint_id}/determination",
    response_model=DeterminationView,
    tags=["reports"],
    responses={
        200: {"model": DeterminationView, "description": "replaced an earlier determination"},
        201: {"model": DeterminationView, "description": "recorded"},
        404: {"model": Problem},
        409: {"model": Problem, "description": "the case is not finished, or facts contradict"},
    },
)
async def determine(
    request: Request,
    complaint_id: ComplaintId,
    body: DeterminationIn,
    identity: Annotated[Identity, Depends(require(Role.SUPERVISOR))],
) -> JSONResponse:
    """Record whether a finished case is an effective complaint (R-AN-2), not effective, or
    exempt from accountability (R-AN-4), with the people responsible (R-AC-1)."""
    pool: asyncpg.Pool = request.app.state.pool
    async with pool.acquire() as conn, conn.transaction():
        row = await _finished_case(
            conn,
            complaint_id,
            identity,
            ": it is determined once the ledger shows it closed or withdrawn",
        )
        if (why := _contradiction(body, row)) is not None:
            raise HTTPException(409, why)
        inserted = await determinations.determine(
            conn,
            complaint_id,
            effective=body.verdict == "effective",
            reason_code=body.reason_code,
            direct_person=body.direct_person,
            managerial_person=body.managerial_person,
            decided_by=identity.name,
            note=body.note,
            managerial_levels=body.managerial_levels,
            department_head=body.department_head,
            business_line=body.business_line,
        )
        view = _view(await determinations.case(conn, complaint_id))
    return JSONResponse(view.model_dump(mode="json"), status_code=201 if inserted else 200)


@router.post(
    "/v1/complaints/{complaint_id}/determination/referral",
    response_model=DeterminationView,
    tags=["reports"],
    responses={
        200: {"model": DeterminationView, "description": "replaced an earlier referral"},
        201: {"model": DeterminationView, "description": "referred"},
        404: {"model": Problem},
        409: {"model": Problem, "description": "the case is not finished"},
    },
)
async def refer(
    request: Request,
    complaint_id: ComplaintId,
    body: ReferralIn,
    identity: Annotated[Identity, Depends(require(Role.REVIEW_GROUP, Role.SUPERVISOR))],
) -> JSONResponse:
    """R-AN-7: a case the review group cannot determine goes to the branch's business line
    concerned, which determines it (`business_line` on its determination)."""
    pool: asyncpg.Pool = request.app.state.pool
    async with pool.acquire() as conn, conn.transaction():
        await _finished_case(conn, complaint_id, identity)
        inserted = await determinations.refer(
            conn,
            complaint_id,
            business_line=body.business_line,
            reason=body.reason,
            referred_by=identity.name,
        )
        view = _view(await determinations.case(conn, complaint_id))
    return JSONResponse(view.model_dump(mode="json"), status_code=201 if inserted else 200)


@router.get(
    "/v1/complaints/{complaint_id}/determination",
    response_model=DeterminationView,
    tags=["reports"],
    responses={404: {"model": Problem}},
)
async def determination(
    request: Request,
    complaint_id: ComplaintId,
    identity: Annotated[Identity, Depends(require(*READERS))],
) -> DeterminationView:
    """The case's determination (null before one is made) and the exemption its facts propose."""
    row = await determinations.case(request.app.state.pool, complaint_id)
    if row is None:
        raise scope.not_found(complaint_id)
    scope.read(identity, row["branch"], complaint_id)
    return _view(row)
