"""The same case complained again (R-IN-6)."""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING

from domain import grading, outside_bodies
from domain.actions.base import OPEN, Action, ActionDef
from domain.fields import Key, Text
from domain.vocabulary import Channel

if TYPE_CHECKING:
    from domain.case import Complaint


class RecordRepeat(Action):
    """R-IN-6: the same case complained again (maybe through another channel) is merged."""

    channel: Channel
    external_id: Key | None = None
    new_facts: Text | None = None


def _repeated(case: Complaint, action: RecordRepeat, now: datetime) -> None:
    """R-IN-6: one case, one set of clocks; the repeat counted and its channel recorded;
    new facts restart the current stage's clock."""
    s = case.state
    s.repeat_count += 1
    s.repeat_channels.append(action.channel)
    s.multi_channel = s.multi_channel or action.channel is not s.channel
    s.escalated = s.escalated or grading.is_escalation(s.channel, action.channel)
    # R-GR-4 (rules 5): the regulator or the media coming in regrades before a restart below.
    outside_bodies.came_in(case, action.channel, "a repeat", action.actor, now)
    if action.new_facts:
        clock = case.clocks.stage()
        if clock is not None and clock.paused_at is None:
            case.clocks.finish(clock.key, now)
            case.enter(s.stage, action.actor, now)


RECORD_REPEAT = ActionDef(
    name="record_repeat",
    payload=RecordRepeat,
    description=None,  # the API's (a repeat filed at intake), an update only
    stages=OPEN,
    effect=_repeated,
    topic="handling",
    form=False,  # the intake merges a repeat (POST /v1/complaints)
    example={"channel": "online", "new_facts": "A second invoice was found."},
    label=("重复投诉", "Record repeat"),
)

DEFINITIONS = (RECORD_REPEAT,)
