"""The callback after closing (R-ST-4): satisfied, or the case reopens."""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING, Literal

from domain import crisis
from domain.actions.base import Action, ActionDef
from domain.fields import Text
from domain.vocabulary import Stage

if TYPE_CHECKING:
    from domain.case import Complaint


class RecordCallback(Action):
    satisfied: bool
    method: Literal["phone", "questionnaire"] = "phone"
    comments: Text | None = None
    new_demand: Text | None = None


def _called_back(case: Complaint, action: RecordCallback, now: datetime) -> None:
    """R-ST-4: a dissatisfied customer, or a new demand, reopens the case."""
    s = case.state
    if action.satisfied and action.new_demand is None:
        s.satisfied = True
        s.outcome = "resolved"
        s.closed_at = now
        case.enter(Stage.CLOSED, action.actor, now)
        crisis.ended(case, action.actor, now)  # R-CR-11 (rules 5): its review is due
        return
    s.satisfied = False
    s.reopen_count += 1
    case.enter(Stage.INVESTIGATE, action.actor, now)


RECORD_CALLBACK = ActionDef(
    name="record_callback",
    payload=RecordCallback,
    description='Callback done: {"satisfied": true|false}.',
    stages=frozenset({Stage.CALLBACK}),
    effect=_called_back,
    topic="handling",
    example={"satisfied": True, "method": "phone"},
    label=("记录回访", "Record callback"),
)

DEFINITIONS = (RECORD_CALLBACK,)
