"""The HTTP API's keys (`api_keys`): only each secret's hash is stored (`api.auth` hashes).

A key names a person or a system, its roles, and optionally the branches it may act for (its
scope; NULL: every branch), and may have a personal codec endpoint for the Web UI: a token of
its own, also stored hashed."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

import asyncpg

from infra.postgres import Queryable


@dataclass(frozen=True)
class StoredKey:
    """A key as listed: never its hash."""

    key_id: str
    name: str
    roles: list[str]
    branches: list[str] | None
    created_at: datetime
    revoked_at: datetime | None
    ui_endpoint: bool  # has a personal codec endpoint for the Web UI


@dataclass(frozen=True)
class ActiveKey:
    """What checking a presented key needs: its hash, name, roles and scope."""

    key_hash: str
    name: str
    roles: list[str]
    branches: list[str] | None
    ui_token_hash: str | None


async def insert_key(
    db: Queryable,
    key_id: str,
    key_hash: str,
    name: str,
    roles: list[str],
    branches: list[str] | None = None,
) -> bool:
    """Store a new key; False when the id is taken already (the caller draws another)."""
    try:
        await db.execute(
            "INSERT INTO api_keys (key_id, key_hash, name, roles, branches)"
            " VALUES ($1, $2, $3, $4, $5)",
            key_id,
            key_hash,
            name,
            roles,
            branches,
        )
    except asyncpg.UniqueViolationError:
        return False
    return True


async def revoke_key(db: Queryable, key_id: str) -> datetime | None:
    """Revoke a key, keeping the first revocation time; that time, or None for no such key."""
    revoked_at: datetime | None = await db.fetchval(
        "UPDATE api_keys SET revoked_at = coalesce(revoked_at, now()) WHERE key_id = $1"
        " RETURNING revoked_at",
        key_id,
    )
    return revoked_at


async def all_keys(db: Queryable) -> list[StoredKey]:
    """Every key, revoked ones included, oldest first."""
    rows = await db.fetch(
        "SELECT key_id, name, roles, branches, created_at, revoked_at,"
        " ui_token_hash IS NOT NULL AS ui_endpoint FROM api_keys ORDER BY created_at, key_id"
    )
    return [StoredKey(**dict(r)) for r in rows]


async def active_key(db: Queryable, key_id: str) -> ActiveKey | None:
    """The key `key_id` if it exists and is not revoked."""
    row = await db.fetchrow(
        "SELECT key_hash, name, roles, branches, ui_token_hash FROM api_keys"
        " WHERE key_id = $1 AND revoked_at IS NULL",
        key_id,
    )
    return None if row is None else ActiveKey(**dict(row))


async def set_ui_token(db: Queryable, key_id: str, token_hash: str) -> bool:
    """Give an active key a (new) personal codec endpoint token; False if there is no such
    active key. The endpoint it replaces stops working at once."""
    done: str | None = await db.fetchval(
        "UPDATE api_keys SET ui_token_hash = $2 WHERE key_id = $1 AND revoked_at IS NULL"
        " RETURNING key_id",
        key_id,
        token_hash,
    )
    return done is not None
