"""Evidence (R-IN-9): documents, photos, letters and recordings attached to a case or to an
appeal of the accountability cycle, each kept with its content hash, size and media type,
encrypted at rest (`infra.at_rest`, the codec's key ring), never altered (migration 0011: a
trigger refuses updates; a correction is a new attachment).

The id is derived from the owner and the content hash: the same file attached twice to the
same owner is one row (a repeated upload is a no-op). `missing` is what another part of the
system (an appeal, a crisis report) uses to check that the evidence ids it names exist and
belong to its owner.
"""

from __future__ import annotations

import hashlib
import uuid
from collections.abc import Iterable
from datetime import datetime
from typing import Literal

from domain.fields import Derived
from infra import at_rest, evidence_files
from infra.codec import KeyRing
from infra.postgres import Queryable

OwnerKind = Literal["case", "appeal"]
_NAMESPACE = uuid.UUID("6f1d2a56-3c1b-4f0e-9a57-0e5c2b7d9a14")  # evidence ids (uuid5)


class Evidence(Derived):
    """What a caller sees of an attachment (never its content)."""

    evidence_id: str
    complaint_id: str
    owner_kind: OwnerKind
    owner_id: str
    filename: str
    media_type: str
    size_bytes: int
    sha256: str
    uploaded_by: str
    uploaded_at: datetime


def evidence_id(owner_kind: OwnerKind, owner_id: str, sha256: str) -> str:
    return str(uuid.uuid5(_NAMESPACE, f"{owner_kind}:{owner_id}:{sha256}"))


_COLUMNS = (
    "evidence_id::text AS evidence_id, complaint_id, owner_kind, owner_id, filename,"
    " media_type, size_bytes, sha256, uploaded_by, uploaded_at"
)


async def attach(
    db: Queryable,
    ring: KeyRing,
    *,
    complaint_id: str,
    owner_kind: OwnerKind,
    owner_id: str,
    filename: str,
    media_type: str,
    content: bytes,
    uploaded_by: str,
) -> tuple[Evidence, bool]:
    """Store the content sealed; (the attachment, whether this call created it). The type
    must be what the content is and the name a safe one (`infra.evidence_files`; the API
    refuses both with a 4xx before they get here)."""
    filename = evidence_files.safe_filename(filename)
    if evidence_files.detect(content) != evidence_files.canonical(media_type):
        raise evidence_files.Unacceptable(422, f"Content-Type: the content is not {media_type}")
    digest = hashlib.sha256(content).hexdigest()
    eid = evidence_id(owner_kind, owner_id, digest)
    key_id, blob = at_rest.seal(ring, content, eid)
    row = await db.fetchrow(
        "INSERT INTO evidence (evidence_id, complaint_id, owner_kind, owner_id, filename,"
        " media_type, size_bytes, sha256, key_id, sealed, uploaded_by)"
        " VALUES ($1::uuid, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)"
        f" ON CONFLICT DO NOTHING RETURNING {_COLUMNS}",
        eid,
        complaint_id,
        owner_kind,
        owner_id,
        filename,
        media_type,
        len(content),
        digest,
        key_id,
        blob,
        uploaded_by,
    )
    if row is not None:
        return Evidence(**dict(row)), True
    existing = await find(db, eid)
    assert existing is not None
    return existing, False


async def find(db: Queryable, eid: str) -> Evidence | None:
    try:
        uuid.UUID(eid)
    except ValueError:
        return None
    row = await db.fetchrow(f"SELECT {_COLUMNS} FROM evidence WHERE evidence_id = $1::uuid", eid)
    return Evidence(**dict(row)) if row is not None else None


async def listed(
    db: Queryable, complaint_id: str, owner_kind: OwnerKind | None = None
) -> list[Evidence]:
    """A case's attachments (and its appeals'), oldest first."""
    rows = await db.fetch(
        f"SELECT {_COLUMNS} FROM evidence WHERE complaint_id = $1"
        " AND ($2::text IS NULL OR owner_kind = $2) ORDER BY uploaded_at, evidence_id",
        complaint_id,
        owner_kind,
    )
    return [Evidence(**dict(r)) for r in rows]


async def content(db: Queryable, ring: KeyRing, eid: str) -> bytes | None:
    """The attachment's bytes, opened (checked against its hash), or None if unknown."""
    row = await db.fetchrow(
        "SELECT key_id, sealed, sha256 FROM evidence WHERE evidence_id = $1::uuid", eid
    )
    if row is None:
        return None
    data = at_rest.open_sealed(ring, row["key_id"], bytes(row["sealed"]), eid)
    if hashlib.sha256(data).hexdigest() != row["sha256"]:
        raise ValueError(f"evidence {eid} does not match its recorded hash")
    return data


async def missing(
    db: Queryable,
    ids: Iterable[str],
    *,
    owner_kind: OwnerKind,
    owner_id: str,
    complaint_id: str | None = None,
) -> list[str]:
    """The ids among `ids` that are not evidence of this owner (and of this complaint, when
    given): unknown, malformed, or attached to something else, in the order given; empty:
    all are."""
    wanted = list(dict.fromkeys(ids))
    canonical = {eid: _canonical(eid) for eid in wanted}
    rows = await db.fetch(
        "SELECT evidence_id::text AS id FROM evidence WHERE evidence_id = ANY($1::uuid[])"
        " AND owner_kind = $2 AND owner_id = $3 AND ($4::text IS NULL OR complaint_id = $4)",
        [c for c in canonical.values() if c is not None],
        owner_kind,
        owner_id,
        complaint_id,
    )
    found = {r["id"] for r in rows}
    return [eid for eid in wanted if canonical[eid] not in found]


def _canonical(eid: str) -> str | None:
    """The id as PostgreSQL prints a uuid (any case, braces or none), None if not one."""
    try:
        return str(uuid.UUID(eid))
    except ValueError:
        return None
