"""What the case checks of every action at its door, before its own gate: the sender's sealed
identity (R-AC-1, rules 2) and the request id that makes a repeat a no-op (rules 5: one id,
one request). And how an action taken is written on the timeline.
"""

from __future__ import annotations

import hashlib
import json
from datetime import datetime

from domain import versions
from domain.actions.base import Action
from domain.identity import VALID_FOR, VerifiedIdentity
from domain.identity import refusal as identity_refusal
from domain.versions import Behaviour


class Doors:
    """The requests a case took and the seals it spent (carried in its snapshot)."""

    def __init__(
        self,
        rules: int,
        *,
        seen: list[str],
        requests: dict[str, str],
        nonces: dict[str, datetime],
    ) -> None:
        self.rules = rules
        self.binds = versions.has(rules, Behaviour.REQUEST_ID_BINDS_BODY)
        self.seen = set(seen)  # "name:request id", rules 1-4
        self.requests = dict(requests)  # rules 5: request id -> `request_key`
        self.nonces = dict(nonces)  # sealed payloads taken, with when they were issued

    def is_repeat(self, name: str, action: Action, identity: VerifiedIdentity | None) -> bool:
        """A repeated delivery of a request already taken (a no-op)."""
        if action.request_id is None:
            return False
        if self.binds:
            return self.requests.get(action.request_id) == request_key(name, action, identity)
        return f"{name}:{action.request_id}" in self.seen

    def spend(self, identity: VerifiedIdentity) -> None:
        """A repeat's seal is spent too: no reuse (rules 3)."""
        self.nonces.setdefault(identity.nonce, identity.issued_at)

    def identity_refusal(
        self,
        name: str,
        action: Action,
        now: datetime,
        sealed: VerifiedIdentity | None,
        *,
        workflow_id: str,
        branch: str,
    ) -> str | None:
        if not versions.has(self.rules, Behaviour.VERIFIED_IDENTITY):
            return None  # rules 1 took the payload's word, and its cases replay so
        cutoff = now - VALID_FOR
        self.nonces = {n: at for n, at in self.nonces.items() if at >= cutoff}
        for_action = name if versions.has(self.rules, Behaviour.SEAL_BINDS_ACTION) else None
        reason = identity_refusal(
            sealed,
            workflow_id=workflow_id,
            now=now,
            used=self.nonces,
            actor=action.actor,
            role=action.role.value,
            branch=branch,
            action=for_action,
        )
        if sealed is not None and sealed.nonce not in self.nonces:
            self.nonces[sealed.nonce] = sealed.issued_at  # used, even if refused: no replay
        return reason

    def request_conflict(
        self, name: str, action: Action, identity: VerifiedIdentity | None
    ) -> str | None:
        """Rules 5: why a request id already taken by another request refuses this one."""
        if not self.binds or action.request_id is None or action.request_id not in self.requests:
            return None
        was_name, was_sender = _request_parts(self.requests[action.request_id])
        now_name, now_sender = _request_parts(request_key(name, action, identity))
        differs = [f"for {was_name}, not {now_name}"] if was_name != now_name else []
        differs += [f"by {was_sender}, not {now_sender}"] if was_sender != now_sender else []
        differs = differs or ["with other fields"]
        return (
            f"request_id {action.request_id!r} was already taken {' and '.join(differs)}: a "
            "repeat sends the same action with the same fields from the same sender; a new "
            "request needs a new request_id"
        )

    def taken(self, name: str, action: Action, identity: VerifiedIdentity | None) -> None:
        """The request is taken: the same one again is a repeat."""
        if action.request_id is None:
            return
        if self.binds:
            self.requests[action.request_id] = request_key(name, action, identity)
        else:
            self.seen.add(f"{name}:{action.request_id}")


def request_key(name: str, action: Action, identity: VerifiedIdentity | None) -> str:
    """Rules 5: what a request id is taken for: `action|sender|digest of its fields` (the
    fields as validated, so a default left out and one typed in are the same request)."""
    sender = identity.actor if identity is not None else action.actor
    fields = action.model_dump(mode="json", exclude={"actor", "role", "request_id"})
    canonical = json.dumps(fields, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return f"{name}|{sender}|{hashlib.sha256(canonical.encode()).hexdigest()[:32]}"


def _request_parts(key: str) -> tuple[str, str]:
    """The action and the sender of a `request_key` (a sender's name may hold a `|`)."""
    name, rest = key.split("|", 1)
    return name, rest.rsplit("|", 1)[0]


def describe(
    name: str, action: Action, via: str | None = None, hide: frozenset[str] = frozenset()
) -> str:
    """An action's timeline entry: who sent it, in which role, and its fields."""
    fields = action.model_dump(
        exclude={"actor", "role", "request_id", *hide}, exclude_none=True, mode="json"
    )
    # An empty list says nothing (rules-1 entries stay as they were before `participants`).
    fields = {k: v for k, v in fields.items() if v != []}
    how = f"{name} by {action.role.value}" + (f" via {via}" if via else "")
    return how + (f": {fields}" if fields else "")
