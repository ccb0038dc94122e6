"""The regulator, a government body or the media in contact about an open case (R-GR-4)."""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING, Literal

from domain import crisis, outside_bodies, versions
from domain.actions.base import OPEN, Action, ActionDef
from domain.fields import Text
from domain.versions import Behaviour

if TYPE_CHECKING:
    from domain.case import Complaint


class RecordOutsideContact(Action):
    """R-GR-4 (rules 5): a recorded contact from an outside body on the case (a letter from the
    regulator, a government office's call, a journalist's enquiry), not only a repeat or a
    transfer through its channel. The note says who and what (required)."""

    body: Literal["regulator", "government", "media"]
    note: Text  # who, what (required here)


def _contacted(case: Complaint, action: RecordOutsideContact, now: datetime) -> None:
    """The contact is on the timeline (the action's entry, with its note); the case becomes at
    least major at once and a crisis is put to the supervisor (domain/outside_bodies.py)."""
    outside_bodies.came_in_as(case, action.body, "a recorded contact", action.actor, now)
    if action.body == "media" and versions.has(case.rules, Behaviour.CRISIS_REVIEWED):
        # R-CR-11: the media's enquiry is media monitoring's early warning too
        s = case.state
        words = crisis.media_contact_words(s.complaint_id, s.branch, action.note)
        crisis.warn_crisis_group(case, words, now)


RECORD_OUTSIDE_CONTACT = ActionDef(
    name="record_outside_contact",
    payload=RecordOutsideContact,
    description=(
        'R-GR-4: the regulator, a government body or the media came in: {"body": '
        '"regulator"|"government"|"media", "note": "who, what"}.'
    ),
    stages=OPEN,
    effect=_contacted,
    topic="crisis",
    since=5,
    example={"body": "media", "note": "A reporter of the city paper asked about the claim."},
    label=("记录外部介入", "Record outside contact"),
)

DEFINITIONS = (RECORD_OUTSIDE_CONTACT,)
