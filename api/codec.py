"""A codec server for the Temporal Web UI and CLI: they show payloads decrypted, and what a
person sends from them (a signal's input) is sealed with who they are.

Temporal's remote codec protocol: `POST <endpoint>/decode` and `POST <endpoint>/encode` with
`{"payloads": [...]}` in the protobuf JSON form (`Payloads`: metadata values and data in
base64), answered in the same form; the `X-Namespace` header names the namespace. A router
serves one namespace's codec: another namespace in the header is refused (400). (UI 2.54
posts to `<endpoint>/decode?preserveStorageRefs=true`; its `/download`, for payloads in
external storage, is not served: this project stores none.)

Who is asking, two ways:

- `POST /codec/decode|encode` with `Authorization: Bearer <api key>`: the CLI
  (`temporal workflow signal ... --codec-endpoint http://host:8000/codec --codec-auth
  "Bearer $KEY"`); or `Bearer <access token>` of the identity provider: the production Web UI
  signs people in and passes their token ("pass the user access token"; api/oidc.py).
- `POST /codec/u/<token>/decode|encode`: a person's own endpoint for the dev server's Web UI,
  which has no login. The token belongs to one API key (`python -m api.keys codec-url`); set
  the URL as the UI's codec endpoint (the dev launcher sets the dev user's).

Encoding seals each payload with that verified identity (actor, roles, scope, `via: codec`, a
nonce and the time; infra/codec.py), inside the encryption. A JSON object's `workflow_id` is
taken out and becomes what the identity is bound to: a sealed action counts only in that
workflow. Its `action` is taken out likewise: the sealed payload counts for that action only
(rules 5). The remote codec protocol sends payloads and the namespace, never the signal's or
update's name, so the person names the action in the payload as they name the workflow.
Its `actor`, if present, is replaced by the verified one, and its `role` by one the
person holds (the one typed if held, else their most senior), so that even a case started
before verified identity counts the right person.

Decoding shows customer names and full phone and ID numbers, so only staff who see them in
the API may decode (`DECODE_ROLES`: `SEES_CUSTOMER_NUMBERS` of `api/models.py`), and every
decode is written to the access log (`ledger.access`: who, which cases, when, `codec`).

Anything else is 401 (no or a bad credential) or 403 (a credential without the role). CORS:
the UI calls from the browser, so the allowed origins (`COMPLAINTS_CODEC_UI_ORIGINS`,
comma-separated; the dev launcher passes the UI's) get preflight answers (`OPTIONS`) and CORS
headers on every answer, errors included. It lives in the router rather than as app
middleware, so that the rest of the API is unchanged.
"""

from __future__ import annotations

import json
import os
import secrets
from collections.abc import Awaitable, Callable, Iterable, Mapping, Sequence
from datetime import UTC, datetime
from typing import Any

import asyncpg
import structlog
from fastapi import APIRouter, Request, Response
from fastapi.responses import JSONResponse
from google.protobuf import json_format
from temporalio.api.common.v1 import Payload, Payloads
from temporalio.converter import PayloadCodec

from api import scope
from api.auth import Identity, authenticate, authenticate_ui, in_order, parse_key
from api.models import SEES_CUSTOMER_NUMBERS, Problem
from api.oidc import OidcVerifier, verifier_from_env
from domain.identity import VerifiedIdentity
from domain.vocabulary import Role
from infra.codec import IDENTITY, CodecError, EncryptionCodec, KeyRing, sealed, without_identity
from ledger import access
from workflows import contract

log = structlog.get_logger("codec")

PREFIX = "/codec"
DECODE_ROLES: tuple[Role, ...] = SEES_CUSTOMER_NUMBERS
ENV_UI_ORIGINS = "COMPLAINTS_CODEC_UI_ORIGINS"
ALLOWED_HEADERS = "authorization, authorization-extras, content-type, x-namespace"  # UI 2.54
MAX_AGE = "600"

Transform = Callable[[Sequence[Payload]], Awaitable[list[Payload]]]


class _OutOfScope(Exception):
    """Decoded payloads of a case outside the key's branches: answered as an unknown case."""


def codec_router(
    codec: PayloadCodec,
    *,
    namespace: str | None = None,
    ui_origins: Iterable[str] = (),
    oidc: OidcVerifier | None = None,
) -> APIRouter:
    """Routes under `/codec` for `codec` (`namespace`: the only one served; None: any;
    `oidc`: the identity provider whose access tokens count, if any)."""
    origins = frozenset(o.rstrip("/") for o in ui_origins if o)
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

    async def by_key(request: Request) -> Identity | Response:
        header = request.headers.get("authorization", "").strip()
        scheme, _, token = header.partition(" ")
        token = token.strip()
        api_key = parse_key(token) is not None
        if not header or scheme.lower() != "bearer" or not (api_key or oidc):
            return problem(
                request,
                401,
                "the codec needs 'Authorization: Bearer ck_<key_id>_<secret>'"
                + (" or the identity provider's access token" if oidc else "")
                + ", or a personal endpoint /codec/u/<token> (python -m api.keys codec-url)",
                **{"WWW-Authenticate": "Bearer"},
            )
        if api_key:
            identity = await authenticate(request.app.state.pool, token)
        else:
            assert oidc is not None
            identity = await oidc.identity(token)
        if identity is None:
            what = "API key: unknown, revoked, or wrong secret" if api_key else "access token"
            return problem(
                request,
                401,
                f"invalid {what}",
                **{"WWW-Authenticate": 'Bearer error="invalid_token"'},
            )
        return identity

    async def by_token(request: Request, token: str) -> Identity | Response:
        identity = await authenticate_ui(request.app.state.pool, token)
        if identity is None:
            return problem(request, 403, "unknown, replaced or revoked personal codec endpoint")
        return identity

    async def decode(request: Request, identity: Identity | Response, via: str) -> Response:
        if isinstance(identity, Response):
            return identity
        if not identity.has(*DECODE_ROLES):
            held = ", ".join(r.value for r in in_order(identity.roles)) or "none"
            log.warning("codec decode refused", key_id=identity.key_id, roles=held)
            return problem(
                request,
                403,
                f"decoding shows customer data: it needs one of the roles "
                f"{', '.join(r.value for r in DECODE_ROLES)}; {identity.name!r} has: {held}",
            )
        pool: asyncpg.Pool = request.app.state.pool

        async def logged(payloads: Sequence[Payload]) -> list[Payload]:
            plain = await codec.decode(payloads)
            cases = cases_in(plain)
            hidden = await scope.cases_outside(request.app.state.client, pool, identity, cases)
            if hidden:  # the key's branches bound what it reads (api/scope.py)
                raise _OutOfScope(scope.not_found(hidden[0]).detail)
            await access.record(
                pool,
                actor=identity.name,
                key_id=identity.key_id,
                via=via,
                complaint_ids=cases,
                detail=f"{len(plain)} payloads",
            )
            return plain

        log.info("codec decode", key_id=identity.key_id, via=via)
        try:
            return await apply(request, logged)
        except _OutOfScope as err:
            return problem(request, 404, str(err))

    async def encode(request: Request, identity: Identity | Response) -> Response:
        if isinstance(identity, Response):
            return identity

        async def stamped(payloads: Sequence[Payload]) -> list[Payload]:
            return await codec.encode([seal(p, identity) for p in payloads])

        return await apply(request, stamped)

    async def decode_keyed(request: Request) -> Response:
        return await decode(request, await by_key(request), "codec")

    async def encode_keyed(request: Request) -> Response:
        return await encode(request, await by_key(request))

    async def decode_personal(token: str, request: Request) -> Response:
        return await decode(request, await by_token(request, token), "codec:ui")

    async def encode_personal(token: str, request: Request) -> Response:
        return await encode(request, await by_token(request, token))

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
        summary="Decrypt payloads (roles: handler, supervisor); each decode is logged",
        openapi_extra=json_body,
    )
    router.add_api_route(
        "/encode",
        encode_keyed,
        methods=["POST"],
        summary="Encrypt payloads, sealed with the caller's verified identity (any API key)",
        openapi_extra=json_body,
    )
    router.add_api_route(
        "/u/{token}/decode", decode_personal, methods=["POST"], include_in_schema=False
    )
    router.add_api_route(
        "/u/{token}/encode", encode_personal, methods=["POST"], include_in_schema=False
    )
    for path in ("/decode", "/encode", "/u/{token}/decode", "/u/{token}/encode"):
        router.add_api_route(path, preflight, methods=["OPTIONS"], include_in_schema=False)
    return router


def seal(payload: Payload, identity: Identity) -> Payload:
    """`payload` sealed with `identity` (module docstring): a JSON object loses `workflow_id` and
    `action` to the binding and gets the verified actor and a role the person holds."""
    stamp = VerifiedIdentity(
        actor=identity.name,
        roles=[r.value for r in in_order(identity.roles)],
        branches=None if identity.branches is None else sorted(identity.branches),
        via="codec",
        issued_at=datetime.now(UTC),
        nonce=secrets.token_hex(16),
    )
    payload = without_identity(payload)
    data = _json_object(payload)
    if data is not None:
        target = data.pop("workflow_id", None)
        stamp.bound_to = target if isinstance(target, str) else None
        named = data.pop("action", None)  # the codec protocol never says the signal's name
        stamp.action = named if isinstance(named, str) else None
        if "actor" in data:
            data["actor"] = identity.name
        if "role" in data:
            typed = data["role"]
            held = isinstance(typed, str) and typed in stamp.roles
            data["role"] = typed if held else stamp.primary_role().value
        rewritten = Payload()
        rewritten.CopyFrom(payload)
        rewritten.data = json.dumps(data, ensure_ascii=False).encode()
        payload = rewritten
    return sealed(payload, stamp.to_json())


def _json_object(payload: Payload) -> dict[str, Any] | None:
    if payload.metadata.get("encoding") != b"json/plain":
        return None
    try:
        data = json.loads(payload.data)
    except (ValueError, UnicodeDecodeError):
        return None
    return data if isinstance(data, dict) else None


def cases_in(payloads: Iterable[Payload]) -> set[str]:
    """The complaints decoded payloads are about (for the access log): the `complaint_id` of
    an intake, a state or a ledger record, or the case a sealed action was bound to."""
    found: set[str] = set()
    for payload in payloads:
        identity = payload.metadata.get(IDENTITY)
        if identity and (seal_ := VerifiedIdentity.from_json(identity)) and seal_.bound_to:
            if cid := contract.complaint_id_of(seal_.bound_to):
                found.add(cid)
        data = _json_object(payload)
        for part in (data, (data or {}).get("state"), (data or {}).get("intake")):
            if isinstance(part, dict) and isinstance(part.get("complaint_id"), str):
                found.add(part["complaint_id"])
    return found


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
        EncryptionCodec(ring), namespace=namespace, ui_origins=origins, oidc=verifier_from_env(env)
    )


__all__ = [
    "DECODE_ROLES",
    "ENV_UI_ORIGINS",
    "PREFIX",
    "cases_in",
    "codec_router",
    "codec_router_from_env",
    "seal",
]
