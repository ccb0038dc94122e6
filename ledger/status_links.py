"""The customer's status links (R-CU-2): issued, re-issued, revoked, looked up; and what the
status page shows, read from the ledger.

A link's token is derived, not drawn: `token_for` is HMAC-SHA256 of the case id and the link's
generation under the server's secret (`COMPLAINTS_STATUS_SECRET`), 256 bits as 43 URL-safe
characters, the shape of `secrets.token_urlsafe(32)`. Whoever holds the secret can compute a
case's live link; nobody else can guess one. The ledger keeps only `sha256(token)`
(`status_links`, migration 0017), so a copy of the database opens no page, and the clear token
is never written anywhere: not in the case's history (the acknowledgement is recorded without
it), not in the outbox. The relay derives it again when it sends a notice that carries the link
(`notices/status_links.py`), issuing the case's first link then (`link_to_send`).

Revoking marks every row of the case; re-issuing revokes and issues the next generation, whose
token differs. A link is live while it is not revoked and the review window (R-IN-7) has not
ended: before the decision it is valid; from the decision (stages callback and closed) until
30 days after it; a withdrawn case's until 30 days after the withdrawal. A review or a reopened
case is handled again, so its link is valid again until the next decision's window ends.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
from dataclasses import dataclass
from datetime import datetime, timedelta

from infra.postgres import Connection, Queryable

REVIEW_WINDOW = timedelta(days=30)  # R-IN-7
REISSUE_KEY = "status-link"  # the outbox key of a re-issued link's notice: status-link:<id>:<gen>
_CONTEXT = b"complaints status link v1\x00"  # a secret used for nothing else, but labelled anyway


def token_for(secret: bytes, complaint_id: str, generation: int) -> str:
    """The token of a case's link of `generation`: 43 URL-safe characters (256 bits)."""
    message = _CONTEXT + complaint_id.encode() + b"\x00" + str(generation).encode()
    digest = hmac.new(secret, message, hashlib.sha256).digest()
    return base64.urlsafe_b64encode(digest).rstrip(b"=").decode()


def token_hash(token: str) -> bytes:
    """What the ledger keeps of a token. A fast unsalted hash is right for 256 bits of secret
    output (as for API keys, api/auth.py): nothing can be guessed through it."""
    return hashlib.sha256(token.encode()).digest()


def reissue_key(complaint_id: str, generation: int) -> str:
    return f"{REISSUE_KEY}:{complaint_id}:{generation}"


async def _lock(conn: Connection, complaint_id: str) -> None:
    """One change to a case's links at a time (issue, re-issue, revoke), until the transaction
    ends: a revocation never races an issue into a live link."""
    await conn.execute(
        "SELECT pg_advisory_xact_lock(hashtextextended('status_links:' || $1, 0))", complaint_id
    )


async def link_to_send(conn: Connection, secret: bytes, complaint_id: str) -> str | None:
    """The token of the case's live link, for a notice that carries it: the newest generation
    not revoked, or generation 0 issued now when the case has no link yet (its
    acknowledgement). None when every link of the case was revoked (and none re-issued).
    Idempotent: the same token again, its hash inserted once (under a rotated secret, the new
    token's hash beside the old one)."""
    async with conn.transaction():
        await _lock(conn, complaint_id)
        rows = await conn.fetch(
            "SELECT generation, revoked_at FROM status_links WHERE complaint_id = $1",
            complaint_id,
        )
        live = [r["generation"] for r in rows if r["revoked_at"] is None]
        if rows and not live:
            return None
        generation = max(live, default=0)
        token = token_for(secret, complaint_id, generation)
        await conn.execute(
            "INSERT INTO status_links (token_hash, complaint_id, generation, issued_by)"
            " VALUES ($1, $2, $3, 'acknowledgement') ON CONFLICT (token_hash) DO NOTHING",
            token_hash(token),
            complaint_id,
            generation,
        )
    return token


async def revoke(conn: Connection, complaint_id: str, by: str) -> int:
    """Revoke every live link of the case; how many rows were live."""
    async with conn.transaction():
        await _lock(conn, complaint_id)
        status: str = await conn.execute(
            "UPDATE status_links SET revoked_at = now(), revoked_by = $2"
            " WHERE complaint_id = $1 AND revoked_at IS NULL",
            complaint_id,
            by,
        )
    return int(status.split()[-1])


async def reissue(conn: Connection, secret: bytes, complaint_id: str, by: str) -> tuple[int, int]:
    """Revoke the case's links and issue the next generation (in the caller's transaction, so
    that the notice carrying it is queued with it); (the new generation, links revoked)."""
    await _lock(conn, complaint_id)
    revoked: str = await conn.execute(
        "UPDATE status_links SET revoked_at = now(), revoked_by = $2"
        " WHERE complaint_id = $1 AND revoked_at IS NULL",
        complaint_id,
        by,
    )
    newest: int | None = await conn.fetchval(
        "SELECT max(generation) FROM status_links WHERE complaint_id = $1", complaint_id
    )
    generation = 0 if newest is None else newest + 1
    await conn.execute(
        "INSERT INTO status_links (token_hash, complaint_id, generation, issued_by)"
        " VALUES ($1, $2, $3, $4) ON CONFLICT (token_hash) DO NOTHING",
        token_hash(token_for(secret, complaint_id, generation)),
        complaint_id,
        generation,
        by,
    )
    return generation, int(revoked.split()[-1])


# One indexed lookup by hash for every token, known or not: an unknown, revoked or expired
# token costs the same statement and gets the same empty answer.
FIND = """
SELECT l.complaint_id FROM status_links l JOIN complaints c USING (complaint_id)
WHERE l.token_hash = $1 AND l.revoked_at IS NULL
  AND CASE c.stage
        WHEN 'callback' THEN c.decided_at + $3::interval > $2
        WHEN 'closed' THEN c.decided_at + $3::interval > $2
        WHEN 'withdrawn' THEN c.closed_at + $3::interval > $2
        ELSE true
      END
"""


async def find(db: Queryable, token: str, now: datetime) -> str | None:
    """The case whose live link `token` is at `now`; None for any other token."""
    found: str | None = await db.fetchval(FIND, token_hash(token), now, REVIEW_WINDOW)
    return found


# ---------------------------------------------------------------------------------------------
# What the page shows


@dataclass(frozen=True)
class CustomerNotice:
    """A notice the case sent the customer (one per notice, whatever its channels)."""

    at: datetime
    kind: str
    subject: str


@dataclass(frozen=True)
class StatusFacts:
    """The customer's side of a case, from the ledger: the case row, its regulatory clock,
    and the notices it sent the customer (a re-issued link's notice is not an event)."""

    complaint_id: str
    customer_name: str
    branch: str
    stage: str
    outcome: str | None
    received_at: datetime
    decided_at: datetime | None
    closed_at: datetime | None
    decision_due_at: datetime | None  # the regulatory limit (R-SLA-7) as it stands
    decision_told_at: datetime | None  # when that clock was met: the decision reached them
    notices: list[CustomerNotice]
    answer_due_at: datetime | None = None  # R-CU-3: their answer to the resolution, awaited


async def facts(db: Queryable, complaint_id: str) -> StatusFacts | None:
    row = await db.fetchrow(
        "SELECT complaint_id, customer_name, branch, stage, outcome, received_at, decided_at,"
        " closed_at FROM complaints WHERE complaint_id = $1",
        complaint_id,
    )
    if row is None:
        return None
    clock = await db.fetchrow(
        "SELECT due_at, met_at FROM sla_clocks WHERE complaint_id = $1"
        " AND clock_key = 'regulatory' ORDER BY started_at DESC LIMIT 1",
        complaint_id,
    )
    # R-CU-3: the customer's own clock, while it runs (answered or lapsed: met)
    answer_due_at = await db.fetchval(
        "SELECT due_at FROM sla_clocks WHERE complaint_id = $1"
        " AND clock_key = 'customer:response' AND met_at IS NULL"
        " ORDER BY started_at DESC LIMIT 1",
        complaint_id,
    )
    sent = await db.fetch(
        "SELECT DISTINCT ON (notice_key) notice_key, kind, subject, created_at"
        " FROM notifications WHERE complaint_id = $1 AND recipient_role = 'customer'"
        " AND notice_key NOT LIKE $2 ORDER BY notice_key, created_at",
        complaint_id,
        f"{REISSUE_KEY}:%",
    )
    notices = sorted(
        (CustomerNotice(r["created_at"], r["kind"], r["subject"]) for r in sent),
        key=lambda n: n.at,
    )
    return StatusFacts(
        **dict(row),
        decision_due_at=clock["due_at"] if clock else None,
        decision_told_at=clock["met_at"] if clock else None,
        notices=notices,
        answer_due_at=answer_due_at,
    )
