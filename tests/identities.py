"""Sealed identities for tests that drive the pure case directly: what the HTTP API or the
codec server would seal for the action's sender (domain/identity.py)."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from domain.actions import Action
from domain.case import Complaint
from domain.identity import VerifiedIdentity


def verified(
    case: Complaint, name: str, payload: Action, now: datetime, **change: Any
) -> VerifiedIdentity:
    """The sender action `name` names, as the system would have verified it for that action
    (`change`: what a forger, a replay or another case's or action's payload would get wrong)."""
    fields: dict[str, Any] = {
        "actor": payload.actor,
        "roles": [payload.role.value],
        "via": "system",
        "bound_to": case.workflow_id,
        "action": name,
        "issued_at": now,
        "nonce": uuid.uuid4().hex,
    }
    return VerifiedIdentity(**(fields | change))


def act(case: Complaint, name: str, action: Action, now: datetime) -> bool:
    """`case.act` by the sender the action names, verified."""
    return case.act(name, action, now, verified(case, name, action, now))
