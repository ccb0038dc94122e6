"""Who sent an action, as the system verified it (R-AC-1: every action is attributed).

An action counts only under an identity the system verified: the HTTP API (from the caller's
API key), the codec server (from a personal codec endpoint, an API key or an identity
provider's token) or the system itself. The verifier seals the identity into the action's
payload before it is encrypted under the system's keys (infra/codec.py), bound to the
workflow it is for, with when and a nonce; a payload that arrives unencrypted never carries
one. A name or role typed into a payload proves nothing. Rules 5: the seal names the action
it was given for too (`action`), so an unused sealed payload counts for that action only.
"""

from __future__ import annotations

from collections.abc import Container
from datetime import datetime, timedelta
from typing import Literal

from pydantic import ValidationError

from domain.fields import Derived
from domain.vocabulary import Role

# The role an action is taken in, when a person holds several: the most senior.
SENIORITY = (
    Role.SENIOR_MANAGER,
    Role.SUPERVISOR,
    Role.HANDLER,
    Role.SYSTEM,
    Role.REVIEW_GROUP,
    Role.ADMIN,
    Role.AUDITOR,
)


class VerifiedIdentity(Derived):
    actor: str
    roles: list[str]  # Role values; one this release does not know grants nothing
    branches: list[str] | None = None  # the branches it may act for; None: every branch
    via: Literal["api", "codec", "system"]
    bound_to: str | None = None  # the workflow id it was given for
    action: str | None = None  # the action it was given for (checked from rules 5)
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


# A sealed payload is good for a day: enough for a signal queued while workers are down, short
# enough that one copied out of a history is worthless soon (a nonce is used once anyway).
VALID_FOR = timedelta(days=1)
UNVERIFIED = (
    "identity not verified: an action counts only when the system verified who sent it: the "
    "HTTP API, or the codec server (a personal codec endpoint or an API key; README: Acting "
    "from the Web UI and the CLI); a name or role typed into a payload proves nothing"
)


def refusal(
    identity: VerifiedIdentity | None,
    *,
    workflow_id: str,
    now: datetime,
    used: Container[str],
    actor: str,
    role: str | None = None,
    branch: str | None = None,
    action: str | None = None,
) -> str | None:
    """Why an action's identity does not count here, or None: it must be sealed, for this
    workflow, recent, not used before, (when `action` is given) for that action, name the
    sealed person in one of their roles, and (for a key limited to branches) be for one of
    its branches. A seal of the codec server must name its action; the API's and the
    system's name it from rules 5, and one that names none is of an earlier release."""
    if identity is None:
        return UNVERIFIED
    if identity.bound_to != workflow_id:
        given = f"for {identity.bound_to}" if identity.bound_to else "for no workflow"
        return (
            f"identity not verified: the sealed payload was given {given}, not {workflow_id} "
            f'(from the Web UI or CLI, add "workflow_id": "{workflow_id}" to the payload)'
        )
    if not timedelta(0) - timedelta(minutes=5) <= now - identity.issued_at <= VALID_FOR:
        return f"identity not verified: sealed at {identity.issued_at.isoformat()}, out of date"
    if identity.nonce in used:
        return "identity not verified: this sealed payload was used before"
    # A seal naming no action was made by an API or a system of an earlier release (from this
    # one they always name it), or by the codec server for a person who left "action" out.
    unnamed_ok = identity.action is None and identity.via != "codec"
    if action is not None and identity.action != action and not unnamed_ok:
        given = f"for {identity.action}" if identity.action else "for no action"
        return (
            f"identity not verified: the sealed payload was given {given}, not {action} "
            f'(from the Web UI or CLI, add "action": "{action}" to the payload)'
        )
    if actor != identity.actor or (role is not None and role not in identity.roles):
        named = actor if role is None else f"{actor} as {role}"
        return (
            f"identity not verified: the payload names {named}; the verified sender "
            f"is {identity.actor} ({', '.join(identity.roles) or 'no role'})"
        )
    if branch is not None and not identity.covers(branch):
        assert identity.branches is not None
        return (
            f"R-AC-1: {identity.actor} acts for {', '.join(identity.branches)} only, "
            f"not for {branch}"
        )
    return None
