"""An ad-hoc closure of the case's branch (R-SLA-10)."""

from __future__ import annotations

from datetime import date, datetime
from typing import TYPE_CHECKING

from pydantic import model_validator

from domain import closures
from domain.actions.base import OPEN, Action, ActionDef, Who
from domain.fields import Key, Text

if TYPE_CHECKING:
    from domain.case import Complaint


class AnnounceClosure(Action):
    """R-SLA-10 (rules 3): the case's branch is closed for these whole local days (a typhoon
    day); the case's running deadlines move. Sent by the administrator's announcement to every
    running case of the branch (api/policy.py)."""

    closure_key: Key
    first_day: date
    last_day: date
    reason: Text

    @model_validator(mode="after")
    def _order(self) -> AnnounceClosure:
        if self.last_day < self.first_day:
            raise ValueError("last_day is before first_day")
        if (self.last_day - self.first_day).days > 30:
            raise ValueError("a closure of more than 31 days is not an ad-hoc closure")
        return self


def _announced(case: Complaint, action: AnnounceClosure, now: datetime) -> None:
    """R-SLA-10 (rules 3): the branch closed ad hoc; the running deadlines move
    (domain/closures.py), each move on the timeline with its basis."""
    before = case.policy.calendar
    after = closures.with_closure(before, action.first_day, action.last_day, action.reason)
    case.policy = case.policy.model_copy(update={"calendar": after})
    span = f"{action.first_day.isoformat()}..{action.last_day.isoformat()}"
    why = f"{case.state.branch} closed {span} ({action.reason}; {action.actor}, R-SLA-10)"
    for clock in list(case.state.clocks):
        new = closures.moved(before, after, clock, now, why)
        if new is not None:
            case.clocks.replace(new)
            case.timeline.write(
                "clock",
                action.actor,
                f"{clock.label} moved from "
                f"{clock.due_at.isoformat()} to {new.due_at.isoformat()}: {why}",
                now,
            )


ANNOUNCE_CLOSURE = ActionDef(
    name="announce_closure",
    payload=AnnounceClosure,
    description=(
        'Admin: the branch closed ad hoc, {"closure_key", "first_day", "last_day", "reason"}.'
    ),
    stages=OPEN,
    effect=_announced,
    topic="deadlines",
    who=Who.ADMIN,  # its role check asks the rules version first: an older case keeps its calendar
    since=3,
    form=False,  # announced for a whole branch (POST /v1/branches/{branch}/closures)
    example={
        "closure_key": "typhoon-2026-10-22",
        "first_day": "2026-10-22",
        "last_day": "2026-10-22",
        "reason": "Typhoon: the branch is closed.",
    },
    label=("临时停业", "Announce closure"),
)

DEFINITIONS = (ANNOUNCE_CLOSURE,)
