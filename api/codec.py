"""A codec server for the Temporal Web UI and CLI: they show payloads decrypted.

Temporal's remote codec protocol: `POST <endpoint>/decode` and `POST <endpoint>/encode` with
`{"payloads": [...]}` in the protobuf JSON form (`Payloads`: metadata values and data in
base64), answered in the same form; the `X-Namespace` header names the namespace. A router
serves one namespace's codec: another namespace in the header is refused (400). (UI 2.54
posts to `<endpoint>/decode?preserveStorageRefs=true`; its `/download`, for payloads in
external storage, is not served: this project stores none.)

Decoding shows customer names and full phone and ID numbers, so only staff who see them in
the API may decode (`DECODE_ROLES`: `SEES_CUSTOMER_NUMBERS` of `api/models.py`):

- `POST /codec/decode` with `Authorization: Bearer <api key>` (the CLI:
  `temporal workflow show --codec-endpoint http://host:8000/codec --codec-auth "Bearer $KEY"`;
  the UI: codec endpoint `.../codec` with "pass the user access token" when its login issues
  API keys). Encoding only needs a valid key of any role (it reveals nothing).
- `POST /codec/<token>/decode`: a capability for the dev Web UI, which has no login here. The
  token is `COMPLAINTS_CODEC_UI_TOKEN` (the dev launcher makes one in `data/`); without it
  the capability paths are off. Whoever can read the UI's settings can read the token: only
  for a UI nobody else reaches (the dev server binds 127.0.0.1).

Anything else is 401 (no or a bad key) or 403 (a key without the role, a wrong token). CORS:
the UI calls from the browser, so the allowed origins (`COMPLAINTS_CODEC_UI_ORIGINS`,
comma-separated; the dev launcher passes the UI's) get preflight answers (`OPTIONS`) and CORS
headers on every answer, errors included. It lives in the router rather than as app
middleware, so that the rest of the API is unchanged.
"""

from __future__ import annotations

import hmac
import os
import secrets
from collections.abc import Awaitable, Callable, Iterable, Mapping, Sequence
from pathlib import Path

import asyncpg
import structlog
from fastapi import APIRouter, Request, Response
from fastapi.responses import JSONResponse
from google.protobuf import json_format
from temporalio.api.common.v1 import Payload, Payloads
from temporalio.converter import PayloadCodec

from api.auth import Identity, authenticate, in_order, parse_key
from api.models import SEES_CUSTOMER_NUMBERS, Problem
from domain.models import Role
from infra.codec import CodecError, EncryptionCodec, KeyRing, write_private

log = structlog.get_logger("codec")

PREFIX = "/codec"
DECODE_ROLES: tuple[Role, ...] = SEES_CUSTOMER_NUMBERS
ENV_UI_TOKEN = "COMPLAINTS_CODEC_UI_TOKEN"
ENV_UI_ORIGINS = "COMPLAINTS_CODEC_UI_ORIGINS"
ALLOWED_HEADERS = "authorization, authorization-extras, content-type, x-namespace"  # UI 2.54
MAX_AGE = "600"

Transform = Callable[[Sequence[Payload]], Awaitable[list[Payload]]]


def codec_router(
    codec: PayloadCodec,
    *,
    namespace: str | None = None,
    ui_origins: Iterable[str] = (),
    ui_token: str | None = None,
) -> APIRouter:
    """Routes under `/codec` for `codec` (`namespace`: the only one served; None: any)."""
    origins = frozenset(o.rstrip("/") for o in ui_origins if o)
    if ui_token is not None and len(ui_token) < 22:
        raise ValueError("a codec UI token needs at least 128 bits (22 URL-safe characters)")
    router = APIRouter(prefix=PREFIX, tags=["codec"])

    def cors(request: Request) -> dict[str, str]:
        origin = request.headers.get("origin", "").rstrip("/")
        if origin not in origins:
            return {}
        return {
            "Access-Control-Allow-Origin": origin,
            "Access-Control-Allow-Credentials": "true",
            "Vary": "Origin",
        }

    def problem(request: Request, status: int, detail: str, **headers: str) -> JSONResponse:
        return JSONResponse(
            Problem(detail=detail).model_dump(),
            status_code=status,
            headers={**cors(request), **headers},
        )

    async def apply(request: Request, transform: Transform) -> Response:
        wanted = request.headers.get("x-namespace")
        if namespace is not None and wanted and wanted != namespace:
            return problem(
                request, 400, f"this codec server serves namespace {namespace!r}, not {wanted!r}"
            )
        try:
            payloads = json_format.Parse(await request.body(), Payloads())
        except (json_format.ParseError, UnicodeDecodeError) as err:
            return problem(request, 400, f'expected {{"payloads": [...]}} (protobuf JSON): {err}')
        try:
            result = Payloads(payloads=await transform(payloads.payloads))
        except CodecError as err:
            return problem(request, 422, str(err))
        return Response(
            json_format.MessageToJson(result, indent=None),
            media_type="application/json",
            headers=cors(request),
        )

    async def identify(request: Request) -> Identity | Response:
        header = request.headers.get("authorization", "").strip()
        scheme, _, token = header.partition(" ")
        token = token.strip()
        if not header or scheme.lower() != "bearer" or parse_key(token) is None:
            return problem(
                request,
                401,
                "the codec needs 'Authorization: Bearer ck_<key_id>_<secret>'",
                **{"WWW-Authenticate": "Bearer"},
            )
        pool: asyncpg.Pool = request.app.state.pool
        identity = await authenticate(pool, token)
        if identity is None:
            return problem(
                request,
                401,
                "invalid API key: unknown, revoked, or wrong secret",
                **{"WWW-Authenticate": 'Bearer error="invalid_token"'},
            )
        return identity

    def token_ok(token: str) -> bool:
        return ui_token is not None and hmac.compare_digest(token.encode(), ui_token.encode())

    def refused_token(request: Request) -> Response:
        return problem(request, 403, "unknown codec capability token")

    async def decode_keyed(request: Request) -> Response:
        identity = await identify(request)
        if isinstance(identity, Response):
            return identity
        if not identity.has(*DECODE_ROLES):
            held = ", ".join(r.value for r in in_order(identity.roles)) or "none"
            log.warning("codec decode refused", key_id=identity.key_id, roles=held)
            return problem(
                request,
                403,
                f"decoding shows customer data: it needs one of the roles "
                f"{', '.join(r.value for r in DECODE_ROLES)}; the API key {identity.name!r} "
                f"has: {held}",
            )
        log.info("codec decode", key_id=identity.key_id)
        return await apply(request, codec.decode)

    async def encode_keyed(request: Request) -> Response:
        identity = await identify(request)
        if isinstance(identity, Response):
            return identity
        return await apply(request, codec.encode)

    async def decode_ui(token: str, request: Request) -> Response:
        if not token_ok(token):
            return refused_token(request)
        return await apply(request, codec.decode)

    async def encode_ui(token: str, request: Request) -> Response:
        if not token_ok(token):
            return refused_token(request)
        return await apply(request, codec.encode)

    async def preflight(request: Request) -> Response:
        headers = cors(request)
        if not headers:
            origin = request.headers.get("origin", "")
            return problem(request, 403, f"origin {origin[:100]!r} may not use this codec")
        headers |= {
            "Access-Control-Allow-Methods": "POST, OPTIONS",
            "Access-Control-Allow-Headers": ALLOWED_HEADERS,
            "Access-Control-Max-Age": MAX_AGE,
        }
        if request.headers.get("access-control-request-private-network") == "true":
            headers["Access-Control-Allow-Private-Network"] = "true"
        return Response(status_code=204, headers=headers)

    json_body = {
        "requestBody": {
            "required": True,
            "content": {"application/json": {"example": {"payloads": []}}},
        }
    }
    router.add_api_route(
        "/decode",
        decode_keyed,
        methods=["POST"],
        summary="Decrypt payloads (roles: handler, supervisor)",
        openapi_extra=json_body,
    )
    router.add_api_route(
        "/encode",
        encode_keyed,
        methods=["POST"],
        summary="Encrypt payloads (any API key)",
        openapi_extra=json_body,
    )
    router.add_api_route("/{token}/decode", decode_ui, methods=["POST"], include_in_schema=False)
    router.add_api_route("/{token}/encode", encode_ui, methods=["POST"], include_in_schema=False)
    for path in ("/decode", "/encode", "/{token}/decode", "/{token}/encode"):
        router.add_api_route(path, preflight, methods=["OPTIONS"], include_in_schema=False)
    return router


def ensure_ui_token(path: str | Path) -> str:
    """The capability token kept in `path`, made (0600) on first use."""
    path = Path(path)
    try:
        token = secrets.token_urlsafe(32)
        write_private(path, token + "\n")
        return token
    except FileExistsError:
        return path.read_text().strip()


def codec_router_from_env(
    namespace: str | None = None, environ: Mapping[str, str] | None = None
) -> APIRouter | None:
    """The codec routes as configured in the environment; None without codec keys."""
    env = os.environ if environ is None else environ
    ring = KeyRing.from_env(env)
    if ring is None:
        return None
    origins = [o.strip() for o in env.get(ENV_UI_ORIGINS, "").split(",") if o.strip()]
    return codec_router(
        EncryptionCodec(ring),
        namespace=namespace,
        ui_origins=origins,
        ui_token=env.get(ENV_UI_TOKEN, "").strip() or None,
    )


__all__ = [
    "DECODE_ROLES",
    "ENV_UI_ORIGINS",
    "ENV_UI_TOKEN",
    "PREFIX",
    "codec_router",
    "codec_router_from_env",
    "ensure_ui_token",
]
