"""People signed in with the organisation's identity provider (OIDC), for the codec server.

In production the Temporal Web UI signs people in with the identity provider and, with "pass
the user access token" on, sends each codec request `Authorization: Bearer <access token>`.
The codec server verifies the token here (signature against the provider's published keys,
issuer, audience, expiry) and reads who it is and what they may do from its claims: the same
`Identity` an API key gives, so what a person encodes is sealed as theirs (api/codec.py).

Configured from the environment (off when `COMPLAINTS_OIDC_ISSUER` is unset):

- `COMPLAINTS_OIDC_ISSUER`: the provider's issuer URL (the token's `iss`);
- `COMPLAINTS_OIDC_AUDIENCE`: the audience the Web UI's tokens carry (`aud`);
- `COMPLAINTS_OIDC_JWKS_URL`: where the provider publishes its keys (default: the issuer's
  `/.well-known/jwks.json`; read from its discovery document's `jwks_uri`);
- `COMPLAINTS_OIDC_NAME_CLAIM` (default `preferred_username`), `COMPLAINTS_OIDC_ROLES_CLAIM`
  (default `complaints_roles`: a list, or a space-separated string, of this system's roles)
  and `COMPLAINTS_OIDC_BRANCHES_CLAIM` (default `complaints_branches`: the branches the person
  acts for; absent: every branch).
"""

from __future__ import annotations

import asyncio
import os
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import jwt
import structlog

from api.auth import Identity, in_order
from domain.vocabulary import Role

log = structlog.get_logger("oidc")

ALGORITHMS = ["RS256", "RS384", "RS512", "ES256", "ES384", "PS256"]


@dataclass(frozen=True)
class OidcSettings:
    issuer: str
    audience: str
    jwks_url: str
    name_claim: str = "preferred_username"
    roles_claim: str = "complaints_roles"
    branches_claim: str = "complaints_branches"

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None) -> OidcSettings | None:
        env = os.environ if environ is None else environ
        issuer = env.get("COMPLAINTS_OIDC_ISSUER", "").strip().rstrip("/")
        if not issuer:
            return None
        audience = env.get("COMPLAINTS_OIDC_AUDIENCE", "").strip()
        if not audience:
            raise ValueError("COMPLAINTS_OIDC_ISSUER is set but COMPLAINTS_OIDC_AUDIENCE is not")
        return cls(
            issuer=issuer,
            audience=audience,
            jwks_url=env.get("COMPLAINTS_OIDC_JWKS_URL", "").strip()
            or f"{issuer}/.well-known/jwks.json",
            name_claim=env.get("COMPLAINTS_OIDC_NAME_CLAIM") or "preferred_username",
            roles_claim=env.get("COMPLAINTS_OIDC_ROLES_CLAIM") or "complaints_roles",
            branches_claim=env.get("COMPLAINTS_OIDC_BRANCHES_CLAIM") or "complaints_branches",
        )


class OidcVerifier:
    """Verifies access tokens against the provider's keys (fetched and cached by PyJWT)."""

    def __init__(self, settings: OidcSettings) -> None:
        self.settings = settings
        self._keys = jwt.PyJWKClient(settings.jwks_url, cache_keys=True, lifespan=3600)

    async def identity(self, token: str) -> Identity | None:
        """The person an access token names; None if it is not a valid token of this
        provider for this audience, or names nobody with a role here."""
        s = self.settings
        try:
            # Fetching the provider's keys blocks: off the event loop.
            key = await asyncio.to_thread(self._keys.get_signing_key_from_jwt, token)
            claims: dict[str, Any] = jwt.decode(
                token,
                key.key,
                algorithms=ALGORITHMS,
                audience=s.audience,
                issuer=s.issuer,
                options={"require": ["exp", "iss", "aud", "sub"]},
            )
        except jwt.PyJWTError as err:
            log.info("access token refused", reason=str(err))
            return None
        name = claims.get(s.name_claim) or claims["sub"]
        roles = _strings(claims.get(s.roles_claim))
        known = {r.value for r in Role}
        granted = in_order(Role(r) for r in roles if r in known)
        if not isinstance(name, str) or not granted:
            log.info("access token names nobody with a role here", sub=claims["sub"])
            return None
        branches = claims.get(s.branches_claim)
        return Identity(
            name=name,
            key_id=f"oidc:{claims['sub']}"[:64],
            roles=frozenset(granted),
            branches=None if branches is None else frozenset(_strings(branches)),
        )


def _strings(value: Any) -> list[str]:
    if isinstance(value, str):
        return value.split()
    if isinstance(value, list):
        return [v for v in value if isinstance(v, str)]
    return []


def verifier_from_env(environ: Mapping[str, str] | None = None) -> OidcVerifier | None:
    settings = OidcSettings.from_env(environ)
    return None if settings is None else OidcVerifier(settings)
