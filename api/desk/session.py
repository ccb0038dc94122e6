"""Who is at the desk: the person behind every page, the sign-in, and the CSRF tokens.

A person reaches the desk in one of three ways, each the API's own identity (`api.auth`):

1. a session cookie set by the sign-in page (`/desk/login`: an API key pasted, or in
   `make run` the launcher's dev key, read on the server). The cookie `desk_session` is
   HttpOnly, SameSite=Strict (Secure behind HTTPS) and holds the API key sealed with AES-GCM
   under a key derived from `COMPLAINTS_DESK_SECRET`: encrypted (the secret never in clear in
   the browser) and authenticated (a changed cookie opens to nothing), with a random session
   id and its issue time. Why the key itself and not a server-side session row: every request
   checks the key again through `api.auth.authenticate`, so a revoked key ends its sessions
   within the auth cache's 5 seconds, with no session table to migrate, clean up or share
   between API processes; the desk's secret alone decides, and rotating it signs everyone out.
2. behind a sign-in proxy (e.g. oauth2-proxy with `--pass-access-token`) the person's OIDC
   access token in `X-Forwarded-Access-Token`, verified by `api/oidc.py` (issuer, audience,
   expiry, signature) and mapped to a person by its claims, as at the codec server.
3. `Authorization: Bearer ck_...`: an API key sent by a script (never ambient in a browser).

Every state-changing form carries a CSRF token (a synchronizer token, stateless): HMAC of the
session id (or the OIDC subject) under the desk's secret, checked on each POST; a form without
it, or with another session's, is refused 403 before anything is read. A request with an API
key in its `Authorization` header needs none: a browser never sends that header by itself.
The sign-in form's token is bound to a pre-session cookie `desk_pre`.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import secrets
import time
from dataclasses import dataclass
from typing import Annotated, Any
from urllib.parse import quote

import asyncpg
from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from fastapi import Depends, HTTPException, Request
from fastapi.responses import Response

from api.auth import Identity, authenticate, current_identity
from api.desk.config import DeskSettings, settings

COOKIE = "desk_session"
PRE_COOKIE = "desk_pre"  # binds the sign-in form's CSRF token before there is a session
OIDC_HEADER = "X-Forwarded-Access-Token"
_AAD = b"complaints-desk-session-1"


@dataclass(frozen=True)
class Person:
    """Who is signed in: their identity (the API's), how they came, and the CSRF token their
    forms carry ("" for an API key in a header: no token needed)."""

    identity: Identity
    via: str  # "session", "oidc" or "key"
    csrf: str


def _derive(secret: bytes, purpose: str) -> bytes:
    return hmac.new(secret, purpose.encode(), hashlib.sha256).digest()


def seal(s: DeskSettings, api_key: str) -> str:
    """The cookie's value for a signed-in key: AES-GCM(key, session id, issued at)."""
    body = json.dumps({"k": api_key, "s": secrets.token_urlsafe(16), "t": int(time.time())})
    nonce = secrets.token_bytes(12)
    sealed = AESGCM(_derive(s.secret, "cookie")).encrypt(nonce, body.encode(), _AAD)
    return base64.urlsafe_b64encode(nonce + sealed).decode().rstrip("=")


def unseal(s: DeskSettings, value: str) -> dict[str, Any] | None:
    """The cookie's content; None when forged, changed, sealed under another secret or
    expired."""
    try:
        raw = base64.urlsafe_b64decode(value + "=" * (-len(value) % 4))
        body = AESGCM(_derive(s.secret, "cookie")).decrypt(raw[:12], raw[12:], _AAD)
        content: dict[str, Any] = json.loads(body)
    except (ValueError, InvalidTag):
        return None
    if not isinstance(content.get("k"), str) or not isinstance(content.get("s"), str):
        return None
    if time.time() - float(content.get("t", 0)) > s.session_hours * 3600:
        return None
    return content


def csrf_token(s: DeskSettings, anchor: str) -> str:
    digest = hmac.new(_derive(s.secret, "csrf"), anchor.encode(), hashlib.sha256).digest()
    return base64.urlsafe_b64encode(digest).decode().rstrip("=")


def sign_in_needed(request: Request) -> HTTPException:
    """To the sign-in page, and back here after."""
    target = request.url.path + (f"?{request.url.query}" if request.url.query else "")
    return HTTPException(
        303, "sign in first", headers={"Location": f"/desk/login?next={quote(target, safe='')}"}
    )


async def person(request: Request) -> Person:
    """The signed-in person, or a redirect to the sign-in page (303)."""
    s = settings(request)
    if request.headers.get("Authorization"):
        return Person(await current_identity(request), "key", "")
    token = request.headers.get(OIDC_HEADER)
    if token and s.oidc is not None:
        identity = await s.oidc.identity(token.strip())
        if identity is None:
            raise HTTPException(401, "the sign-in proxy's access token was not accepted")
        return Person(identity, "oidc", csrf_token(s, identity.key_id))
    cookie = request.cookies.get(COOKIE)
    content = unseal(s, cookie) if cookie else None
    if content is not None:
        pool: asyncpg.Pool = request.app.state.pool
        identity = await authenticate(pool, content["k"])
        if identity is not None:
            return Person(identity, "session", csrf_token(s, content["s"]))
    raise sign_in_needed(request)


Signed = Annotated[Person, Depends(person)]


async def checked_form(request: Request, who: Person) -> Any:
    """The POSTed form, once its CSRF token is the person's: else 403, nothing read further."""
    form = await request.form()
    if who.via == "key":
        return form
    sent = str(form.get("csrf") or "")
    if not sent or not hmac.compare_digest(sent, who.csrf):
        raise HTTPException(403, "the form's CSRF token is missing or not yours: reload the page")
    return form


def set_session(response: Response, s: DeskSettings, api_key: str) -> None:
    response.set_cookie(
        COOKIE,
        seal(s, api_key),
        max_age=int(s.session_hours * 3600),
        path="/desk",
        httponly=True,
        samesite="strict",
        secure=s.secure_cookie,
    )


def end_session(response: Response, s: DeskSettings) -> None:
    response.delete_cookie(
        COOKIE, path="/desk", httponly=True, samesite="strict", secure=s.secure_cookie
    )


def pre_session(request: Request, response: Response, s: DeskSettings) -> str:
    """The sign-in form's CSRF token, bound to the pre-session cookie (made when missing)."""
    anchor = request.cookies.get(PRE_COOKIE) or secrets.token_urlsafe(16)
    response.set_cookie(
        PRE_COOKIE,
        anchor,
        max_age=3600,
        path="/desk",
        httponly=True,
        samesite="strict",
        secure=s.secure_cookie,
    )
    return csrf_token(s, "pre:" + anchor)


def pre_session_ok(request: Request, s: DeskSettings, sent: str) -> bool:
    anchor = request.cookies.get(PRE_COOKIE)
    if not anchor or not sent:
        return False
    return hmac.compare_digest(sent, csrf_token(s, "pre:" + anchor))
