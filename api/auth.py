"""Bearer API keys for the HTTP API: each key maps to a name and a set of roles.

A key reads `ck_<key_id>_<secret>`:

- `key_id`: 8 lower-case hex characters (`secrets.token_hex(4)`; any 8 of `[0-9a-z]` parse),
  public: it names the key in listings and logs, and it is the primary key of `api_keys`;
- `secret`: `secrets.token_urlsafe(32)`, i.e. 32 random bytes as 43 URL-safe characters (which
  may include `_`: the token is split on the first two underscores only).

A key may be limited to some branches (`branches`: a supervisor of Shanghai Pudong does not
act on a Beijing case; none: every branch). A key may also have a personal codec endpoint for
the Web UI, which carries its own token in the URL (`cu_<key_id>_<secret>`, stored hashed,
replaced by `create_ui_token`, gone with the key): the dev server's UI has no login, so that
URL is how the UI says who is acting (api/codec.py).

Only `sha256(secret)` (hex) is stored. A fast, unsalted hash is right here, unlike for
passwords: the secret is 256 bits from the OS's CSPRNG, so neither a dictionary nor a brute
force over the hash can find it, and a slow KDF would only cost CPU on every request. The full
key exists in clear once, as `create_key` returns it. Hashes are compared with
`hmac.compare_digest`.

Successful lookups are cached in this process for `CACHE_SECONDS` (5 s), per pool: the secret
is still checked against the cached hash on every request, failures are never cached (a new
key works at once), and `revoke_key` in this process drops the key from the cache at once. A
key revoked elsewhere (another process, the CLI, plain SQL) is refused here within
`CACHE_SECONDS` at most.

In FastAPI: `identity: Identity = Depends(require(Role.SUPERVISOR))` (any one of the roles
listed; no role implies another) or `Depends(require())` (any valid key); the pool is
`request.app.state.pool`. 401 (with `WWW-Authenticate: Bearer`) without a valid key, 403
without a needed role; `detail` says which.
"""

from __future__ import annotations

import hashlib
import hmac
import re
import secrets
import time
from collections.abc import Awaitable, Callable, Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import Annotated

import asyncpg
import structlog
from fastapi import Depends, HTTPException, Request, Security, status
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from pydantic import BaseModel, ConfigDict, field_serializer

from domain.vocabulary import Role
from ledger import keys

log = structlog.get_logger("auth")

PREFIX = "ck"
UI_PREFIX = "cu"  # a personal codec endpoint's token
CACHE_SECONDS = 5.0
CACHE_SIZE = 1024
_TOKEN = re.compile(rf"{PREFIX}_([0-9a-z]{{8}})_([A-Za-z0-9_-]{{43,128}})")
_UI_TOKEN = re.compile(rf"{UI_PREFIX}_([0-9a-z]{{8}})_([A-Za-z0-9_-]{{43,128}})")
_KEY_ID = re.compile(r"[0-9a-z]{8}")
_SCHEME = HTTPBearer(
    auto_error=False,  # only so that OpenAPI shows the scheme: `current_identity` decides
    description="An API key: `Authorization: Bearer ck_<key_id>_<secret>`",
)


def in_order(roles: Iterable[Role]) -> list[Role]:
    """Roles in the order `Role` declares them (system, handler, supervisor, senior_manager,
    auditor)."""
    return sorted(set(roles), key=list(Role).index)


class _Keyed(BaseModel):
    model_config = ConfigDict(frozen=True)

    @field_serializer("roles", check_fields=False)
    def _roles_in_order(self, roles: frozenset[Role]) -> list[Role]:
        return in_order(roles)  # JSON gets a stable list, not a set's arbitrary order


class Identity(_Keyed):
    """Who called: the key's name and id, its roles and scope (None: every branch)."""

    name: str
    key_id: str
    roles: frozenset[Role]
    branches: frozenset[str] | None = None

    def has(self, *roles: Role) -> bool:
        """Whether this identity holds at least one of `roles` (none given: False)."""
        return not self.roles.isdisjoint(roles)


class KeyInfo(_Keyed):
    """A key as listed: never its secret nor its hash."""

    key_id: str
    name: str
    roles: frozenset[Role]
    branches: frozenset[str] | None = None
    created_at: datetime
    revoked_at: datetime | None
    ui_endpoint: bool = False

    @property
    def active(self) -> bool:
        return self.revoked_at is None


# ---------------------------------------------------------------------------------------------
# Keys


def _hash(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


def parse_key(token: str) -> tuple[str, str] | None:
    """`(key_id, secret)` of a well-formed key, else None."""
    match = _TOKEN.fullmatch(token)
    return (match[1], match[2]) if match else None


def _roles(values: Iterable[str], key_id: str) -> frozenset[Role]:
    known = {r.value for r in Role}
    unknown = sorted(set(values) - known)
    if unknown:  # a row edited by hand: the unknown role grants nothing
        log.warning("api key has unknown roles, ignored", key_id=key_id, roles=unknown)
    return frozenset(Role(v) for v in values if v in known)


async def create_key(
    pool: asyncpg.Pool,
    name: str,
    roles: Iterable[Role],
    branches: Iterable[str] | None = None,
) -> str:
    """Create a key (`branches`: its scope; None: every branch); return it in full (the only
    time it exists in clear)."""
    name = name.strip()
    wanted = in_order(Role(r) for r in roles)
    scope = None if branches is None else sorted({b.strip() for b in branches if b.strip()})
    if not name:
        raise ValueError("an API key needs a name")
    if not wanted:
        raise ValueError("an API key needs at least one role")
    if scope == []:
        raise ValueError("a key limited to branches needs at least one branch")
    secret = secrets.token_urlsafe(32)
    for _ in range(5):  # 2**32 ids: a clash is rare, but the primary key would refuse it
        key_id = secrets.token_hex(4)
        roles_ = [r.value for r in wanted]
        if not await keys.insert_key(pool, key_id, _hash(secret), name, roles_, scope):
            continue
        log.info("api key created", key_id=key_id, name=name, roles=roles_, branches=scope)
        return f"{PREFIX}_{key_id}_{secret}"
    raise RuntimeError("could not find a free key id")


async def create_ui_token(pool: asyncpg.Pool, key_id: str) -> str | None:
    """A new personal codec endpoint token for an active key (the previous one stops working);
    None if there is no such active key. The token exists in clear only here."""
    if not _KEY_ID.fullmatch(key_id):
        return None
    secret = secrets.token_urlsafe(32)
    if not await keys.set_ui_token(pool, key_id, _hash(secret)):
        return None
    _forget(key_id)
    log.info("personal codec endpoint made", key_id=key_id)
    return f"{UI_PREFIX}_{key_id}_{secret}"


async def revoke_key(pool: asyncpg.Pool, key_id: str) -> bool:
    """Revoke a key (at once in this process). False if there is no such key.

    Revoking a revoked key is a no-op that keeps the first `revoked_at` (and returns True).
    """
    if not _KEY_ID.fullmatch(key_id):
        return False
    revoked_at = await keys.revoke_key(pool, key_id)
    _forget(key_id)
    if revoked_at is None:
        return False
    log.info("api key revoked", key_id=key_id)
    return True


async def list_keys(pool: asyncpg.Pool) -> list[KeyInfo]:
    """Every key, revoked ones included, oldest first."""
    return [
        KeyInfo(
            key_id=k.key_id,
            name=k.name,
            roles=_roles(k.roles, k.key_id),
            branches=None if k.branches is None else frozenset(k.branches),
            created_at=k.created_at,
            revoked_at=k.revoked_at,
            ui_endpoint=k.ui_endpoint,
        )
        for k in await keys.all_keys(pool)
    ]


async def authenticate(pool: asyncpg.Pool, token: str) -> Identity | None:
    """The identity of a key; None if it is malformed, unknown, revoked or its secret wrong."""
    parsed = parse_key(token)
    if parsed is None:
        return None
    key_id, secret = parsed
    digest = _hash(secret)
    cached = _recall(pool, key_id)
    if cached is not None:
        return cached.identity if hmac.compare_digest(digest, cached.key_hash) else None
    stored = await keys.active_key(pool, key_id)
    if stored is None or not hmac.compare_digest(digest, stored.key_hash):
        return None
    identity = _identity(stored, key_id)
    _remember(pool, key_id, stored.key_hash, identity)
    return identity


async def authenticate_ui(pool: asyncpg.Pool, token: str) -> Identity | None:
    """The identity behind a personal codec endpoint's token; None if malformed, unknown,
    replaced, revoked with its key, or its secret wrong."""
    match = _UI_TOKEN.fullmatch(token)
    if match is None:
        return None
    key_id, digest = match[1], _hash(match[2])
    cached = _recall(pool, f"ui:{key_id}")
    if cached is not None:
        return cached.identity if hmac.compare_digest(digest, cached.key_hash) else None
    stored = await keys.active_key(pool, key_id)
    if stored is None or stored.ui_token_hash is None:
        return None
    if not hmac.compare_digest(digest, stored.ui_token_hash):
        return None
    identity = _identity(stored, key_id)
    _remember(pool, f"ui:{key_id}", stored.ui_token_hash, identity)
    return identity


def _identity(stored: keys.ActiveKey, key_id: str) -> Identity:
    branches = None if stored.branches is None else frozenset(stored.branches)
    return Identity(
        name=stored.name, key_id=key_id, roles=_roles(stored.roles, key_id), branches=branches
    )


# ---------------------------------------------------------------------------------------------
# The cache of successful lookups (see the module's docstring)


@dataclass(frozen=True)
class _Cached:
    pool: asyncpg.Pool  # the very pool (an id alone could be reused by a later pool)
    key_hash: str
    identity: Identity
    expires: float


_cache: dict[tuple[int, str], _Cached] = {}


def _recall(pool: asyncpg.Pool, key_id: str) -> _Cached | None:
    entry = _cache.get((id(pool), key_id))
    if entry is None:
        return None
    if entry.pool is not pool or entry.expires <= time.monotonic():
        del _cache[(id(pool), key_id)]
        return None
    return entry


def _remember(pool: asyncpg.Pool, key_id: str, key_hash: str, identity: Identity) -> None:
    if CACHE_SECONDS <= 0:
        return
    now = time.monotonic()
    if len(_cache) >= CACHE_SIZE:
        for k in [k for k, e in _cache.items() if e.expires <= now]:
            del _cache[k]
        if len(_cache) >= CACHE_SIZE:
            _cache.clear()
    _cache[(id(pool), key_id)] = _Cached(pool, key_hash, identity, now + CACHE_SECONDS)


def _forget(key_id: str) -> None:
    for k in [k for k in _cache if k[1] in (key_id, f"ui:{key_id}")]:
        del _cache[k]


def clear_cache() -> None:
    """Forget every cached lookup (tests; or after revoking keys by hand in SQL)."""
    _cache.clear()


# ---------------------------------------------------------------------------------------------
# FastAPI dependencies


def _unauthorized(detail: str, error: str | None = None) -> HTTPException:
    challenge = f'Bearer error="{error}"' if error else "Bearer"
    return HTTPException(
        status.HTTP_401_UNAUTHORIZED, detail=detail, headers={"WWW-Authenticate": challenge}
    )


async def current_identity(request: Request) -> Identity:
    """The caller's identity from `Authorization: Bearer <key>`, or 401."""
    header = request.headers.get("Authorization")
    if not header or not header.strip():
        raise _unauthorized(
            "missing API key: send the header 'Authorization: Bearer ck_<key_id>_<secret>'"
        )
    scheme, _, token = header.strip().partition(" ")
    if scheme.lower() != "bearer":
        raise _unauthorized(
            f"unsupported authorization scheme {scheme[:20]!r}: "
            "send 'Authorization: Bearer ck_<key_id>_<secret>'",
            "invalid_request",
        )
    token = token.strip()
    if parse_key(token) is None:
        raise _unauthorized(
            "malformed API key: expected 'ck_<key_id>_<secret>' after 'Bearer '", "invalid_token"
        )
    pool: asyncpg.Pool | None = getattr(request.app.state, "pool", None)
    if pool is None:
        raise RuntimeError("app.state.pool is not set: the API keys cannot be checked")
    identity = await authenticate(pool, token)
    if identity is None:
        raise _unauthorized("invalid API key: unknown, revoked, or wrong secret", "invalid_token")
    return identity


def require(*roles: Role) -> Callable[..., Awaitable[Identity]]:
    """A dependency admitting a valid key holding any one of `roles` (none given: any key)."""
    needed = tuple(dict.fromkeys(Role(r) for r in roles))  # a typo fails at import, not later

    async def dependency(
        identity: Annotated[Identity, Depends(current_identity)],
        _scheme: Annotated[HTTPAuthorizationCredentials | None, Security(_SCHEME)],
    ) -> Identity:
        if needed and not identity.has(*needed):
            wanted = ", ".join(r.value for r in needed)
            held = ", ".join(r.value for r in in_order(identity.roles)) or "none"
            raise HTTPException(
                status.HTTP_403_FORBIDDEN,
                detail=(
                    f"this needs the role {wanted}"
                    if len(needed) == 1
                    else f"this needs one of the roles {wanted}"
                )
                + f"; the API key {identity.name!r} has: {held}",
            )
        return identity

    dependency.__name__ = "require_" + ("_or_".join(r.value for r in needed) or "any_key")
    return dependency


__all__ = [
    "Identity",
    "KeyInfo",
    "authenticate",
    "authenticate_ui",
    "clear_cache",
    "create_key",
    "create_ui_token",
    "current_identity",
    "in_order",
    "list_keys",
    "parse_key",
    "require",
    "revoke_key",
]
