"""A new owner, department or supervisor (R-ST-6)."""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING

from domain import intake_rules, notices, versions
from domain.actions.base import OPEN, Action, ActionDef
from domain.fields import Name
from domain.intake import recusal
from domain.notice_models import CustomerTemplate
from domain.versions import Behaviour

if TYPE_CHECKING:
    from domain.case import Complaint


class Reassign(Action):
    owner: Name | None = None
    department: Name | None = None
    supervisor: Name | None = None


def _refusal(case: Complaint, action: Reassign, now: datetime) -> str | None:
    if action.owner is None and action.department is None and action.supervisor is None:
        return "reassign needs a new owner, department or supervisor"
    if versions.has(case.rules, Behaviour.INSURER_OWNS):
        outlet = intake_rules.owner_refusal(case.state, action.owner)  # R-CR-12
        if outlet is not None:
            return outlet
    if versions.has(case.rules, Behaviour.RECUSAL):
        staff = case.intake.staff_complained_about
        return recusal(staff, action.owner, "owner") or recusal(
            staff, action.supervisor, "supervisor"
        )
    return None


def _reassigned(case: Complaint, action: Reassign, now: datetime) -> None:
    """R-ST-6: a new owner or department keeps the case and its clocks."""
    s = case.state
    s.owner = action.owner or s.owner
    s.department = action.department or s.department
    s.supervisor = action.supervisor or s.supervisor
    if versions.has(case.rules, Behaviour.HANDLER_CHANGE_TOLD):
        tell_new_handler(case, team_of(s.department, s.branch), now)
    if versions.has(case.rules, Behaviour.FIRST_RECEIVER_STAYS) and s.first_receiver is not None:
        case.timeline.write(
            "action",
            action.actor,
            f"R-IN-3: first receiver {s.first_receiver} stays responsible for tracking "
            "(首问负责制)",
            now,
        )


def team_of(department: str | None, branch: str) -> str:
    """The handler's team as the customer is told it: the department and its branch."""
    return f"{department} ({branch})" if department else branch


def tell_new_handler(case: Complaint, team: str, now: datetime) -> None:
    """R-CU-2: a customer someone already contacted is told when their case passes to a
    handler other than the one they dealt with: the handler, their team and how to reach
    them, never the internal reason. Not before anyone contacted them (the acknowledgement
    named the handler), nor when the case goes back to the handler they know."""
    s = case.state
    if s.customer_handler is None or s.customer_handler == s.owner:
        return
    s.customer_handler = s.owner
    words = notices.handler_changed(s.complaint_id, s.owner, team)
    told = case.outbox.words(CustomerTemplate.HANDLER_CHANGED, handler=s.owner, team=team)
    case.outbox.tell_customer(words, now, told)


REASSIGN = ActionDef(
    name="reassign",
    payload=Reassign,
    description="New owner, department or supervisor; clocks kept.",
    stages=OPEN,
    effect=_reassigned,
    topic="handling",
    check=_refusal,
    example={"owner": "zhao.min"},
    label=("转派", "Reassign"),
)

DEFINITIONS = (REASSIGN,)
