"""A customer who needs help communicating with the insurer (R-CR-5)."""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING, Annotated

from pydantic import Field

from domain.actions.base import OPEN, Action, ActionDef
from domain.vocabulary import HelpFlag, Stage

if TYPE_CHECKING:
    from domain.case import Complaint


class FlagCustomer(Action):
    """R-CR-5: the customer needs help (flags are added, never silently dropped)."""

    flags: Annotated[list[HelpFlag], Field(min_length=1, max_length=4)]


def _refusal(case: Complaint, action: FlagCustomer, now: datetime) -> str | None:
    if set(action.flags) <= set(case.state.help_flags):
        return "R-CR-5: the customer already carries these flags"
    return None


def _flagged(case: Complaint, action: FlagCustomer, now: datetime) -> None:
    s = case.state
    s.help_flags = sorted(set(s.help_flags) | set(action.flags))


FLAG_CUSTOMER = ActionDef(
    name="flag_customer",
    payload=FlagCustomer,
    description=(
        'R-CR-5: the customer needs help: {"flags": ["vulnerable"|"violent"|"group_risk"|'
        '"sent_by_regulator_or_media"]}.'
    ),
    stages=OPEN | {Stage.CLOSED},
    effect=_flagged,
    topic="conduct and care",
    check=_refusal,
    since=3,
    offered=lambda s, actor, rules: not set(HelpFlag) <= set(s.help_flags),
    example={"flags": ["vulnerable"]},
    label=("标记客户需协助", "Flag customer"),
)

DEFINITIONS = (FLAG_CUSTOMER,)
