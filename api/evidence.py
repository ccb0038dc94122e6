"""Evidence on a case or an appeal (R-IN-9): `POST /v1/complaints/{id}/evidence` (the file as
the body, its type as `Content-Type`, `filename` and the owner as query parameters), `GET
/v1/complaints/{id}/evidence` (what is attached) and `GET .../evidence/{evidence_id}` (the
file). Refused with the reason when too large or of a type not allowed (`infra.config`
`evidence_max_bytes`, `evidence_media_types`). Listing and downloading need a role that may
see the case's customer data; every download is written to the access log."""

from __future__ import annotations

from collections.abc import Callable
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, HTTPException, Query, Request, Response

from api import cases, scope
from api.auth import Identity, require
from api.cases import ACTING_ROLES, Ledger, Temporal
from api.models import SEES_CUSTOMER_NUMBERS, ComplaintId, Problem
from domain.vocabulary import Role
from infra import evidence_files
from infra.codec import KeyRing
from infra.config import Settings
from ledger import evidence, views
from ledger.evidence import Evidence

router = APIRouter(tags=["evidence"])

# Who attaches evidence: the roles acting on a case (an administrator acts on none).
UPLOADERS = tuple(r for r in ACTING_ROLES if r is not Role.ADMIN)
FileName = Annotated[str, Query(min_length=1, max_length=200, pattern=r"^[^\x00-\x1f/\\]+$")]


def key_ring(request: Request) -> KeyRing:
    ring: KeyRing | None = getattr(request.app.state, "key_ring", None)
    if ring is None:
        raise HTTPException(503, "evidence needs the codec key ring, which this API was not given")
    return ring


def settings(request: Request) -> Settings:
    found: Settings = request.app.state.settings
    return found


Ring = Annotated[KeyRing, Depends(key_ring)]
Limits = Annotated[Settings, Depends(settings)]


def media_type_of(request: Request, limits: Settings) -> str:
    """The declared type, refused (415) unless evidence may have it; the content is checked
    against it once read (`infra.evidence_files`)."""
    declared = request.headers.get("content-type") or ""
    return _checked(evidence_files.allowed_type, declared, limits.evidence_media_types)


@router.post(
    "/v1/complaints/{complaint_id}/evidence",
    response_model=Evidence,
    status_code=201,
    responses={404: {"model": Problem}, 413: {"model": Problem}, 415: {"model": Problem}},
)
async def upload(
    complaint_id: ComplaintId,
    request: Request,
    filename: FileName,
    identity: Annotated[Identity, Depends(require(*UPLOADERS))],
    client: Temporal,
    pool: Ledger,
    ring: Ring,
    limits: Limits,
    response: Response,
    owner_kind: Literal["case", "appeal"] = "case",
    owner_id: Annotated[str | None, Query(min_length=1, max_length=128)] = None,
) -> Evidence:
    """Attach a file (201; 200 with the same attachment for the same content again). An
    appeal's evidence names the appeal (`owner_kind=appeal&owner_id=...`)."""
    await scope.case_to_change(client, pool, identity, complaint_id)
    media_type = media_type_of(request, limits)
    filename = _checked(evidence_files.safe_filename, filename)
    if not await views.known(pool, complaint_id):
        raise HTTPException(404, f"no complaint {complaint_id}")
    if owner_kind == "appeal" and owner_id is None:
        raise HTTPException(422, "owner_id: an appeal's evidence names the appeal")
    content = bytearray()
    async for chunk in request.stream():  # api/limits.py stops it past evidence_max_bytes
        content += chunk
    if not content:
        raise HTTPException(422, "R-IN-9: the file is empty")
    media_type = _checked(
        evidence_files.checked_type, media_type, bytes(content), limits.evidence_media_types
    )
    found, created = await evidence.attach(
        pool,
        ring,
        complaint_id=complaint_id,
        owner_kind=owner_kind,
        owner_id=owner_id if owner_kind == "appeal" and owner_id else complaint_id,
        filename=filename,
        media_type=media_type,
        content=bytes(content),
        uploaded_by=identity.name,
    )
    if not created:
        response.status_code = 200
    return found


@router.get(
    "/v1/complaints/{complaint_id}/evidence",
    response_model=list[Evidence],
    responses={404: {"model": Problem}},
)
async def listing(
    complaint_id: ComplaintId,
    identity: Annotated[Identity, Depends(require(*SEES_CUSTOMER_NUMBERS))],
    client: Temporal,
    pool: Ledger,
) -> list[Evidence]:
    """The case's attachments and its appeals' (roles that may see its customer data)."""
    await scope.case_to_read(client, pool, identity, complaint_id)
    if not await views.known(pool, complaint_id):
        raise HTTPException(404, f"no complaint {complaint_id}")
    return await evidence.listed(pool, complaint_id)


@router.get(
    "/v1/complaints/{complaint_id}/evidence/{evidence_id}",
    response_class=Response,
    responses={200: {"content": {"application/octet-stream": {}}}, 404: {"model": Problem}},
)
async def download(
    complaint_id: ComplaintId,
    evidence_id: str,
    identity: Annotated[Identity, Depends(require(*SEES_CUSTOMER_NUMBERS))],
    client: Temporal,
    pool: Ledger,
    ring: Ring,
) -> Response:
    """The file as attached (its hash checked); the download goes in the access log."""
    await scope.case_to_read(client, pool, identity, complaint_id)
    found = await evidence.find(pool, evidence_id)
    if found is None or found.complaint_id != complaint_id:
        raise HTTPException(404, f"no evidence {evidence_id[:64]} on complaint {complaint_id}")
    data = await evidence.content(pool, ring, found.evidence_id)
    assert data is not None
    await cases.accessed(
        pool, identity, "api:GET /v1/complaints/{id}/evidence/{evidence_id}", [complaint_id]
    )
    return Response(
        data,
        media_type=evidence_files.served_type(found.media_type),
        headers={
            "Content-Disposition": evidence_files.content_disposition(found.filename),
            "X-Content-Type-Options": "nosniff",  # the type given is the type meant
            "Content-Security-Policy": "sandbox",  # opened in a tab, it runs nothing
            "X-Content-SHA256": found.sha256,
        },
    )


def _checked(check: Callable[..., str], *args: Any) -> str:
    """What `check` answers for `args`, or its refusal as the caller's 4xx."""
    try:
        return check(*args)
    except evidence_files.Unacceptable as refused:
        raise HTTPException(refused.status, refused.detail) from None
