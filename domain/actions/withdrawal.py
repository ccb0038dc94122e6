"""The customer withdraws the complaint (R-ST-5)."""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING

from domain import crisis, notices, versions
from domain.actions.base import OPEN, Action, ActionDef
from domain.fields import Text
from domain.notice_models import CustomerTemplate
from domain.state import ClockKind
from domain.versions import Behaviour
from domain.vocabulary import Stage

if TYPE_CHECKING:
    from domain.case import Complaint


class Withdraw(Action):
    reason: Text | None = None


def _withdrawn(case: Complaint, action: Withdraw, now: datetime) -> None:
    """R-ST-5."""
    s = case.state
    if versions.has(case.rules, Behaviour.EXTENSION_LAPSES_WITH_STAGE):
        case.lapse_pending_extension(now)
    for clock in list(s.clocks):
        if versions.has(case.rules, Behaviour.CRISIS_IN_FULL) and clock.kind is ClockKind.CRISIS:
            continue  # R-CR-8: the report is still due (it ends filed or breached)
        case.clocks.finish(clock.key, now)
    s.stage = Stage.WITHDRAWN
    s.outcome = "withdrawn"
    s.closed_at = now
    detail = "stage withdrawn: the customer withdrew the complaint"
    case.timeline.write("stage", action.actor, detail, now)
    if versions.has(case.rules, Behaviour.DECISION_TOLD):
        # R-CU-1: the customer gets a confirmation of the withdrawal
        told = case.outbox.words(CustomerTemplate.WITHDRAWAL_CONFIRMED)
        case.outbox.tell_customer(notices.withdrawal_confirmed(s.complaint_id), now, told)
    crisis.ended(case, action.actor, now)  # R-CR-11 (rules 5): its review is due


WITHDRAW = ActionDef(
    name="withdraw",
    payload=Withdraw,
    description="The customer withdrew the complaint.",
    stages=OPEN,
    effect=_withdrawn,
    topic="handling",
    example={"reason": "The customer settled with the garage directly."},
    label=("撤诉", "Withdraw"),
)

DEFINITIONS = (WITHDRAW,)
