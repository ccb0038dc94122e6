"""Signing in and out of the desk: `/desk/login`, `/desk/logout` (api/desk/session.py says
how a session is kept)."""

from __future__ import annotations

from typing import Annotated

import asyncpg
from fastapi import APIRouter, HTTPException, Query, Request
from fastapi.responses import RedirectResponse, Response

from api.auth import authenticate
from api.desk import session
from api.desk.config import settings
from api.desk.pages import DeskRoute, render

router = APIRouter(route_class=DeskRoute, include_in_schema=False)


def _safe_next(target: str | None) -> str:
    """Only a desk page of this site (never `//elsewhere`)."""
    if target and target.startswith("/desk") and not target.startswith("//"):
        return target
    return "/desk/queue/mine"


def _dev_key(request: Request) -> str | None:
    path = settings(request).dev_key_file
    try:
        return path.read_text().strip() if path is not None else None
    except OSError:
        return None


@router.get("/desk/login")
async def login_page(
    request: Request, next: Annotated[str | None, Query(max_length=500)] = None
) -> Response:
    return _login(request, next, None, 200)


def _login(request: Request, target: str | None, error: str | None, status: int) -> Response:
    s = settings(request)
    answer = Response()  # collects the pre-session cookie, copied onto the page
    token = session.pre_session(request, answer, s)
    page = render(
        request,
        "login.html",
        None,
        status,
        login_csrf=token,
        next=_safe_next(target),
        dev=_dev_key(request) is not None,
        oidc=s.oidc is not None,
        error=error,
    )
    page.headers.append("set-cookie", answer.headers["set-cookie"])
    return page


@router.post("/desk/login")
async def login(request: Request) -> Response:
    s = settings(request)
    form = await request.form()
    if not session.pre_session_ok(request, s, str(form.get("csrf") or "")):
        raise HTTPException(403, "the sign-in form's CSRF token is missing or stale: reload it")
    target = str(form.get("next") or "")
    key = _dev_key(request) if form.get("dev") else str(form.get("key") or "").strip()
    pool: asyncpg.Pool = request.app.state.pool
    identity = await authenticate(pool, key) if key else None
    if identity is None or key is None:
        return _login(
            request,
            target,
            "API 密钥无效、未知或已吊销 / the API key is unknown, revoked or mistyped",
            401,
        )
    answer = RedirectResponse(_safe_next(target), status_code=303)
    session.set_session(answer, s, key)
    answer.delete_cookie(session.PRE_COOKIE, path="/desk")
    return answer


@router.post("/desk/logout")
async def logout(request: Request) -> Response:
    """Ends the session (its form carries the CSRF token; without a session: nothing to end)."""
    try:
        who = await session.person(request)
    except HTTPException:
        who = None
    if who is not None:
        await session.checked_form(request, who)
    answer = RedirectResponse("/desk/login", status_code=303)
    session.end_session(answer, settings(request))
    return answer
