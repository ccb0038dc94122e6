"""Closing: the decision reaches the complainant (R-ST-1, R-SLA-7)."""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING

from domain.actions.base import Action, ActionDef
from domain.fields import Text
from domain.vocabulary import Stage

if TYPE_CHECKING:
    from domain.case import Complaint


class CloseCase(Action):
    result: Text


def _closed(case: Complaint, action: CloseCase, now: datetime) -> None:
    """The decision reaches the complainant: the regulatory clock is met (R-SLA-7)."""
    if case.rules >= 3:
        case.state.result = action.result  # R-CR-2: kept out of the timeline's text
    case.state.decided_at = now
    case.clocks.finish("regulatory", now)
    case.enter(Stage.CALLBACK, action.actor, now)


CLOSE_CASE = ActionDef(
    name="close_case",
    payload=CloseCase,
    description="Resolution carried out, result fed back.",
    stages=frozenset({Stage.CLOSE}),
    effect=_closed,
    hidden=frozenset({"result"}),
)

DEFINITIONS = (CLOSE_CASE,)
