"""Request bodies limited while they arrive, per route (docs/input.md).

A pure ASGI middleware. When the app first reads the body, the router has chosen the route
(`scope["route"]`: the pattern `/v1/complaints/{complaint_id}/evidence` itself, not a path
that merely ends like it). That route's limit applies (the default otherwise), to the
declared `Content-Length` (refused unread) and to the bytes of every `http.request` message,
chunked or not. The message that passes the limit is never handed on; the caller gets a 413
with a `Problem` body. Nothing past the limit is read.

Not Starlette's `RequestBodyLimitMiddleware`: its limits are fixed when a route is declared
(ours come from the settings given to `create_app`), it runs the endpoint before refusing a
declared length that is too long, and its 413 is plain text.
"""

from __future__ import annotations

from collections.abc import Mapping

from starlette.exceptions import HTTPException
from starlette.responses import JSONResponse
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from api.models import Problem

RouteKey = tuple[str, str]  # (method, the route's path pattern)


class BodyTooLarge(HTTPException):
    """Raised from `receive` inside the app: FastAPI passes an HTTPException through its body
    parsing unchanged, so the app's own handler answers it (JSON, `{"detail": ...}`)."""

    def __init__(self, detail: str) -> None:
        super().__init__(413, detail)


class BodyLimit:
    def __init__(
        self,
        app: ASGIApp,
        *,
        default: int,
        per_route: Mapping[RouteKey, int],
        describe: Mapping[RouteKey, str] | None = None,
    ) -> None:
        self.app = app
        self.default = default
        self.per_route = dict(per_route)
        self.describe = dict(describe or {})

    def limit_for(self, scope: Scope) -> tuple[int, str]:
        """The limit of the route the router chose for this request (`scope["route"]`, set
        before the endpoint reads its body), and how a refusal says it."""
        key = (scope["method"], getattr(scope.get("route"), "path", ""))
        limit = self.per_route.get(key, self.default)
        what = self.describe.get(key, "the request body may be at most")
        return limit, f"{what} {limit} bytes"

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        length = _content_length(scope)
        if length is not None and not length.isdigit():
            await _problem(413, "Content-Length is not a number of bytes")(scope, receive, send)
            return
        declared = int(length) if length is not None else 0
        received = 0
        started = False

        async def limited_receive() -> Message:
            nonlocal received
            limit, detail = self.limit_for(scope)
            if declared > limit:  # refused unread
                raise BodyTooLarge(detail)
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > limit:
                    raise BodyTooLarge(detail)
            return message

        async def tracked_send(message: Message) -> None:
            nonlocal started
            started = started or message["type"] == "http.response.start"
            await send(message)

        try:
            await self.app(scope, limited_receive, tracked_send)
        except BodyTooLarge as refused:
            if started:  # the app answered before it read on: nothing more to say
                raise
            await _problem(413, refused.detail)(scope, receive, send)


def _content_length(scope: Scope) -> str | None:
    for name, value in scope.get("headers", ()):
        if name == b"content-length":
            text: str = value.decode("latin-1").strip()
            return text
    return None


def _problem(status: int, detail: str) -> JSONResponse:
    return JSONResponse(Problem(detail=detail).model_dump(), status_code=status)
