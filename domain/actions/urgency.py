"""A special grade and same-day handling: a leader's orders on the deadlines (R-GR-1,
R-SLA-5)."""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING, Annotated

from pydantic import Field

from domain import sla
from domain.actions.base import OPEN, Action, ActionDef, Who
from domain.actions.pause import deadline_move_refusal, running_unpaused
from domain.intake import SpecialDeadlines
from domain.vocabulary import Grade

if TYPE_CHECKING:
    from domain.case import Complaint


class DesignateSpecial(Action):
    deadlines: SpecialDeadlines


class Expedite(Action):
    minutes: Annotated[int, Field(ge=1, le=24 * 60)]


def _designated(case: Complaint, action: DesignateSpecial, now: datetime) -> None:
    """R-GR-1: special deadlines are set by the superior who designates it."""
    case.state.grade = Grade.SPECIAL
    case.state.special_deadlines = action.deadlines
    case.clocks.replan_stage()


def _expedite_refusal(case: Complaint, action: Expedite, now: datetime) -> str | None:
    if moving := deadline_move_refusal(case, "expedite"):
        return moving
    if case.clocks.stage() is None:
        return "this stage has no clock to expedite"
    return None


def _expedited(case: Complaint, action: Expedite, now: datetime) -> None:
    """R-SLA-5: 特事特办, the current stage done within the given minutes."""
    clock = case.clocks.stage()
    assert clock is not None
    case.clocks.replace(sla.expedited(case.policy, clock, now, action.minutes, rules=case.rules))


DESIGNATE_SPECIAL = ActionDef(
    name="designate_special",
    payload=DesignateSpecial,
    description="Supervisor grades the case special with its deadlines.",
    stages=OPEN,
    effect=_designated,
    topic="deadlines",
    who=Who.LEADER,
    example={"deadlines": {"contact_hours": 2, "investigate_days": 3, "approve_days": 1}},
    label=("认定为特殊投诉", "Designate special"),
)

EXPEDITE = ActionDef(
    name="expedite",
    payload=Expedite,
    description='Supervisor: same-day handling, {"minutes": 120}.',
    stages=OPEN,
    effect=_expedited,
    topic="deadlines",
    check=_expedite_refusal,
    who=Who.LEADER,
    offered=lambda s, actor, rules: running_unpaused(s),
    example={"minutes": 120},
    label=("要求当日办结", "Expedite"),
)

DEFINITIONS = (DESIGNATE_SPECIAL, EXPEDITE)
