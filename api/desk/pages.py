"""How the desk answers: Jinja2 templates (`api/desk/templates/`), times in the branch's zone
to the minute, and errors as pages.

`DeskRoute` is the desk's route class: an error (404 of a case outside the person's branches,
403, 409) is a page in words for a browser (`Accept: text/html`), and the API's JSON problem
for any other client, so scripts and the route matrix (tests/integration/test_api_scope.py)
read the same answers as from `/v1`. A redirect (to the sign-in page) stays a redirect.
"""

from __future__ import annotations

from collections.abc import Callable, Coroutine
from datetime import datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from fastapi import HTTPException, Request
from fastapi.responses import Response
from fastapi.routing import APIRoute
from fastapi.templating import Jinja2Templates

from api.desk import words
from api.desk.config import settings
from api.desk.session import Person
from notices import wording

TEMPLATES = Jinja2Templates(directory=str(Path(__file__).parent / "templates"))
TEMPLATES.env.globals["words"] = words


def local(moment: datetime | None, zone: ZoneInfo) -> str:
    """`2026-12-08 10:30`: an instant in the zone, to the minute ("" for None)."""
    return "" if moment is None else f"{moment.astimezone(zone):%Y-%m-%d %H:%M}"


TEMPLATES.env.filters["local"] = local
# The case's own words name exact instants, some in UTC: each in the branch's zone, to the minute.
TEMPLATES.env.filters["in_zone"] = wording.local_minutes


def render(
    request: Request,
    template: str,
    who: Person | None,
    status_code: int = 200,
    **context: Any,
) -> Response:
    s = settings(request)
    return TEMPLATES.TemplateResponse(
        request,
        template,
        {"who": who, "zone": s.zone, "csrf": who.csrf if who else "", **context},
        status_code=status_code,
    )


def wants_html(request: Request) -> bool:
    return "text/html" in request.headers.get("accept", "")


class DeskRoute(APIRoute):
    """A route whose errors are pages for a browser (see the module's docstring)."""

    def get_route_handler(self) -> Callable[[Request], Coroutine[Any, Any, Response]]:
        handle = super().get_route_handler()

        async def handler(request: Request) -> Response:
            try:
                return await handle(request)
            except HTTPException as err:
                if 300 <= err.status_code < 400 or not wants_html(request):
                    raise
                return render(
                    request,
                    "error.html",
                    None,
                    err.status_code,
                    status=err.status_code,
                    detail=err.detail,
                )

        return handler
