"""Contacting the complainant (R-ST-1: the first stage)."""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING, Literal

from domain import versions
from domain.actions.base import Action, ActionDef
from domain.versions import Behaviour
from domain.vocabulary import Stage

if TYPE_CHECKING:
    from domain.case import Complaint


class RecordContact(Action):
    method: Literal["phone", "visit", "letter", "online"] = "phone"


def _contacted(case: Complaint, action: RecordContact, now: datetime) -> None:
    if versions.has(case.rules, Behaviour.HANDLER_CHANGE_TOLD):
        case.state.customer_handler = action.actor  # R-CU-2: the one they dealt with
    case.enter(Stage.INVESTIGATE, action.actor, now)


RECORD_CONTACT = ActionDef(
    name="record_contact",
    payload=RecordContact,
    description="The complainant was contacted.",
    stages=frozenset({Stage.CONTACT}),
    effect=_contacted,
    topic="handling",
    example={"method": "phone", "note": "Called the customer at 10:05."},
    label=("记录联系客户", "Record contact"),
)

DEFINITIONS = (RECORD_CONTACT,)
