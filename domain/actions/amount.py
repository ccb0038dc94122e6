"""The amount involved, corrected (R-IN-8)."""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING, Literal

from domain.actions.base import OPEN, STAGE_FIRST, Action, ActionDef
from domain.fields import Text
from domain.intake import Amount, AmountInvolved
from domain.vocabulary import Stage

if TYPE_CHECKING:
    from domain.case import Complaint


class CorrectAmount(Action):
    """R-IN-8: the amount involved, corrected (each correction on the timeline, with who)."""

    amount: Amount
    currency: Literal["CNY"] = "CNY"
    reason: Text


def _corrected(case: Complaint, action: CorrectAmount, now: datetime) -> None:
    """R-IN-8: each correction on the timeline, with who made it and why."""
    s = case.state
    before = s.amount_involved
    s.amount_involved = AmountInvolved(amount=action.amount, currency=action.currency)
    was = f"{before.amount} {before.currency}" if before else "not recorded"
    case.timeline.write(
        "action",
        action.actor,
        f"R-IN-8: amount involved corrected from {was} "
        f"to {action.amount} {action.currency} by {action.actor}: "
        f"{action.reason}",
        now,
    )


CORRECT_AMOUNT = ActionDef(
    name="correct_amount",
    payload=CorrectAmount,
    description='R-IN-8: {"amount": "1234.50", "reason": "..."} (CNY).',
    stages=OPEN | {Stage.CLOSED},
    effect=_corrected,
    topic="hand-offs and the bank channel",
    since=3,
    asks=STAGE_FIRST,
    example={"amount": "8200.00", "reason": "The second invoice adds 1,000 yuan."},
    label=("更正涉案金额", "Correct amount"),
)

DEFINITIONS = (CORRECT_AMOUNT,)
