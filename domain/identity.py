"""Who sent an action, as the system verified it (R-AC-1: every action is attributed).

An action counts only under an identity the system verified: the HTTP API (from the caller's
API key), the codec server (from a personal codec endpoint, an API key or an identity
provider's token) or the system itself. The verifier seals the identity into the action's
payload before it is encrypted under the system's keys (infra/codec.py), bound to the
workflow it is for, with when and a nonce; a payload that arrives unencrypted never carries
one. A name or role typed into a payload proves nothing.
"""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from pydantic import ValidationError

from domain.models import Derived, Role

# The role an action is taken in, when a person holds several: the most senior.
SENIORITY = (
    Role.SENIOR_MANAGER,
    Role.SUPERVISOR,
    Role.HANDLER,
    Role.SYSTEM,
    Role.REVIEW_GROUP,
    Role.AUDITOR,
)


class VerifiedIdentity(Derived):
    actor: str
    roles: list[str]  # Role values; one this release does not know grants nothing
    branches: list[str] | None = None  # the branches it may act for; None: every branch
    via: Literal["api", "codec", "system"]
    bound_to: str | None = None  # the workflow id it was given for
    issued_at: datetime
    nonce: str

    def holds(self, *roles: Role) -> bool:
        return any(r.value in self.roles for r in roles)

    def primary_role(self) -> Role:
        return next((r for r in SENIORITY if r.value in self.roles), Role.AUDITOR)

    def covers(self, branch: str) -> bool:
        return self.branches is None or branch in self.branches

    def to_json(self) -> bytes:
        return self.model_dump_json(exclude_none=True).encode()

    @classmethod
    def from_json(cls, data: bytes) -> VerifiedIdentity | None:
        """The identity sealed in a payload; None if there is none that parses."""
        try:
            return cls.model_validate_json(data)
        except ValidationError:
            return None
