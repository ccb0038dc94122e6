"""Closing: the decision reaches the complainant (R-ST-1, R-SLA-7)."""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING, Annotated

from pydantic import Field

from domain import causes, versions
from domain.actions.base import Action, ActionDef
from domain.fields import Text
from domain.versions import Behaviour
from domain.vocabulary import Stage

if TYPE_CHECKING:
    from domain.case import Complaint


class CloseCase(Action):
    result: Text
    root_cause: Annotated[str, Field(pattern=r"^[a-z][a-z0-9_]{1,39}$")] | None = None  # R-AN-8


def _refusal(case: Complaint, action: CloseCase, now: datetime) -> str | None:
    if action.root_cause is not None:
        # R-AN-8: a cause of the case's own taxonomy (its policy snapshot)
        return causes.refusal(action.root_cause, case.policy.causes)
    return None


def _closed(case: Complaint, action: CloseCase, now: datetime) -> None:
    """The decision reaches the complainant: the regulatory clock is met (R-SLA-7)."""
    if versions.has(case.rules, Behaviour.RESULT_KEPT_OFF_TIMELINE):
        case.state.result = action.result  # R-CR-2: kept out of the timeline's text
    if action.root_cause is not None:
        case.state.root_cause = action.root_cause  # R-AN-8
    case.state.decided_at = now
    case.clocks.finish("regulatory", now)
    case.enter(Stage.CALLBACK, action.actor, now)


CLOSE_CASE = ActionDef(
    name="close_case",
    payload=CloseCase,
    description="Resolution carried out, result fed back.",
    stages=frozenset({Stage.CLOSE}),
    effect=_closed,
    topic="handling",
    check=_refusal,
    hidden=frozenset({"result"}),
    example={"result": "Paid 8,200 yuan; the customer was informed."},
    label=("办结", "Close case"),
)

DEFINITIONS = (CLOSE_CASE,)
