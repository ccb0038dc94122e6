"""The apology of a staff member at fault (R-CU-5, S2 art.10: 当事人必须向客户赔礼道歉).

Where the case knows a staff member's fault is its conduct events (R-CR-2, R-CR-8, R-AC-6:
`record_conduct` against a person); the accountability cycle decides later whether a complaint
was effective, which the case cannot wait for. So each person with conduct on record owes the
customer an apology, recorded with who, when and how; a case that reaches closing with one
still owed is flagged to the supervisor (rules 5, `Behaviour.APOLOGY_OWED`).
"""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING, Literal

from domain.actions.base import OPEN, Action, ActionDef
from domain.fields import AwareDatetime, Name, Text
from domain.notice_models import NoticeKind, Recipient
from domain.state import Apology
from domain.vocabulary import Stage

if TYPE_CHECKING:
    from domain.case import Complaint


class RecordApology(Action):
    """R-CU-5: `person` apologised to the customer, at `apologised_at` (default: now), by
    `method`."""

    person: Name
    method: Literal["in_person", "phone", "letter", "sms", "email"]
    apologised_at: AwareDatetime | None = None
    detail: Text | None = None


def owed(case: Complaint) -> list[str]:
    """The people with conduct on record who have not apologised, in the order recorded."""
    s = case.state
    apologised = {a.person for a in s.apologies}
    at_fault = dict.fromkeys(e.person for e in s.conduct_events)
    return [p for p in at_fault if p not in apologised]


def _refusal(case: Complaint, action: RecordApology, now: datetime) -> str | None:
    if action.apologised_at is not None and action.apologised_at > now:
        return "R-CU-5: apologised_at is in the future"
    if action.apologised_at is not None and action.apologised_at < case.state.received_at:
        return "R-CU-5: apologised_at is before the complaint was received"
    return None


def _recorded(case: Complaint, action: RecordApology, now: datetime) -> None:
    case.state.apologies.append(
        Apology(
            seq=case.timeline.last_seq,
            person=action.person,
            method=action.method,
            apologised_at=action.apologised_at or now,
            detail=action.detail,
            recorded_by=action.actor,
            recorded_at=now,
        )
    )


def flag_if_owed(case: Complaint, actor: str, now: datetime) -> None:
    """R-CU-5: at closing, an apology still owed goes to the supervisor (the owner when the
    case has none), and on the timeline."""
    people = owed(case)
    if not people:
        return
    s = case.state
    who = ", ".join(people)
    case.timeline.write(
        "action",
        "system",
        f"R-CU-5: closed with staff fault on record and no apology from {who}; "
        "the supervisor is told",
        now,
    )
    role: Recipient = "supervisor" if s.supervisor else "owner"
    words = (
        f"No apology on record: complaint {s.complaint_id}",
        f"Complaint {s.complaint_id} was closed by {actor} with staff conduct on record "
        f"against {who} and no apology to the customer recorded (R-CU-5, S2 art.10: the "
        "person at fault must apologise to the customer). Record it with record_apology "
        "(who, when, how), or see that it is made.",
    )
    case.outbox.notify(NoticeKind.ESCALATION, role, s.supervisor or s.owner, ["email"], words, now)


RECORD_APOLOGY = ActionDef(
    name="record_apology",
    payload=RecordApology,
    description=(
        'R-CU-5: a staff member at fault apologised to the customer: {"person": "...", '
        '"method": "in_person"|"phone"|"letter"|"sms"|"email", "apologised_at": "..."}.'
    ),
    stages=OPEN | {Stage.CLOSED, Stage.WITHDRAWN},
    effect=_recorded,
    topic="conduct and care",
    check=_refusal,
    since=5,
    example={"person": "sun.li", "method": "phone", "detail": "Apologised for the promise."},
    label=("记录赔礼道歉", "Record apology"),
)

DEFINITIONS = (RECORD_APOLOGY,)
