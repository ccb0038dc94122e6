"""The dev server's Web UI behind a guard: no Terminate, no Reset, no Cancel, no batch actions.

A case ends only through its own actions (close, withdraw). Terminate and reset end or rewind
a workflow from outside, and no workflow code can refuse them; a batch operation does the same
to thousands at once. The standalone UI server has settings to hide them (`docs/operations.md`;
the deployment files set them), but `temporal server start-dev` builds its UI's configuration
in code and takes none of them (CLI 1.9.1: only `--ui-codec-endpoint`, `--ui-public-path`,
`--ui-asset-path`, `--ui-disable-news-fetch`; the UI's `TEMPORAL_*` variables are not read).

So the launcher runs the embedded UI on an internal loopback port and serves the public UI
port through this reverse proxy (Starlette + httpx, already dependencies), which
- answers the UI's settings (`GET /api/v1/settings`) with those actions disabled, so the UI
  shows no such buttons or menu items, and
- refuses (403) the UI server's HTTP API calls that would run them anyway (a stale page, a
  hand-made request): `POST .../workflows/{id}/terminate|reset|cancel` and any write to
  `.../batch-operations`, so it is enforced, not only hidden.

Everything else (pages, assets, signals, updates, queries, the codec settings) passes through
unchanged. This guards the Web UI only: the gRPC port still takes any call, which is what the
server-side authorizer in `docs/operations.md` is for in production.
"""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import httpx
from starlette.applications import Starlette
from starlette.background import BackgroundTask
from starlette.requests import Request
from starlette.responses import JSONResponse, Response, StreamingResponse
from starlette.routing import Route

SETTINGS_PATH = "/api/v1/settings"
# The UI's settings (ui-server `settingsResponse`, UI 2.54) this guard turns on.
DISABLED_SETTINGS = {
    "WorkflowTerminateDisabled": True,
    "WorkflowResetDisabled": True,
    "WorkflowCancelDisabled": True,
    "BatchActionsDisabled": True,
}
# The last path segment of the HTTP API's workflow actions refused (temporal/api service.proto:
# /api/v1/namespaces/{namespace}/workflows/{workflow_id}/terminate, .../reset, .../cancel).
REFUSED_WORKFLOW_ACTIONS = frozenset({"terminate", "reset", "cancel"})
READ_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
# Headers some frameworks read to change a request's method; refused rather than trusted.
METHOD_OVERRIDES = ("x-http-method-override", "x-http-method", "x-method-override")
HOP_BY_HOP = frozenset(
    {
        "connection",
        "keep-alive",
        "proxy-authenticate",
        "proxy-authorization",
        "te",
        "trailer",
        "transfer-encoding",
        "upgrade",
        "host",
        "content-length",
    }
)


def refusal(method: str, raw_path: str, headers: httpx.Headers | dict[str, str]) -> str | None:
    """Why this request to the UI server is refused, or None to pass it on.

    Matches on the raw (still percent-encoded) path, so a workflow id holding an encoded `/`
    stays one segment, and on segments with empty ones dropped (`//`, a trailing `/`)."""
    lowered = {k.lower() for k in headers}
    if any(h in lowered for h in METHOD_OVERRIDES):
        return "method override headers are not accepted"
    if method.upper() in READ_METHODS:
        return None
    parts = [p for p in raw_path.split("/") if p]
    if parts[:3] != ["api", "v1", "namespaces"] or len(parts) < 5:
        return None
    collection = parts[4].lower()
    if collection == "batch-operations":
        return "batch operations are disabled in this Web UI"
    action = parts[6].lower() if collection == "workflows" and len(parts) >= 7 else None
    if action in REFUSED_WORKFLOW_ACTIONS:
        return (
            f"{action} is disabled in this Web UI: a complaint ends only through its own "
            "actions (close_case, withdraw)"
        )
    return None


def create_app(upstream: str) -> Starlette:
    """The guard in front of the UI server at `upstream` (`http://127.0.0.1:PORT`)."""
    # No read timeout: the UI long-polls a workflow's history (`waitNewEvent=true`).
    timeout = httpx.Timeout(10.0, read=None)
    client = httpx.AsyncClient(base_url=upstream, timeout=timeout, follow_redirects=False)

    @asynccontextmanager
    async def lifespan(_: Starlette) -> AsyncIterator[None]:
        try:
            yield
        finally:
            await client.aclose()

    async def proxy(request: Request) -> Response:
        raw_path = request.scope.get("raw_path", b"").decode("latin-1") or request.url.path
        reason = refusal(request.method, raw_path, dict(request.headers))
        if reason is not None:
            return JSONResponse({"code": 7, "message": reason}, status_code=403)
        query = request.scope.get("query_string", b"").decode("latin-1")
        headers = [(k, v) for k, v in request.headers.items() if k.lower() not in HOP_BY_HOP]
        if request.method == "GET" and raw_path == SETTINGS_PATH:
            return await _settings(client, headers)
        body = await request.body()
        sent = client.build_request(
            request.method,
            raw_path + (f"?{query}" if query else ""),
            headers=headers,
            content=body,
        )
        upstream_response = await client.send(sent, stream=True)
        response = StreamingResponse(
            upstream_response.aiter_raw(),
            status_code=upstream_response.status_code,
            background=BackgroundTask(upstream_response.aclose),
        )
        response.raw_headers = [
            (k.encode("latin-1"), v.encode("latin-1"))
            for k, v in upstream_response.headers.multi_items()
            if k.lower() not in HOP_BY_HOP or k.lower() == "content-length"
        ]
        return response

    methods = ["GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"]
    return Starlette(routes=[Route("/{path:path}", proxy, methods=methods)], lifespan=lifespan)


async def _settings(client: httpx.AsyncClient, headers: list[tuple[str, str]]) -> Response:
    """The UI server's settings with the guarded actions disabled (the codec endpoint and the
    rest as the server gave them)."""
    sent = [(k, v) for k, v in headers if k.lower() != "accept-encoding"]
    answer = await client.get(SETTINGS_PATH, headers=sent)
    if answer.status_code != 200:
        return Response(
            answer.content,
            status_code=answer.status_code,
            media_type=answer.headers.get("content-type"),
        )
    settings = json.loads(answer.content)
    settings.update(DISABLED_SETTINGS)
    response = JSONResponse(settings)
    for cookie in answer.headers.get_list("set-cookie"):
        response.raw_headers.append((b"set-cookie", cookie.encode("latin-1")))
    return response
