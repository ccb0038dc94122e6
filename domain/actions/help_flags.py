"""A customer who needs help communicating with the insurer (R-CR-5)."""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING, Annotated

from pydantic import Field

from domain import outside_bodies, versions
from domain.actions.base import OPEN, Action, ActionDef
from domain.versions import Behaviour
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
    """R-CR-5; a customer newly known to be sent by the regulator or the media is that body
    coming in on the case (R-GR-4)."""
    s = case.state
    sent = HelpFlag.SENT_BY_REGULATOR_OR_MEDIA
    newly_sent = sent in action.flags and sent not in s.help_flags
    s.help_flags = sorted(set(s.help_flags) | set(action.flags))
    if (
        newly_sent
        and s.stage in OPEN
        and versions.has(case.rules, Behaviour.SENT_BY_OUTSIDE_BODY_GRADES)
    ):
        outside_bodies.came_in_as(
            case, "regulator or the media", "the customer was sent by them", action.actor, now
        )


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
