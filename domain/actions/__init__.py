"""The case's actions, each defined once (`domain.actions.base.ActionDef`), grouped by what they
are about; `ACTIONS` is the registry everything else is derived from.

The modules are listed in the order the contract published the actions (the docs' table, the
list an unknown action's refusal names): a new action goes in the module of what it is about,
and its payload model is imported from there.
"""

from __future__ import annotations

from typing import Any

from domain.actions import (
    amount,
    apology,
    approval,
    bank,
    callback,
    closing,
    closure,
    conduct,
    contact,
    crisis,
    crisis_duties,
    customer_response,
    extension,
    group_event,
    handover,
    help_flags,
    investigation,
    outside_contact,
    pause,
    reassignment,
    repeat,
    review,
    urgency,
    withdrawal,
)
from domain.actions.base import OPEN, Action, ActionDef, Who

_MODULES = (
    contact,
    investigation,
    approval,
    closing,
    customer_response,
    callback,
    extension,
    crisis,
    urgency,
    pause,
    review,
    reassignment,
    withdrawal,
    repeat,
    outside_contact,
    handover,
    bank,
    amount,
    conduct,
    apology,
    help_flags,
    group_event,
    crisis_duties,
    closure,
)

ACTIONS: dict[str, ActionDef[Any]] = {d.name: d for m in _MODULES for d in m.DEFINITIONS}
"""Every action of the case by name, in the contract's order."""

ACTION_MODELS: dict[str, type[Action]] = {name: d.payload for name, d in ACTIONS.items()}
"""The payload model of each action (derived: the API and the workflow decode with it)."""

__all__ = ["ACTIONS", "ACTION_MODELS", "OPEN", "Action", "ActionDef", "Who"]
